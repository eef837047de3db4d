/* Minimal test helpers: checks that count and report, hex decoding, a test platform. */
#ifndef TESTUTIL_H
#define TESTUTIL_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "microcert/microcert.h"

static int t_failures = 0;
static int t_checks = 0;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        t_checks++;                                                            \
        if (!(cond)) {                                                         \
            t_failures++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
        }                                                                      \
    } while (0)

#define CHECK_ST(expr, expected, ctx)                                                            \
    do {                                                                                         \
        mc_status st_ = (expr);                                                                  \
        CHECK(st_ == (expected), "%s: got %s, expected %s", (ctx), mc_status_name(st_),          \
              mc_status_name(expected));                                                         \
    } while (0)

static inline int t_report(const char *name) {
    printf("%s: %d checks, %d failures\n", name, t_checks, t_failures);
    /* a run that checked nothing proves nothing */
    return (t_failures == 0 && t_checks > 0) ? 0 : 1;
}

static inline int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex into out (cap bytes); returns the length, or exits on bad input. */
static inline size_t unhex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > cap) {
        fprintf(stderr, "bad hex length %zu\n", n);
        exit(2);
    }
    for (size_t i = 0; i < n / 2; i++) {
        int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);
        if (h < 0 || l < 0) {
            fprintf(stderr, "bad hex\n");
            exit(2);
        }
        out[i] = (uint8_t)(h << 4 | l);
    }
    return n / 2;
}

static inline uint64_t parse_u64_hex(const char *s) { return strtoull(s, NULL, 16); }

/* Deterministic platform: splitmix64 RNG, settable clock, records what was persisted. */
typedef struct {
    uint64_t rng_state;
    uint32_t now;
    int fail_rng;
    int persist_calls;
    uint8_t state[MC_STATE_BYTES];
    size_t state_len;
    uint8_t seed[MC_SEED_BYTES];
} t_platform;

static inline int t_random(void *ctx, uint8_t *out, size_t len) {
    t_platform *p = (t_platform *)ctx;
    if (p->fail_rng) return -1;
    for (size_t i = 0; i < len; i++) {
        uint64_t z = (p->rng_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        out[i] = (uint8_t)(z ^ (z >> 31));
    }
    return 0;
}

static inline int t_now(void *ctx, uint32_t *now) {
    *now = ((t_platform *)ctx)->now;
    return 0;
}

static inline int t_persist(void *ctx, mc_persist_kind kind, const uint8_t *data, size_t len) {
    t_platform *p = (t_platform *)ctx;
    p->persist_calls++;
    if (kind == MC_PERSIST_STATE && len <= sizeof p->state) {
        memcpy(p->state, data, len);
        p->state_len = len;
    } else if (kind == MC_PERSIST_SEED && len == MC_SEED_BYTES) {
        memcpy(p->seed, data, len);
    }
    return 0;
}

static inline mc_platform t_platform_of(t_platform *p) {
    mc_platform pf = {p, t_random, t_now, t_persist};
    return pf;
}

#endif
