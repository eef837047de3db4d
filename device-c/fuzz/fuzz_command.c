/* COMMAND certificates from the network: strict decoding and the chip's acceptance. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static mc_chip chip;
    mc_cert c;
    mc_op op;
    uint32_t arg;
    uint8_t env[MC_ENVELOPE_BYTES];
    if (mc_cert_decode(data, size, &c) == MC_OK) {
        /* decoded views must stay inside the input */
        if (c.body + c.body_len > data + size || c.tag + c.tag_len != data + size) __builtin_trap();
    }
    f_chip(&chip, data, size);
    mc_status st = mc_chip_accept(&chip, data, size, &op, &arg, env);
    /* accepting random bytes would mean a forged tag: impossible unless the input is a real COMMAND */
    if (st == MC_OK && size != MC_COMMAND_BYTES) __builtin_trap();
    mc_chip_wipe(&chip);
    return 0;
}
