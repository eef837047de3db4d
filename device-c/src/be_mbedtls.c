/* Backend on Mbed TLS 2.28 (firmware and hosts): AES, AES-CMAC, AES-GCM and SHA-256 from Mbed TLS.
 * Mbed TLS has no SM4 or SM3, so the SM4 suite uses mc_modes.c (SM4, SM3, and CMAC/GCM over SM4),
 * checked with the GB/T example vectors and differentially against OpenSSL.
 *
 * Heap: Mbed TLS's CMAC and GCM run on its cipher layer, which allocates the AES context (and the
 * CMAC state) with mbedtls_calloc on every call. For firmware without a heap, build with
 * MC_MBEDTLS_NO_HEAP: AES then comes from mbedtls_aes_* with the context on the stack, under the
 * CMAC/GCM modes of mc_modes.c (RFC 4493 vectors, differential test against OpenSSL AES-GCM); the
 * same vector tests run against both variants. SHA-256 never allocates. */
#include <mbedtls/aes.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>
#include <mbedtls/gcm.h>
#include <mbedtls/sha256.h>
#include <string.h>

#include "mc_modes.h"
#include "microcert/mc_backend.h"

#ifdef MC_MBEDTLS_NO_HEAP
const char *mc_be_name(void) { return "mbedtls-noheap"; }

static void aes_block(const void *ctx, const uint8_t in[16], uint8_t out[16]) {
    /* cannot fail for an initialised context in ECB encrypt mode */
    (void)mbedtls_aes_crypt_ecb((mbedtls_aes_context *)(uintptr_t)ctx, MBEDTLS_AES_ENCRYPT, in, out);
}

/* AES-CMAC / AES-GCM with the AES context on the stack. */
static mc_status aes_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16]) {
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    mc_status st = mbedtls_aes_setkey_enc(&aes, key, 128) == 0 ? MC_OK : MC_ERR_CRYPTO;
    if (st == MC_OK) mc_mode_cmac(aes_block, &aes, msg, len, out);
    mbedtls_aes_free(&aes); /* zeroizes the key schedule */
    return st;
}

static mc_status aes_gcm(int encrypt, mc_aead alg, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                         size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]) {
    mbedtls_aes_context aes;
    uint8_t computed[16];
    mbedtls_aes_init(&aes);
    mc_status st = mbedtls_aes_setkey_enc(&aes, key, alg == MC_AEAD_AES256 ? 256 : 128) == 0 ? MC_OK : MC_ERR_CRYPTO;
    if (st == MC_OK) {
        mc_mode_gcm(aes_block, &aes, encrypt, nonce, aad, aad_len, in, len, out, computed);
        if (encrypt) {
            memcpy(tag, computed, 16);
        } else if (!mc_ct_equal(computed, tag, 16)) {
            mc_wipe(out, len);
            st = MC_BAD_TAG;
        }
    }
    mbedtls_aes_free(&aes);
    mc_wipe(computed, sizeof computed);
    return st;
}
#else
const char *mc_be_name(void) { return "mbedtls"; }
#endif

mc_status mc_be_cmac(mc_suite suite, const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16]) {
    if (suite == MC_SUITE_SM4) {
        mc_sm4_ctx ctx;
        mc_sm4_setkey(&ctx, key);
        mc_mode_cmac(mc_sm4_encrypt, &ctx, msg, len, out);
        mc_wipe(&ctx, sizeof ctx);
        return MC_OK;
    }
#ifdef MC_MBEDTLS_NO_HEAP
    return aes_cmac(key, msg, len, out);
#else
    const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB);
    if (info == NULL) return MC_ERR_CRYPTO;
    /* mbedtls_cipher_cmac keeps its context on the stack and zeroizes it */
    return mbedtls_cipher_cmac(info, key, 128, msg, len, out) == 0 ? MC_OK : MC_ERR_CRYPTO;
#endif
}

static mc_status sm4_gcm(int encrypt, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                         size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]) {
    mc_sm4_ctx ctx;
    uint8_t computed[16];
    mc_status st = MC_OK;
    mc_sm4_setkey(&ctx, key);
    mc_mode_gcm(mc_sm4_encrypt, &ctx, encrypt, nonce, aad, aad_len, in, len, out, computed);
    if (encrypt) {
        memcpy(tag, computed, 16);
    } else if (!mc_ct_equal(computed, tag, 16)) {
        mc_wipe(out, len);
        st = MC_BAD_TAG;
    }
    mc_wipe(&ctx, sizeof ctx);
    mc_wipe(computed, sizeof computed);
    return st;
}

mc_status mc_be_gcm_seal(mc_aead alg, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                         size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]) {
    if (alg == MC_AEAD_SM4) return sm4_gcm(1, key, nonce, aad, aad_len, in, len, out, tag);
#ifdef MC_MBEDTLS_NO_HEAP
    return aes_gcm(1, alg, key, nonce, aad, aad_len, in, len, out, tag);
#else
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, alg == MC_AEAD_AES256 ? 256 : 128);
    if (rc == 0) rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, 12, aad, aad_len, in, out, 16, tag);
    mbedtls_gcm_free(&gcm); /* zeroizes the key schedule and H table */
    return rc == 0 ? MC_OK : MC_ERR_CRYPTO;
#endif
}

mc_status mc_be_gcm_open(mc_aead alg, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                         size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16], uint8_t *out) {
    if (alg == MC_AEAD_SM4) {
        uint8_t t[16];
        memcpy(t, tag, 16);
        return sm4_gcm(0, key, nonce, aad, aad_len, in, len, out, t);
    }
#ifdef MC_MBEDTLS_NO_HEAP
    uint8_t t[16];
    memcpy(t, tag, 16);
    return aes_gcm(0, alg, key, nonce, aad, aad_len, in, len, out, t);
#else
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, alg == MC_AEAD_AES256 ? 256 : 128);
    mc_status st = MC_ERR_CRYPTO;
    if (rc == 0) {
        /* compares the tag in constant time and zeroizes out on mismatch */
        rc = mbedtls_gcm_auth_decrypt(&gcm, len, nonce, 12, aad, aad_len, tag, 16, in, out);
        st = rc == 0 ? MC_OK : (rc == MBEDTLS_ERR_GCM_AUTH_FAILED ? MC_BAD_TAG : MC_ERR_CRYPTO);
    }
    mbedtls_gcm_free(&gcm);
    if (st != MC_OK && out != NULL) mc_wipe(out, len);
    return st;
#endif
}

mc_status mc_be_hash(mc_suite suite, const mc_chunk *chunks, size_t n, uint8_t out[32]) {
    if (suite == MC_SUITE_SM4) {
        mc_sm3_ctx ctx;
        mc_sm3_init(&ctx);
        for (size_t i = 0; i < n; i++) mc_sm3_update(&ctx, chunks[i].data, chunks[i].len);
        mc_sm3_final(&ctx, out); /* wipes ctx */
        return MC_OK;
    }
    mbedtls_sha256_context ctx;
    mbedtls_sha256_init(&ctx);
    int rc = mbedtls_sha256_starts_ret(&ctx, 0);
    for (size_t i = 0; i < n && rc == 0; i++) rc = mbedtls_sha256_update_ret(&ctx, chunks[i].data, chunks[i].len);
    if (rc == 0) rc = mbedtls_sha256_finish_ret(&ctx, out);
    mbedtls_sha256_free(&ctx); /* zeroizes the state that hashed a seed (UPDATE key) */
    return rc == 0 ? MC_OK : MC_ERR_CRYPTO;
}
