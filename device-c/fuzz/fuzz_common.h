/* Shared setup of the libFuzzer targets: a chip with a fixed seed and a clock at the certificate
 * vectors' date, so inputs with a plausible header reach the tag and replay code. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H
#include <stdint.h>
#include <string.h>

#include "microcert/microcert.h"

static int f_random(void *ctx, uint8_t *out, size_t len) {
    (void)ctx;
    for (size_t i = 0; i < len; i++) out[i] = (uint8_t)(i * 31 + 7);
    return 0;
}

static int f_now(void *ctx, uint32_t *now) {
    *now = *(const uint32_t *)ctx;
    return 0;
}

static uint32_t f_clock = 1804587330u;
static const mc_platform f_platform = {&f_clock, f_random, f_now, NULL};

static inline void f_seed(uint8_t raw[MC_SEED_BYTES]) {
    raw[0] = 1;
    raw[1] = raw[2] = raw[3] = 0;
    raw[4] = 1;
    raw[5] = 2027 >> 8;
    raw[6] = 2027 & 0xff;
    for (size_t i = 7; i < MC_SEED_BYTES; i++) raw[i] = (uint8_t)(i * 13);
}

/* A chip for the sensor id and suite the input names (when it is long enough), so the fuzzer gets
 * past WRONG_SENSOR / UNSUPPORTED_SUITE; the clock follows the input's timestamp for the same reason. */
static inline void f_chip(mc_chip *chip, const uint8_t *data, size_t size) {
    uint8_t raw[MC_SEED_BYTES];
    uint64_t id = 0x4d43000000000001ull;
    mc_suite suite = MC_SUITE_AES128;
    if (size >= 14) {
        id = 0;
        for (int i = 2; i < 10; i++) id = (id << 8) | data[i];
        suite = data[1] == MC_SUITE_SM4 ? MC_SUITE_SM4 : MC_SUITE_AES128;
        f_clock = (uint32_t)data[10] << 24 | (uint32_t)data[11] << 16 | (uint32_t)data[12] << 8 | data[13];
    }
    f_seed(raw);
    if (mc_chip_init(chip, &f_platform, id, suite, raw, sizeof raw, 300) != MC_OK) __builtin_trap();
}
#endif
