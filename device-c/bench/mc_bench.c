/* Host throughput of the chip operations, per backend and suite, on one core (single thread).
 * Usage: mc_bench_<backend> [seconds per measurement, default 1]
 * Prints operations per second measured with CLOCK_MONOTONIC; nothing is estimated. The baseline
 * is a raw CMAC over 32 bytes under a fresh key through the same backend (the floor of anything
 * keyed per request; an AUTH verification is a CSK derivation plus such a CMAC), so verify/raw is
 * the protocol's cost relative to its cheapest keyed primitive, as in docs/protocol.md's Java bench. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "microcert/mc_backend.h"
#include "microcert/microcert.h"

typedef struct {
    uint64_t x;
    uint32_t now;
} bench_platform;

static int b_random(void *ctx, uint8_t *out, size_t len) {
    bench_platform *p = (bench_platform *)ctx;
    for (size_t i = 0; i < len; i++) {
        p->x ^= p->x << 13;
        p->x ^= p->x >> 7;
        p->x ^= p->x << 17;
        out[i] = (uint8_t)p->x;
    }
    return 0;
}

static int b_now(void *ctx, uint32_t *now) {
    *now = ((bench_platform *)ctx)->now;
    return 0;
}

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef int (*op_fn)(mc_chip *chip, const mc_seed *center, uint8_t *buf);

static int op_auth(mc_chip *chip, const mc_seed *center, uint8_t *buf) {
    (void)center;
    return mc_chip_authenticate(chip, buf) != MC_OK;
}
static int op_sign(mc_chip *chip, const mc_seed *center, uint8_t *buf) {
    static const uint8_t data[64] = {1};
    (void)center;
    return mc_chip_sign(chip, data, sizeof data, buf) != MC_OK;
}
static int op_encrypt(mc_chip *chip, const mc_seed *center, uint8_t *buf) {
    static const uint8_t data[64] = {2};
    size_t n;
    (void)center;
    return mc_chip_encrypt(chip, data, sizeof data, buf, 256, &n) != MC_OK;
}
static int op_verify_auth(mc_chip *chip, const mc_seed *center, uint8_t *buf) {
    (void)chip;
    return mc_center_verify(center, MC_TYPE_AUTH, buf, 32, NULL, 0, 1804587330u, 300) != MC_OK;
}

/* The floor of anything keyed per request, as in the Java benchmark (rawCmacFreshKey): a CMAC
 * over 32 bytes under a new key every call, through the same backend. */
static int op_raw_cmac(mc_chip *chip, const mc_seed *center, uint8_t *buf) {
    uint8_t mac[16];
    buf[0]++; /* a different key each call */
    return mc_be_cmac(chip->suite, buf, center->rows, 32, mac) != MC_OK;
}

static double measure(op_fn fn, mc_chip *chip, const mc_seed *center, uint8_t *buf, double secs) {
    long n = 0;
    double start = seconds(), end;
    do {
        for (int i = 0; i < 256; i++) {
            if (fn(chip, center, buf)) {
                fprintf(stderr, "operation failed\n");
                exit(1);
            }
        }
        n += 256;
        end = seconds();
    } while (end - start < secs);
    return (double)n / (end - start);
}

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    printf("backend %s, %.1f s per figure, one thread\n", mc_be_name(), secs);
    printf("%-8s %13s %13s %13s %14s %14s %12s\n", "suite", "AUTH make/s", "SIGN64 make/s", "ENC64 make/s",
           "AUTH verify/s", "raw CMAC/s", "verify/raw");
    for (int s = 0; s < 2; s++) {
        mc_suite suite = s == 0 ? MC_SUITE_AES128 : MC_SUITE_SM4;
        bench_platform bp = {0x1234567, 1804587330u};
        mc_platform pf = {&bp, b_random, b_now, NULL};
        static mc_chip chip;
        mc_seed center;
        uint8_t raw[MC_SEED_BYTES], buf[256];
        raw[0] = 1;
        memset(raw + 1, 0, 3);
        raw[4] = 1;
        raw[5] = 2027 >> 8;
        raw[6] = 2027 & 0xff;
        b_random(&bp, raw + 7, MC_SEED_BYTES - 7);
        if (mc_chip_init(&chip, &pf, 0x4d43000000000001ull, suite, raw, sizeof raw, 300) != MC_OK ||
            mc_seed_decode(raw, sizeof raw, &center) != MC_OK)
            return 1;
        double auth = measure(op_auth, &chip, &center, buf, secs);
        double sign = measure(op_sign, &chip, &center, buf, secs);
        double enc = measure(op_encrypt, &chip, &center, buf, secs);
        mc_chip_authenticate(&chip, buf);
        double ver = measure(op_verify_auth, &chip, &center, buf, secs);
        double raw_cmac = measure(op_raw_cmac, &chip, &center, buf + 64, secs);
        printf("%-8s %13.0f %13.0f %13.0f %14.0f %14.0f %12.2f\n", s == 0 ? "AES128" : "SM4", auth, sign, enc, ver,
               raw_cmac, ver / raw_cmac);
        mc_chip_wipe(&chip);
        mc_seed_wipe(&center);
    }
    return 0;
}
