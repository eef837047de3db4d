/* Block-cipher modes, SM4 and SM3; see mc_modes.h for why these exist. */
#include "mc_modes.h"

#include <string.h>

#include "microcert/microcert.h"

/* ---- CMAC ------------------------------------------------------------------------------ */

/* Doubling in GF(2^128) (SP 800-38B subkey generation), branch-free on the secret MSB. */
static void dbl(const uint8_t in[16], uint8_t out[16]) {
    uint8_t carry = (uint8_t)(in[0] >> 7);
    for (int i = 0; i < 15; i++) {
        out[i] = (uint8_t)((in[i] << 1) | (in[i + 1] >> 7));
    }
    out[15] = (uint8_t)((in[15] << 1) ^ (uint8_t)(0x87u & (0u - carry)));
}

void mc_mode_cmac(mc_block_fn enc, const void *ctx, const uint8_t *msg, size_t len, uint8_t out[16]) {
    uint8_t l[16] = {0}, k[16], x[16] = {0};
    size_t full = len == 0 ? 0 : (len - 1) / 16; /* blocks before the last one */
    enc(ctx, l, l);
    dbl(l, k); /* K1 */
    for (size_t b = 0; b < full; b++) {
        for (int i = 0; i < 16; i++) x[i] ^= msg[16 * b + (size_t)i];
        enc(ctx, x, x);
    }
    size_t rest = len - 16 * full;
    if (rest == 16) {
        for (int i = 0; i < 16; i++) x[i] ^= (uint8_t)(msg[16 * full + (size_t)i] ^ k[i]);
    } else {
        uint8_t k2[16];
        dbl(k, k2);
        for (size_t i = 0; i < 16; i++) {
            uint8_t m = i < rest ? msg[16 * full + i] : (i == rest ? 0x80 : 0x00);
            x[i] ^= (uint8_t)(m ^ k2[i]);
        }
        mc_wipe(k2, sizeof k2);
    }
    enc(ctx, x, out);
    mc_wipe(l, sizeof l);
    mc_wipe(k, sizeof k);
    mc_wipe(x, sizeof x);
}

/* ---- GCM ------------------------------------------------------------------------------- */

static uint64_t load64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

static void store64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* x = x * H in GF(2^128), GCM bit order. Bit-serial with masks instead of branches or tables, so
 * the timing does not depend on H (secret) or the data: slow (128 steps a block) but small, and
 * only SM4-GCM payloads and envelopes go through it. */
static void gf_mul(uint8_t x[16], const uint8_t h[16]) {
    uint64_t zh = 0, zl = 0, vh = load64(h), vl = load64(h + 8);
    for (int i = 0; i < 128; i++) {
        uint64_t bit = (uint64_t)((x[i >> 3] >> (7 - (i & 7))) & 1u);
        uint64_t m = 0u - bit;
        zh ^= vh & m;
        zl ^= vl & m;
        uint64_t lsb = 0u - (vl & 1u);
        vl = (vl >> 1) | (vh << 63);
        vh = (vh >> 1) ^ (0xe100000000000000ull & lsb);
    }
    store64(x, zh);
    store64(x + 8, zl);
}

static void ghash_update(uint8_t y[16], const uint8_t h[16], const uint8_t *data, size_t len) {
    while (len > 0) {
        size_t n = len < 16 ? len : 16;
        for (size_t i = 0; i < n; i++) y[i] ^= data[i];
        gf_mul(y, h);
        data += n;
        len -= n;
    }
}

static void inc32(uint8_t ctr[16]) {
    for (int i = 15; i >= 12; i--) {
        if (++ctr[i] != 0) break;
    }
}

void mc_mode_gcm(mc_block_fn enc, const void *ctx, int encrypt, const uint8_t nonce[12], const uint8_t *aad,
                 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t computed_tag[16]) {
    uint8_t h[16] = {0}, j0[16], ctr[16], ks[16], y[16] = {0}, lens[16];
    enc(ctx, h, h);
    memcpy(j0, nonce, 12);
    j0[12] = 0;
    j0[13] = 0;
    j0[14] = 0;
    j0[15] = 1;
    memcpy(ctr, j0, 16);
    ghash_update(y, h, aad, aad_len);
    for (size_t off = 0; off < len; off += 16) {
        size_t n = len - off < 16 ? len - off : 16;
        inc32(ctr);
        enc(ctx, ctr, ks);
        if (!encrypt) ghash_update(y, h, in + off, n); /* hash the ciphertext before in==out overwrites it */
        for (size_t i = 0; i < n; i++) out[off + i] = (uint8_t)(in[off + i] ^ ks[i]);
        if (encrypt) ghash_update(y, h, out + off, n);
    }
    store64(lens, (uint64_t)aad_len * 8u);
    store64(lens + 8, (uint64_t)len * 8u);
    ghash_update(y, h, lens, 16);
    enc(ctx, j0, ks);
    for (int i = 0; i < 16; i++) computed_tag[i] = (uint8_t)(y[i] ^ ks[i]);
    mc_wipe(h, sizeof h);
    mc_wipe(ks, sizeof ks);
    mc_wipe(y, sizeof y);
}

