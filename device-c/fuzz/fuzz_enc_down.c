/* ENC_DOWN certificates from the network: decoding, GCM opening and replay checks. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static mc_chip chip;
    static uint8_t out[MC_MAX_PAYLOAD];
    size_t n = 0;
    f_chip(&chip, data, size);
    mc_status st = mc_chip_decrypt(&chip, data, size, out, sizeof out, &n);
    if (st == MC_OK && (size < MC_ENC_OVERHEAD || n != size - MC_ENC_OVERHEAD)) __builtin_trap();
    /* a too-small output buffer must be refused, never overrun */
    st = mc_chip_decrypt(&chip, data, size, out, size > 40 ? size - 40 : 0, &n);
    if (st == MC_OK && size > MC_ENC_OVERHEAD && n > size - 40) __builtin_trap();
    mc_chip_wipe(&chip);
    return 0;
}
