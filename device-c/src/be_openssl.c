/* Backend on OpenSSL 3 (hosts: gateways, tools, tests, the interop example). OpenSSL allocates
 * internally, so this backend is for hosts only; firmware links be_mbedtls.c.
 * OpenSSL 3.0 has SM4 (ECB, CBC) and SM3 but no SM4-GCM: SM4-GCM is the mode of mc_modes.c over
 * OpenSSL's SM4-ECB block function. */
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/core_names.h>
#include <string.h>

#include "mc_modes.h"
#include "microcert/mc_backend.h"

const char *mc_be_name(void) { return "openssl"; }

mc_status mc_be_cmac(mc_suite suite, const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16]) {
    mc_status st = MC_ERR_CRYPTO;
    char cipher[16];
    size_t n = 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    strcpy(cipher, suite == MC_SUITE_SM4 ? "SM4-CBC" : "AES-128-CBC");
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0), OSSL_PARAM_END};
    if (ctx != NULL && EVP_MAC_init(ctx, key, 16, params) == 1 && EVP_MAC_update(ctx, msg, len) == 1 &&
        EVP_MAC_final(ctx, out, &n, 16) == 1 && n == 16)
        st = MC_OK;
    EVP_MAC_CTX_free(ctx); /* frees (and OpenSSL cleanses) the key schedule */
    EVP_MAC_free(mac);
    return st;
}

static void sm4_block(const void *ctx, const uint8_t in[16], uint8_t out[16]) {
    int n = 0;
    /* cannot fail for a 16-byte update on an initialised ECB context without padding */
    (void)EVP_EncryptUpdate((EVP_CIPHER_CTX *)(uintptr_t)ctx, out, &n, in, 16);
}

static mc_status sm4_gcm(int encrypt, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                         size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]) {
    mc_status st = MC_ERR_CRYPTO;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx != NULL && EVP_EncryptInit_ex(ctx, EVP_sm4_ecb(), NULL, key, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(ctx, 0) == 1) {
        uint8_t computed[16];
        mc_mode_gcm(sm4_block, ctx, encrypt, nonce, aad, aad_len, in, len, out, computed);
        if (encrypt) {
            memcpy(tag, computed, 16);
            st = MC_OK;
        } else {
            st = mc_ct_equal(computed, tag, 16) ? MC_OK : MC_BAD_TAG;
            if (st != MC_OK) mc_wipe(out, len);
        }
        mc_wipe(computed, sizeof computed);
    }
    EVP_CIPHER_CTX_free(ctx);
    return st;
}

static const EVP_CIPHER *aes_gcm(mc_aead alg) { return alg == MC_AEAD_AES256 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(); }

mc_status mc_be_gcm_seal(mc_aead alg, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                         size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]) {
    if (alg == MC_AEAD_SM4) return sm4_gcm(1, key, nonce, aad, aad_len, in, len, out, tag);
    if (len > INT32_MAX || aad_len > INT32_MAX) return MC_ERR_ARGUMENT;
    mc_status st = MC_ERR_CRYPTO;
    int n = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx != NULL && EVP_EncryptInit_ex(ctx, aes_gcm(alg), NULL, NULL, NULL) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
        EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
        EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1 &&
        (len == 0 || EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1) &&
        EVP_EncryptFinal_ex(ctx, out + (len == 0 ? 0 : (size_t)n), &n) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1)
        st = MC_OK;
    EVP_CIPHER_CTX_free(ctx);
    return st;
}

mc_status mc_be_gcm_open(mc_aead alg, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                         size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16], uint8_t *out) {
    uint8_t t[16];
    memcpy(t, tag, 16);
    if (alg == MC_AEAD_SM4) return sm4_gcm(0, key, nonce, aad, aad_len, in, len, out, t);
    if (len > INT32_MAX || aad_len > INT32_MAX) return MC_ERR_ARGUMENT;
    mc_status st = MC_ERR_CRYPTO;
    int n = 0, m = 0;
    uint8_t dummy[16];
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx != NULL && EVP_DecryptInit_ex(ctx, aes_gcm(alg), NULL, NULL, NULL) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
        EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
        EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1 &&
        (len == 0 || EVP_DecryptUpdate(ctx, out, &n, in, (int)len) == 1) &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, t) == 1) {
        /* the final call compares the tag (CRYPTO_memcmp: constant-time) */
        st = EVP_DecryptFinal_ex(ctx, len == 0 ? dummy : out + n, &m) == 1 ? MC_OK : MC_BAD_TAG;
    }
    if (st != MC_OK && out != NULL) mc_wipe(out, len);
    EVP_CIPHER_CTX_free(ctx);
    return st;
}

mc_status mc_be_hash(mc_suite suite, const mc_chunk *chunks, size_t n, uint8_t out[32]) {
    mc_status st = MC_ERR_CRYPTO;
    unsigned int len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx != NULL && EVP_DigestInit_ex(ctx, suite == MC_SUITE_SM4 ? EVP_sm3() : EVP_sha256(), NULL) == 1) {
        size_t i;
        for (i = 0; i < n; i++) {
            if (chunks[i].len > 0 && EVP_DigestUpdate(ctx, chunks[i].data, chunks[i].len) != 1) break;
        }
        if (i == n && EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == 32) st = MC_OK;
    }
    EVP_MD_CTX_free(ctx);
    return st;
}