/* ---- SM4 (GB/T 32907-2016) -------------------------------------------------------------- */

static const uint8_t SM4_SBOX[256] = {
    0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7, 0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05,
    0x2b, 0x67, 0x9a, 0x76, 0x2a, 0xbe, 0x04, 0xc3, 0xaa, 0x44, 0x13, 0x26, 0x49, 0x86, 0x06, 0x99,
    0x9c, 0x42, 0x50, 0xf4, 0x91, 0xef, 0x98, 0x7a, 0x33, 0x54, 0x0b, 0x43, 0xed, 0xcf, 0xac, 0x62,
    0xe4, 0xb3, 0x1c, 0xa9, 0xc9, 0x08, 0xe8, 0x95, 0x80, 0xdf, 0x94, 0xfa, 0x75, 0x8f, 0x3f, 0xa6,
    0x47, 0x07, 0xa7, 0xfc, 0xf3, 0x73, 0x17, 0xba, 0x83, 0x59, 0x3c, 0x19, 0xe6, 0x85, 0x4f, 0xa8,
    0x68, 0x6b, 0x81, 0xb2, 0x71, 0x64, 0xda, 0x8b, 0xf8, 0xeb, 0x0f, 0x4b, 0x70, 0x56, 0x9d, 0x35,
    0x1e, 0x24, 0x0e, 0x5e, 0x63, 0x58, 0xd1, 0xa2, 0x25, 0x22, 0x7c, 0x3b, 0x01, 0x21, 0x78, 0x87,
    0xd4, 0x00, 0x46, 0x57, 0x9f, 0xd3, 0x27, 0x52, 0x4c, 0x36, 0x02, 0xe7, 0xa0, 0xc4, 0xc8, 0x9e,
    0xea, 0xbf, 0x8a, 0xd2, 0x40, 0xc7, 0x38, 0xb5, 0xa3, 0xf7, 0xf2, 0xce, 0xf9, 0x61, 0x15, 0xa1,
    0xe0, 0xae, 0x5d, 0xa4, 0x9b, 0x34, 0x1a, 0x55, 0xad, 0x93, 0x32, 0x30, 0xf5, 0x8c, 0xb1, 0xe3,
    0x1d, 0xf6, 0xe2, 0x2e, 0x82, 0x66, 0xca, 0x60, 0xc0, 0x29, 0x23, 0xab, 0x0d, 0x53, 0x4e, 0x6f,
    0xd5, 0xdb, 0x37, 0x45, 0xde, 0xfd, 0x8e, 0x2f, 0x03, 0xff, 0x6a, 0x72, 0x6d, 0x6c, 0x5b, 0x51,
    0x8d, 0x1b, 0xaf, 0x92, 0xbb, 0xdd, 0xbc, 0x7f, 0x11, 0xd9, 0x5c, 0x41, 0x1f, 0x10, 0x5a, 0xd8,
    0x0a, 0xc1, 0x31, 0x88, 0xa5, 0xcd, 0x7b, 0xbd, 0x2d, 0x74, 0xd0, 0x12, 0xb8, 0xe5, 0xb4, 0xb0,
    0x89, 0x69, 0x97, 0x4a, 0x0c, 0x96, 0x77, 0x7e, 0x65, 0xb9, 0xf1, 0x09, 0xc5, 0x6e, 0xc6, 0x84,
    0x18, 0xf0, 0x7d, 0xec, 0x3a, 0xdc, 0x4d, 0x20, 0x79, 0xee, 0x5f, 0x3e, 0xd7, 0xcb, 0x39, 0x48};

static uint32_t rotl(uint32_t x, int n) { return (x << (n & 31)) | (x >> ((32 - n) & 31)); } /* n = 0 occurs in SM3 */

static uint32_t tau(uint32_t a) {
    return (uint32_t)SM4_SBOX[a >> 24] << 24 | (uint32_t)SM4_SBOX[(a >> 16) & 0xff] << 16 |
           (uint32_t)SM4_SBOX[(a >> 8) & 0xff] << 8 | SM4_SBOX[a & 0xff];
}

