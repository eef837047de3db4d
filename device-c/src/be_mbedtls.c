/* Backend on Mbed TLS 2.28 (firmware and hosts): AES, AES-CMAC, AES-GCM and SHA-256 from Mbed TLS.
 * Mbed TLS has no SM4 or SM3, so the SM4 suite uses mc_modes.c (SM4, SM3, and CMAC/GCM over SM4),
 * checked with the GB/T example vectors and differentially against OpenSSL. Stack only, no heap. */
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>
#include <mbedtls/gcm.h>
#include <mbedtls/sha256.h>
#include <string.h>

#include "mc_modes.h"
#include "microcert/mc_backend.h"

const char *mc_be_name(void) { return "mbedtls"; }

mc_status mc_be_cmac(mc_suite suite, const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16]) {
    if (suite == MC_SUITE_SM4) {
        mc_sm4_ctx ctx;
        mc_sm4_setkey(&ctx, key);
        mc_mode_cmac(mc_sm4_encrypt, &ctx, msg, len, out);
        mc_wipe(&ctx, sizeof ctx);
        return MC_OK;
    }
    const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB);
    if (info == NULL) return MC_ERR_CRYPTO;
    /* mbedtls_cipher_cmac keeps its context on the stack and zeroizes it */
    return mbedtls_cipher_cmac(info, key, 128, msg, len, out) == 0 ? MC_OK : MC_ERR_CRYPTO;
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
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, alg == MC_AEAD_AES256 ? 256 : 128);
    if (rc == 0) rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, 12, aad, aad_len, in, out, 16, tag);
    mbedtls_gcm_free(&gcm); /* zeroizes the key schedule and H table */
    return rc == 0 ? MC_OK : MC_ERR_CRYPTO;
}

mc_status mc_be_gcm_open(mc_aead alg, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                         size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16], uint8_t *out) {
    if (alg == MC_AEAD_SM4) {
        uint8_t t[16];
        memcpy(t, tag, 16);
        return sm4_gcm(0, key, nonce, aad, aad_len, in, len, out, t);
    }
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
