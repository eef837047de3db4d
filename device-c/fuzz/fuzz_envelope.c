/* Seed envelopes: strict decoding, UPDATE and TRANSPORT opening (the center-side parsers the
 * library offers to gateways and tools). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t raw[MC_SEED_BYTES], k[32];
    mc_seed current, out;
    mc_envelope e;
    f_seed(raw);
    memset(k, 0x42, sizeof k);
    if (mc_seed_decode(raw, sizeof raw, &current) != MC_OK) __builtin_trap();
    if (mc_envelope_decode(data, size, &e) == MC_OK && size != MC_ENVELOPE_BYTES) __builtin_trap();
    (void)mc_envelope_open_update(&current, data, size, &out);
    (void)mc_envelope_open_transport(k, data, size, &out);
    return 0;
}