static uint32_t load32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void mc_sm4_setkey(mc_sm4_ctx *ctx, const uint8_t key[16]) {
    static const uint32_t FK[4] = {0xa3b1bac6u, 0x56aa3350u, 0x677d9197u, 0xb27022dcu};
    uint32_t k[4];
    for (int i = 0; i < 4; i++) k[i] = load32(key + 4 * i) ^ FK[i];
    for (int i = 0; i < 32; i++) {
        /* CK_i bytes are (4i + j) * 7 mod 256 (GB/T 32907 section 7.3) */
        uint32_t ck = 0;
        for (int j = 0; j < 4; j++) ck = (ck << 8) | (uint32_t)(((4 * i + j) * 7) & 0xff);
        uint32_t t = tau(k[1] ^ k[2] ^ k[3] ^ ck);
        uint32_t rk = k[0] ^ t ^ rotl(t, 13) ^ rotl(t, 23);
        ctx->rk[i] = rk;
        k[0] = k[1];
        k[1] = k[2];
        k[2] = k[3];
        k[3] = rk;
    }
    mc_wipe(k, sizeof k);
}

void mc_sm4_encrypt(const void *vctx, const uint8_t in[16], uint8_t out[16]) {
    const mc_sm4_ctx *ctx = (const mc_sm4_ctx *)vctx;
    uint32_t x[4];
    for (int i = 0; i < 4; i++) x[i] = load32(in + 4 * i);
    for (int i = 0; i < 32; i++) {
        uint32_t t = tau(x[1] ^ x[2] ^ x[3] ^ ctx->rk[i]);
        uint32_t n = x[0] ^ t ^ rotl(t, 2) ^ rotl(t, 10) ^ rotl(t, 18) ^ rotl(t, 24);
        x[0] = x[1];
        x[1] = x[2];
        x[2] = x[3];
        x[3] = n;
    }
    store32(out, x[3]);
    store32(out + 4, x[2]);
    store32(out + 8, x[1]);
    store32(out + 12, x[0]);
    mc_wipe(x, sizeof x);
}

/* ---- SM3 (GB/T 32905-2016) -------------------------------------------------------------- */

static void sm3_block(uint32_t v[8], const uint8_t b[64]) {
    uint32_t w[68], a = v[0], bb = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
    for (int j = 0; j < 16; j++) w[j] = load32(b + 4 * j);
    for (int j = 16; j < 68; j++) {
        uint32_t x = w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15);
        w[j] = (x ^ rotl(x, 15) ^ rotl(x, 23)) ^ rotl(w[j - 13], 7) ^ w[j - 6];
    }
    for (int j = 0; j < 64; j++) {
        uint32_t tj = j < 16 ? 0x79cc4519u : 0x7a879d8au;
        uint32_t ss1 = rotl(rotl(a, 12) + e + rotl(tj, j % 32), 7);
        uint32_t ss2 = ss1 ^ rotl(a, 12);
        uint32_t w1 = w[j] ^ w[j + 4];
        uint32_t ff = j < 16 ? (a ^ bb ^ c) : ((a & bb) | (a & c) | (bb & c));
        uint32_t gg = j < 16 ? (e ^ f ^ g) : ((e & f) | (~e & g));
        uint32_t tt1 = ff + d + ss2 + w1;
        uint32_t tt2 = gg + h + ss1 + w[j];
        d = c;
        c = rotl(bb, 9);
        bb = a;
        a = tt1;
        h = g;
        g = rotl(f, 19);
        f = e;
        e = tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17);
    }
    v[0] ^= a;
    v[1] ^= bb;
    v[2] ^= c;
    v[3] ^= d;
    v[4] ^= e;
    v[5] ^= f;
    v[6] ^= g;
    v[7] ^= h;
    mc_wipe(w, sizeof w); /* the hashed message may be a seed (UPDATE key derivation) */
}

void mc_sm3_init(mc_sm3_ctx *ctx) {
    static const uint32_t IV[8] = {0x7380166fu, 0x4914b2b9u, 0x172442d7u, 0xda8a0600u,
                                   0xa96f30bcu, 0x163138aau, 0xe38dee4du, 0xb0fb0e4eu};
    memcpy(ctx->v, IV, sizeof IV);
    ctx->buf_len = 0;
    ctx->total = 0;
}

void mc_sm3_update(mc_sm3_ctx *ctx, const uint8_t *data, size_t len) {
    ctx->total += len;
    while (len > 0) {
        size_t n = 64 - ctx->buf_len;
        if (n > len) n = len;
        memcpy(ctx->buf + ctx->buf_len, data, n);
        ctx->buf_len += n;
        data += n;
        len -= n;
        if (ctx->buf_len == 64) {
            sm3_block(ctx->v, ctx->buf);
            ctx->buf_len = 0;
        }
    }
}

void mc_sm3_final(mc_sm3_ctx *ctx, uint8_t out[32]) {
    uint64_t bits = ctx->total * 8u;
    uint8_t pad = 0x80;
    uint8_t zero = 0;
    uint8_t lenb[8];
    mc_sm3_update(ctx, &pad, 1);
    while (ctx->buf_len != 56) mc_sm3_update(ctx, &zero, 1);
    store64(lenb, bits);
    mc_sm3_update(ctx, lenb, 8);
    for (int i = 0; i < 8; i++) store32(out + 4 * i, ctx->v[i]);
    mc_wipe(ctx, sizeof *ctx);
}
