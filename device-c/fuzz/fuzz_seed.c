/* Seed decoding (from envelopes and storage) and the persisted chip state blob. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static mc_chip chip;
    mc_seed s;
    uint8_t again[MC_SEED_BYTES];
    if (mc_seed_decode(data, size, &s) == MC_OK) {
        /* decode then encode is the identity on valid seeds */
        if (mc_seed_encode(&s, again, sizeof again) != MC_OK || memcmp(again, data, size) != 0) __builtin_trap();
    }
    f_chip(&chip, NULL, 0);
    (void)mc_chip_restore_state(&chip, data, size);
    if (chip.seen_count > MC_REPLAY_CAPACITY) __builtin_trap();
    mc_chip_wipe(&chip);
    return 0;
}
