/*
 * CMAC (SP 800-38B) and GCM (SP 800-38D, 96-bit nonce) over any 128-bit block cipher given as a
 * function. Used only where no vetted library offers the mode with that cipher: SM4 in the Mbed TLS
 * backend (Mbed TLS 2.28 has no SM4) and SM4-GCM in the OpenSSL backend (OpenSSL 3.0 has SM4-ECB/CTR
 * but no SM4-GCM). Checked against RFC 4493 / RFC 8998 vectors and differentially against OpenSSL
 * (tests/test_primitives.c).
 */
#ifndef MC_MODES_H
#define MC_MODES_H

#include <stddef.h>
#include <stdint.h>

/* Encrypts one block in place with the expanded key in ctx. */
typedef void (*mc_block_fn)(const void *ctx, const uint8_t in[16], uint8_t out[16]);

void mc_mode_cmac(mc_block_fn enc, const void *ctx, const uint8_t *msg, size_t len, uint8_t out[16]);

/* GCM with a 12-byte nonce; encrypt != 0 seals, else opens. computed_tag receives the tag over
 * the ciphertext (the caller compares it in constant time when opening). */
void mc_mode_gcm(mc_block_fn enc, const void *ctx, int encrypt, const uint8_t nonce[12], const uint8_t *aad,
                 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t computed_tag[16]);

/* SM4 (GB/T 32907) and SM3 (GB/T 32905): compact, table-light implementations. */
typedef struct {
    uint32_t rk[32];
} mc_sm4_ctx;

void mc_sm4_setkey(mc_sm4_ctx *ctx, const uint8_t key[16]);
void mc_sm4_encrypt(const void *ctx, const uint8_t in[16], uint8_t out[16]);

typedef struct {
    uint32_t v[8];
    uint8_t buf[64];
    size_t buf_len;
    uint64_t total;
} mc_sm3_ctx;

void mc_sm3_init(mc_sm3_ctx *ctx);
void mc_sm3_update(mc_sm3_ctx *ctx, const uint8_t *data, size_t len);
void mc_sm3_final(mc_sm3_ctx *ctx, uint8_t out[32]);

#endif
