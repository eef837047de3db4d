/* The compact primitives of mc_modes.c (used by the Mbed TLS backend for the SM4 suite, and for
 * SM4-GCM by both backends): the standards' example vectors, then differential runs against
 * OpenSSL on random inputs. */
#include <openssl/evp.h>

#include "mc_modes.h"
#include "microcert/mc_backend.h"
#include "testutil.h"

static void hexeq(const uint8_t *got, const char *hex, const char *what) {
    uint8_t want[128];
    size_t n = unhex(hex, want, sizeof want);
    CHECK(memcmp(got, want, n) == 0, "%s", what);
}

static void aes_block(const void *ctx, const uint8_t in[16], uint8_t out[16]) {
    int n;
    (void)EVP_EncryptUpdate((EVP_CIPHER_CTX *)(uintptr_t)ctx, out, &n, in, 16);
}

static EVP_CIPHER_CTX *ecb(const EVP_CIPHER *c, const uint8_t *key) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, c, NULL, key, NULL) != 1) exit(2);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    return ctx;
}

static void standard_vectors(void) {
    uint8_t key[16], block[16], out[64], tag[16], msg[64];
    mc_sm4_ctx sm4;
    /* GB/T 32907-2016 appendix A: one block, then the same block encrypted 1,000,000 times */
    unhex("0123456789abcdeffedcba9876543210", key, 16);
    mc_sm4_setkey(&sm4, key);
    mc_sm4_encrypt(&sm4, key, block);
    hexeq(block, "681edf34d206965e86b3e94f536e4246", "SM4 example 1");
    memcpy(block, key, 16);
    for (int i = 0; i < 1000000; i++) mc_sm4_encrypt(&sm4, block, block);
    hexeq(block, "595298c7c6fd271f0402f804c33d3f66", "SM4 example 2 (10^6 rounds)");

    /* GB/T 32905-2016 appendix A */
    mc_sm3_ctx h;
    mc_sm3_init(&h);
    mc_sm3_update(&h, (const uint8_t *)"abc", 3);
    mc_sm3_final(&h, out);
    hexeq(out, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", "SM3 abc");
    mc_sm3_init(&h);
    for (int i = 0; i < 16; i++) mc_sm3_update(&h, (const uint8_t *)"abcd", 4);
    mc_sm3_final(&h, out);
    hexeq(out, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732", "SM3 64 bytes");

    /* RFC 4493 AES-CMAC through the generic mode (AES block from OpenSSL) */
    unhex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
    unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
          msg, 64);
    EVP_CIPHER_CTX *aes = ecb(EVP_aes_128_ecb(), key);
    static const struct { size_t len; const char *mac; } cm[] = {
        {0, "bb1d6929e95937287fa37d129b756746"}, {16, "070a16b46b4d4144f79bdd9dd04a287c"},
        {40, "dfa66747de9ae63030ca32611497c827"}, {64, "51f0bebf7e3b9d92fc49741779363cfe"}};
    for (int i = 0; i < 4; i++) {
        mc_mode_cmac(aes_block, aes, msg, cm[i].len, tag);
        hexeq(tag, cm[i].mac, "RFC 4493 CMAC");
    }
    EVP_CIPHER_CTX_free(aes);

    /* RFC 8998 appendix A.1: SM4-GCM */
    uint8_t iv[12], aad[20], pt[64];
    unhex("0123456789abcdeffedcba9876543210", key, 16);
    unhex("00001234567800000000abcd", iv, 12);
    unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad, 20);
    unhex("aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
          pt, 64);
    mc_sm4_setkey(&sm4, key);
    mc_mode_gcm(mc_sm4_encrypt, &sm4, 1, iv, aad, 20, pt, 64, out, tag);
    hexeq(out, "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d",
          "RFC 8998 SM4-GCM ciphertext");
    hexeq(tag, "83de3541e4c2b58177e065a9bf7b62ec", "RFC 8998 SM4-GCM tag");
}

static void differential(void) {
    t_platform tp = {0};
    tp.rng_state = 20261205;
    uint8_t key[16], msg[300], a[300], b[300], ta[16], tb[16], iv[12];
    int runs = 0;
    for (int r = 0; r < 2000; r++) {
        size_t len = (size_t)(r % 300);
        t_random(&tp, key, 16);
        t_random(&tp, msg, len);
        t_random(&tp, iv, 12);
        /* SM4 single block vs OpenSSL SM4-ECB */
        mc_sm4_ctx sm4;
        mc_sm4_setkey(&sm4, key);
        mc_sm4_encrypt(&sm4, msg, a);
        EVP_CIPHER_CTX *ref = ecb(EVP_sm4_ecb(), key);
        aes_block(ref, msg, b);
        CHECK(memcmp(a, b, 16) == 0, "SM4 block differs (run %d)", r);
        /* SM3 vs OpenSSL */
        mc_sm3_ctx h;
        mc_sm3_init(&h);
        mc_sm3_update(&h, msg, len / 2);
        mc_sm3_update(&h, msg + len / 2, len - len / 2);
        mc_sm3_final(&h, a);
        unsigned int dl;
        EVP_Digest(msg, len, b, &dl, EVP_sm3(), NULL);
        CHECK(memcmp(a, b, 32) == 0, "SM3 differs (len %zu)", len);
        /* SM4-CMAC vs OpenSSL's CMAC with SM4-CBC */
        mc_mode_cmac(mc_sm4_encrypt, &sm4, msg, len, ta);
        CHECK(mc_be_cmac(MC_SUITE_SM4, key, msg, len, tb) == MC_OK && memcmp(ta, tb, 16) == 0, "SM4-CMAC (len %zu)", len);
        /* the generic GCM with AES vs OpenSSL's AES-GCM: checks the GHASH/CTR composition */
        EVP_CIPHER_CTX *aes = ecb(EVP_aes_128_ecb(), key);
        size_t aad = len % 41;
        mc_mode_gcm(aes_block, aes, 1, iv, msg, aad, msg, len, a, ta);
        CHECK(mc_be_gcm_seal(MC_AEAD_AES128, key, iv, msg, aad, msg, len, b, tb) == MC_OK, "seal");
        CHECK(memcmp(a, b, len) == 0 && memcmp(ta, tb, 16) == 0, "generic GCM vs OpenSSL AES-GCM (len %zu)", len);
        /* and back: open what OpenSSL sealed */
        uint8_t back[300], tc[16];
        mc_mode_gcm(aes_block, aes, 0, iv, msg, aad, b, len, back, tc);
        CHECK(memcmp(back, msg, len) == 0 && memcmp(tc, tb, 16) == 0, "generic GCM open (len %zu)", len);
        /* SM4-GCM with the compact SM4 vs with OpenSSL's SM4 block */
        mc_mode_gcm(mc_sm4_encrypt, &sm4, 1, iv, msg, aad, msg, len, a, ta);
        CHECK(mc_be_gcm_seal(MC_AEAD_SM4, key, iv, msg, aad, msg, len, b, tb) == MC_OK, "seal sm4");
        CHECK(memcmp(a, b, len) == 0 && memcmp(ta, tb, 16) == 0, "SM4-GCM (len %zu)", len);
        EVP_CIPHER_CTX_free(aes);
        EVP_CIPHER_CTX_free(ref);
        runs++;
    }
    CHECK(runs == 2000, "runs");
}

int main(void) {
    standard_vectors();
    differential();
    return t_report("test_primitives");
}
