/*
 * The primitives the protocol uses, and nothing else: CMAC (AES-128, SM4), GCM with a 12-byte nonce
 * and 16-byte tag (AES-128, SM4, and AES-256 for TRANSPORT envelopes), and the suite hash (SHA-256,
 * SM3). Exactly one backend is linked into a build (src/be_openssl.c or src/be_mbedtls.c); the
 * calls are one-shot and stateless so a backend needs no global state either.
 */
#ifndef MC_BACKEND_H
#define MC_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "microcert.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MC_AEAD_AES128 = 1, MC_AEAD_SM4 = 2, MC_AEAD_AES256 = 3 } mc_aead;

/* One part of a hashed message (the hash takes a list so that no caller concatenates secrets). */
typedef struct {
    const uint8_t *data;
    size_t len;
} mc_chunk;

/* out = CMAC_key(msg) with the suite's block cipher. Returns MC_OK or MC_ERR_CRYPTO. */
mc_status mc_be_cmac(mc_suite suite, const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16]);

/* out[0..len) || tag = GCM_key(nonce, aad, in[0..len)). in may equal out. */
mc_status mc_be_gcm_seal(mc_aead alg, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                         size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]);

/* Decrypts and checks the tag in constant time: MC_OK, MC_BAD_TAG (out wiped) or MC_ERR_CRYPTO. */
mc_status mc_be_gcm_open(mc_aead alg, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                         size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16], uint8_t *out);

/* out = H(chunks[0] || ... || chunks[n-1]), SHA-256 or SM3. */
mc_status mc_be_hash(mc_suite suite, const mc_chunk *chunks, size_t n, uint8_t out[32]);

/* Name of the linked backend ("openssl", "mbedtls"), for logs and the benchmark. */
const char *mc_be_name(void);

#ifdef __cplusplus
}
#endif
#endif
