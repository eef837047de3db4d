/* Codecs, CSK derivation, certificates and envelopes: docs/protocol.md sections 3-7. Stateless. */
#include <string.h>

#include "microcert/mc_backend.h"
#include "microcert/microcert.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* A volatile function pointer keeps the compiler from proving the memset dead (C99 has no
 * memset_s / explicit_bzero). */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void mc_wipe(void *p, size_t n) {
    if (p != NULL && n > 0) wipe_memset(p, 0, n);
}

int mc_ct_equal(const uint8_t *a, const uint8_t *b, size_t n) {
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++) d |= (uint8_t)(a[i] ^ b[i]);
    /* 1 iff d == 0, without a data-dependent branch */
    return (int)(1u & (((uint32_t)d - 1u) >> 8));
}

static void put16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static void put64(uint8_t *p, uint64_t v) {
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}
static uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }

static int suite_known(uint32_t b) { return b == MC_SUITE_AES128 || b == MC_SUITE_SM4; }

const char *mc_status_name(mc_status s) {
    static const char *const names[] = {
        "OK", "TOO_SHORT", "TOO_LONG", "BAD_LENGTH", "UNKNOWN_VERSION", "UNKNOWN_TYPE", "UNKNOWN_SUITE",
        "UNKNOWN_KIND", "UNKNOWN_COMMAND", "BAD_FIELD", "BAD_TAG", "STALE_TIMESTAMP", "FUTURE_TIMESTAMP",
        "SEED_EXPIRED", "MALFORMED", "UNSUPPORTED_SUITE", "WRONG_TYPE", "WRONG_SENSOR", "WRONG_SEED_VERSION",
        "REPLAY", "REVOKED", "ERR_ARGUMENT", "ERR_BUFFER", "ERR_RNG", "ERR_CLOCK", "ERR_STORAGE",
        "ERR_CRYPTO", "ERR_NO_PENDING"};
    if ((unsigned)s >= sizeof names / sizeof names[0]) return "UNKNOWN_STATUS";
    return names[s];
}

/* Days since 1970-01-01 to the proleptic Gregorian date (H. Hinnant's civil_from_days). */
void mc_utc_date(uint32_t timestamp, int *year, int *month, int *day) {
    int32_t z = (int32_t)(timestamp / 86400u) + 719468;
    int32_t era = z / 146097; /* z >= 0 for any u32 timestamp */
    int32_t doe = z - era * 146097;
    int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t y = yoe + era * 400;
    int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int32_t mp = (5 * doy + 2) / 153;
    int32_t d = doy - (153 * mp + 2) / 5 + 1;
    int32_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(y + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

/* ---- seed --------------------------------------------------------------------------------- */

mc_status mc_seed_decode(const uint8_t *in, size_t len, mc_seed *out) {
    if (out == NULL || (in == NULL && len > 0)) return MC_ERR_ARGUMENT;
    if (len < MC_SEED_BYTES) return MC_TOO_SHORT;
    if (len > MC_SEED_BYTES) return MC_TOO_LONG;
    if (in[0] != 0x01) return MC_UNKNOWN_VERSION;
    uint32_t version = get32(in + 1);
    if (version < 1 || version >= 0x80000000u) return MC_BAD_FIELD; /* Java int: >= 2^31 is negative */
    uint32_t epoch = get16(in + 5);
    if (epoch < MC_MIN_EPOCH_YEAR || epoch > MC_MAX_EPOCH_YEAR) return MC_BAD_FIELD;
    out->version = version;
    out->epoch_year = (uint16_t)epoch;
    memcpy(out->rows, in + 7, sizeof out->rows);
    return MC_OK;
}

mc_status mc_seed_encode(const mc_seed *seed, uint8_t *out, size_t cap) {
    if (seed == NULL || out == NULL) return MC_ERR_ARGUMENT;
    if (cap < MC_SEED_BYTES) return MC_ERR_BUFFER;
    out[0] = 0x01;
    put32(out + 1, seed->version);
    put16(out + 5, seed->epoch_year);
    memcpy(out + 7, seed->rows, sizeof seed->rows);
    return MC_OK;
}

void mc_seed_wipe(mc_seed *seed) { mc_wipe(seed, sizeof *seed); }

/* ---- CSK ---------------------------------------------------------------------------------- */

mc_status mc_csk_select_rows(uint16_t epoch_year, uint32_t timestamp, uint64_t random, uint8_t rows_out[5]) {
    int year, month, day;
    if (rows_out == NULL) return MC_ERR_ARGUMENT;
    mc_utc_date(timestamp, &year, &month, &day);
    int y = year - (int)epoch_year;
    if (y < 0 || y > 4) return MC_SEED_EXPIRED;
    uint8_t perm[13];
    for (uint8_t i = 0; i < 13; i++) perm[i] = i;
    for (int i = 0; i < 2; i++) { /* partial Fisher-Yates driven by the random's top bytes */
        uint8_t b = (uint8_t)(random >> (56 - 8 * i));
        int j = i + b % (13 - i);
        uint8_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    rows_out[0] = (uint8_t)y;
    rows_out[1] = (uint8_t)(5 + month - 1);
    rows_out[2] = (uint8_t)(17 + day - 1);
    rows_out[3] = (uint8_t)(48 + perm[0]);
    rows_out[4] = (uint8_t)(48 + perm[1]);
    return MC_OK;
}

mc_status mc_csk_derive(const mc_seed *seed, mc_suite suite, mc_purpose purpose, uint64_t sensor_id,
                        uint32_t timestamp, uint64_t random, uint8_t key_out[MC_KEY_BYTES]) {
    uint8_t sel[5], m[96];
    if (seed == NULL || key_out == NULL || !suite_known(suite) || purpose < MC_PURPOSE_AUTH ||
        purpose > MC_PURPOSE_COMMAND)
        return MC_ERR_ARGUMENT;
    mc_status st = mc_csk_select_rows(seed->epoch_year, timestamp, random, sel);
    if (st != MC_OK) return st;
    m[0] = 0x01;
    m[1] = 'C';
    m[2] = 'S';
    m[3] = 'K';
    m[4] = (uint8_t)purpose;
    m[5] = (uint8_t)suite;
    put64(m + 6, sensor_id);
    put32(m + 14, timestamp);
    put64(m + 18, random);
    m[26] = 0x00;
    m[27] = 0x80;
    put32(m + 28, 0);
    for (int i = 1; i < 5; i++) memcpy(m + 32 + 16 * (i - 1), seed->rows + 16u * sel[i], 16);
    st = mc_be_cmac(suite, seed->rows + 16u * sel[0], m, sizeof m, key_out);
    mc_wipe(m, sizeof m);
    if (st != MC_OK) mc_wipe(key_out, MC_KEY_BYTES);
    return st;
}

/* ---- certificates ------------------------------------------------------------------------- */

static mc_purpose purpose_of(mc_cert_type t) {
    switch (t) {
        case MC_TYPE_AUTH: return MC_PURPOSE_AUTH;
        case MC_TYPE_SIGN: return MC_PURPOSE_SIGN;
        case MC_TYPE_COMMAND: return MC_PURPOSE_COMMAND;
        case MC_TYPE_ENC_UP: return MC_PURPOSE_ENC_UP;
        default: return MC_PURPOSE_ENC_DOWN;
    }
}

static void write_header(uint8_t *out, mc_cert_type type, mc_suite suite, uint64_t sensor, uint32_t ts,
                         uint64_t rnd) {
    out[0] = (uint8_t)(0x10 | type);
    out[1] = (uint8_t)suite;
    put64(out + 2, sensor);
    put32(out + 10, ts);
    put64(out + 14, rnd);
}

mc_status mc_cert_decode(const uint8_t *in, size_t len, mc_cert *out) {
    if (out == NULL || (in == NULL && len > 0)) return MC_ERR_ARGUMENT;
    if (len < MC_AUTH_BYTES) return MC_TOO_SHORT;
    if (len > MC_MAX_CERT_BYTES) return MC_TOO_LONG;
    if ((in[0] >> 4) != 1) return MC_UNKNOWN_VERSION;
    uint32_t type = in[0] & 0x0fu;
    if (type < MC_TYPE_AUTH || type > MC_TYPE_ENC_DOWN) return MC_UNKNOWN_TYPE;
    if (!suite_known(in[1])) return MC_UNKNOWN_SUITE;
    size_t tag_len = type >= MC_TYPE_ENC_UP ? MC_AEAD_TAG_BYTES : MC_TAG_BYTES;
    if (type == MC_TYPE_AUTH || type == MC_TYPE_SIGN || type == MC_TYPE_COMMAND) {
        size_t expected = type == MC_TYPE_COMMAND ? MC_COMMAND_BYTES : MC_AUTH_BYTES;
        if (len != expected) return len < expected ? MC_TOO_SHORT : MC_TOO_LONG;
    } else if (len < MC_HEADER_BYTES + tag_len) {
        return MC_TOO_SHORT;
    }
    mc_cert c;
    memset(&c, 0, sizeof c);
    c.type = (mc_cert_type)type;
    c.suite = (mc_suite)in[1];
    c.sensor_id = get64(in + 2);
    c.timestamp = get32(in + 10);
    c.random = get64(in + 14);
    c.header = in;
    c.body = in + MC_HEADER_BYTES;
    c.body_len = len - MC_HEADER_BYTES - tag_len;
    c.tag = in + len - tag_len;
    c.tag_len = tag_len;
    if (type == MC_TYPE_COMMAND) {
        /* the argument is a Java int: >= 2^31 reads as negative there, hence BAD_FIELD too */
        uint32_t arg = get32(c.body + 1);
        if (arg < 1 || arg >= 0x80000000u) return MC_BAD_FIELD;
        if (c.body[0] != MC_OP_SEED_UPDATE && c.body[0] != MC_OP_REVOKE) return MC_UNKNOWN_COMMAND;
        c.op = (mc_op)c.body[0];
        c.argument = arg;
    }
    *out = c;
    return MC_OK;
}

/* mac_out = CMAC_K(header || body-or-digest), K = CSK(type's purpose). */
static mc_status compute_tag(const mc_seed *seed, mc_cert_type type, mc_suite suite, const uint8_t header[22],
                             const uint8_t *extra, size_t extra_len, uint8_t mac_out[16]) {
    uint8_t key[16], in[MC_HEADER_BYTES + MC_DIGEST_BYTES];
    mc_status st = mc_csk_derive(seed, suite, purpose_of(type), get64(header + 2), get32(header + 10),
                                 get64(header + 14), key);
    if (st != MC_OK) return st;
    memcpy(in, header, MC_HEADER_BYTES);
    if (extra_len > 0) memcpy(in + MC_HEADER_BYTES, extra, extra_len);
    st = mc_be_cmac(suite, key, in, MC_HEADER_BYTES + extra_len, mac_out);
    mc_wipe(key, sizeof key);
    return st;
}

mc_status mc_cert_make_tagged(const mc_seed *seed, mc_cert_type type, mc_suite suite, uint64_t sensor_id,
                              uint32_t timestamp, uint64_t random, const uint8_t *data, size_t data_len,
                              mc_op op, uint32_t argument, uint8_t *out, size_t cap, size_t *out_len) {
    uint8_t extra[MC_DIGEST_BYTES], mac[16];
    size_t extra_len = 0, total;
    if (seed == NULL || out == NULL || !suite_known(suite) || (data == NULL && data_len > 0)) return MC_ERR_ARGUMENT;
    if (type == MC_TYPE_AUTH || type == MC_TYPE_SIGN) {
        total = MC_AUTH_BYTES;
    } else if (type == MC_TYPE_COMMAND) {
        if ((op != MC_OP_SEED_UPDATE && op != MC_OP_REVOKE) || argument < 1 || argument >= 0x80000000u)
            return MC_ERR_ARGUMENT;
        total = MC_COMMAND_BYTES;
    } else {
        return MC_ERR_ARGUMENT;
    }
    if (cap < total) return MC_ERR_BUFFER;
    write_header(out, type, suite, sensor_id, timestamp, random);
    mc_status st = MC_OK;
    if (type == MC_TYPE_SIGN) {
        mc_chunk c = {data, data_len};
        st = mc_be_hash(suite, &c, 1, extra);
        extra_len = MC_DIGEST_BYTES;
    } else if (type == MC_TYPE_COMMAND) {
        extra[0] = (uint8_t)op;
        put32(extra + 1, argument);
        memcpy(out + MC_HEADER_BYTES, extra, 5);
        extra_len = 5;
    }
    if (st == MC_OK) st = compute_tag(seed, type, suite, out, extra, extra_len, mac);
    if (st == MC_OK) {
        memcpy(out + total - MC_TAG_BYTES, mac, MC_TAG_BYTES);
        if (out_len != NULL) *out_len = total;
    } else {
        mc_wipe(out, total);
    }
    mc_wipe(mac, sizeof mac);
    return st;
}

mc_status mc_cert_check_tag(const mc_seed *seed, const mc_cert *cert, const uint8_t *data, size_t data_len) {
    uint8_t extra[MC_DIGEST_BYTES], mac[16];
    size_t extra_len = 0;
    if (seed == NULL || cert == NULL || (data == NULL && data_len > 0)) return MC_ERR_ARGUMENT;
    if (cert->type == MC_TYPE_SIGN) {
        mc_chunk c = {data, data_len};
        mc_status st = mc_be_hash(cert->suite, &c, 1, extra);
        if (st != MC_OK) return st;
        extra_len = MC_DIGEST_BYTES;
    } else if (cert->type == MC_TYPE_COMMAND) {
        memcpy(extra, cert->body, 5);
        extra_len = 5;
    } else if (cert->type != MC_TYPE_AUTH) {
        return MC_ERR_ARGUMENT;
    }
    mc_status st = compute_tag(seed, cert->type, cert->suite, cert->header, extra, extra_len, mac);
    if (st == MC_OK && !mc_ct_equal(mac, cert->tag, MC_TAG_BYTES)) st = MC_BAD_TAG;
    mc_wipe(mac, sizeof mac);
    return st;
}

static void payload_nonce(uint8_t nonce[12], uint64_t random, uint32_t timestamp) {
    put64(nonce, random);
    put32(nonce + 8, timestamp);
}

mc_status mc_cert_make_encrypted(const mc_seed *seed, mc_cert_type type, mc_suite suite, uint64_t sensor_id,
                                 uint32_t timestamp, uint64_t random, const uint8_t *plaintext, size_t len,
                                 uint8_t *out, size_t cap, size_t *out_len) {
    uint8_t key[16], nonce[12];
    if (seed == NULL || out == NULL || !suite_known(suite) || (plaintext == NULL && len > 0) ||
        (type != MC_TYPE_ENC_UP && type != MC_TYPE_ENC_DOWN) || len > MC_MAX_PAYLOAD)
        return MC_ERR_ARGUMENT;
    if (cap < len + MC_ENC_OVERHEAD) return MC_ERR_BUFFER;
    mc_status st = mc_csk_derive(seed, suite, purpose_of(type), sensor_id, timestamp, random, key);
    if (st != MC_OK) return st;
    write_header(out, type, suite, sensor_id, timestamp, random);
    payload_nonce(nonce, random, timestamp);
    st = mc_be_gcm_seal(suite == MC_SUITE_SM4 ? MC_AEAD_SM4 : MC_AEAD_AES128, key, nonce, out, MC_HEADER_BYTES,
                        plaintext, len, out + MC_HEADER_BYTES, out + MC_HEADER_BYTES + len);
    mc_wipe(key, sizeof key);
    if (st != MC_OK) {
        mc_wipe(out, len + MC_ENC_OVERHEAD);
        return st;
    }
    if (out_len != NULL) *out_len = len + MC_ENC_OVERHEAD;
    return MC_OK;
}

mc_status mc_cert_open(const mc_seed *seed, const mc_cert *cert, uint8_t *out, size_t cap, size_t *out_len) {
    uint8_t key[16], nonce[12];
    if (seed == NULL || cert == NULL || (out == NULL && cap > 0) ||
        (cert->type != MC_TYPE_ENC_UP && cert->type != MC_TYPE_ENC_DOWN))
        return MC_ERR_ARGUMENT;
    if (cap < cert->body_len) return MC_ERR_BUFFER;
    mc_status st = mc_csk_derive(seed, cert->suite, purpose_of(cert->type), cert->sensor_id, cert->timestamp,
                                 cert->random, key);
    if (st != MC_OK) return st;
    payload_nonce(nonce, cert->random, cert->timestamp);
    st = mc_be_gcm_open(cert->suite == MC_SUITE_SM4 ? MC_AEAD_SM4 : MC_AEAD_AES128, key, nonce, cert->header,
                        MC_HEADER_BYTES, cert->body, cert->body_len, cert->tag, out);
    mc_wipe(key, sizeof key);
    if (st != MC_OK) {
        if (out != NULL) mc_wipe(out, cert->body_len);
        return st;
    }
    if (out_len != NULL) *out_len = cert->body_len;
    return MC_OK;
}

/* The skew window (docs/protocol.md section 6, step 4), in 64-bit so no bound wraps. */

mc_status mc_check_freshness(uint32_t timestamp, uint32_t now, uint32_t max_skew) {
    int64_t t = timestamp, n = now, s = max_skew;
    if (t < n - s) return MC_STALE_TIMESTAMP;
    if (t > n + s) return MC_FUTURE_TIMESTAMP;
    return MC_OK;
}

/* Decode, type and skew-window checks shared by the center-side entry points. */
static mc_status center_precheck(mc_cert_type expected, const uint8_t *bytes, size_t len, uint32_t now,
                                 uint32_t max_skew, mc_cert *c) {
    mc_status st = mc_cert_decode(bytes, len, c);
    if (st == MC_UNKNOWN_SUITE) return MC_UNSUPPORTED_SUITE;
    if (st == MC_ERR_ARGUMENT) return st;
    if (st != MC_OK) return MC_MALFORMED;
    if (c->type != expected) return MC_WRONG_TYPE;
    return mc_check_freshness(c->timestamp, now, max_skew);
}

mc_status mc_center_verify(const mc_seed *seed, mc_cert_type expected, const uint8_t *bytes, size_t len,
                           const uint8_t *data, size_t data_len, uint32_t now, uint32_t max_skew) {
    mc_cert c;
    if (seed == NULL || (expected != MC_TYPE_AUTH && expected != MC_TYPE_SIGN)) return MC_ERR_ARGUMENT;
    mc_status st = center_precheck(expected, bytes, len, now, max_skew, &c);
    if (st != MC_OK) return st;
    return mc_cert_check_tag(seed, &c, data, data_len);
}

mc_status mc_center_decrypt(const mc_seed *seed, const uint8_t *bytes, size_t len, uint32_t now, uint32_t max_skew,
                            uint8_t *out, size_t cap, size_t *out_len) {
    mc_cert c;
    if (seed == NULL) return MC_ERR_ARGUMENT;
    mc_status st = center_precheck(MC_TYPE_ENC_UP, bytes, len, now, max_skew, &c);
    if (st != MC_OK) return st;
    return mc_cert_open(seed, &c, out, cap, out_len);
}

/* ---- envelopes ---------------------------------------------------------------------------- */

mc_status mc_envelope_decode(const uint8_t *in, size_t len, mc_envelope *out) {
    if (out == NULL || (in == NULL && len > 0)) return MC_ERR_ARGUMENT;
    if (len < MC_ENVELOPE_BYTES) return MC_TOO_SHORT;
    if (len > MC_ENVELOPE_BYTES) return MC_TOO_LONG;
    if (in[0] != 0x01) return MC_UNKNOWN_VERSION;
    if (in[1] != MC_KIND_TRANSPORT && in[1] != MC_KIND_UPDATE) return MC_UNKNOWN_KIND;
    if (!suite_known(in[2])) return MC_UNKNOWN_SUITE;
    uint32_t v = get32(in + 11);
    if (v < 1 || v >= 0x80000000u) return MC_BAD_FIELD;
    out->kind = (mc_envelope_kind)in[1];
    out->suite = (mc_suite)in[2];
    out->sensor_id = get64(in + 3);
    out->seed_version = v;
    out->header = in;
    out->nonce = in + MC_ENVELOPE_HEADER_BYTES;
    out->ciphertext = in + MC_ENVELOPE_HEADER_BYTES + 12;
    return MC_OK;
}

static void envelope_header(uint8_t *out, mc_envelope_kind kind, mc_suite suite, uint64_t sensor, uint32_t version) {
    out[0] = 0x01;
    out[1] = (uint8_t)kind;
    out[2] = (uint8_t)suite;
    put64(out + 3, sensor);
    put32(out + 11, version);
}

/* Seals the seed's serialised form in place inside out: the plaintext is written to its final
 * position and encrypted there, so no second 983-byte buffer is needed on the stack. */
static mc_status seal_seed(mc_aead alg, const uint8_t *key, const mc_seed *seed, uint8_t *out) {
    uint8_t *ct = out + MC_ENVELOPE_HEADER_BYTES + 12;
    mc_status st = mc_seed_encode(seed, ct, MC_SEED_BYTES);
    if (st == MC_OK)
        st = mc_be_gcm_seal(alg, key, out + MC_ENVELOPE_HEADER_BYTES, out, MC_ENVELOPE_HEADER_BYTES, ct,
                            MC_SEED_BYTES, ct, ct + MC_SEED_BYTES);
    if (st != MC_OK) mc_wipe(out, MC_ENVELOPE_BYTES);
    return st;
}

mc_status mc_envelope_seal_transport(const uint8_t k_trans[MC_TRANSPORT_KEY_BYTES], uint64_t sensor_id,
                                     mc_suite suite, const mc_seed *seed, const uint8_t nonce[12],
                                     uint8_t out[MC_ENVELOPE_BYTES]) {
    if (k_trans == NULL || seed == NULL || nonce == NULL || out == NULL || !suite_known(suite))
        return MC_ERR_ARGUMENT;
    envelope_header(out, MC_KIND_TRANSPORT, suite, sensor_id, seed->version);
    memcpy(out + MC_ENVELOPE_HEADER_BYTES, nonce, 12);
    return seal_seed(MC_AEAD_AES256, k_trans, seed, out);
}

/* H(00000001 || Z || label || header), Z streamed 16 rows at a time through a small buffer. */
mc_status mc_update_key(const mc_seed *current, mc_suite suite, const uint8_t header[MC_ENVELOPE_HEADER_BYTES],
                        uint8_t key_out[MC_KEY_BYTES]) {
    static const uint8_t counter[4] = {0, 0, 0, 1};
    static const char label[] = "MicroCert seed update";
    uint8_t zhead[7], digest[32];
    if (current == NULL || header == NULL || key_out == NULL || !suite_known(suite)) return MC_ERR_ARGUMENT;
    zhead[0] = 0x01;
    put32(zhead + 1, current->version);
    put16(zhead + 5, current->epoch_year);
    mc_chunk chunks[5] = {{counter, 4},
                          {zhead, 7},
                          {current->rows, sizeof current->rows},
                          {(const uint8_t *)label, sizeof label - 1},
                          {header, MC_ENVELOPE_HEADER_BYTES}};
    mc_status st = mc_be_hash(suite, chunks, 5, digest);
    if (st == MC_OK) memcpy(key_out, digest, MC_KEY_BYTES);
    mc_wipe(digest, sizeof digest);
    return st;
}

mc_status mc_envelope_seal_update(const mc_seed *current, uint64_t sensor_id, mc_suite suite,
                                  const mc_seed *next, const uint8_t nonce[12], uint8_t out[MC_ENVELOPE_BYTES]) {
    uint8_t key[16];
    if (current == NULL || next == NULL || nonce == NULL || out == NULL || !suite_known(suite))
        return MC_ERR_ARGUMENT;
    if (next->version != current->version + 1) return MC_WRONG_SEED_VERSION;
    envelope_header(out, MC_KIND_UPDATE, suite, sensor_id, next->version);
    memcpy(out + MC_ENVELOPE_HEADER_BYTES, nonce, 12);
    mc_status st = mc_update_key(current, suite, out, key);
    if (st == MC_OK) st = seal_seed(suite == MC_SUITE_SM4 ? MC_AEAD_SM4 : MC_AEAD_AES128, key, next, out);
    mc_wipe(key, sizeof key);
    return st;
}

/* Decrypts into a local buffer, parses, checks the version; the plaintext is always wiped. */
static mc_status open_seed(mc_aead alg, const uint8_t *key, const mc_envelope *e, mc_seed *seed_out) {
    uint8_t plain[MC_SEED_BYTES];
    mc_status st = mc_be_gcm_open(alg, key, e->nonce, e->header, MC_ENVELOPE_HEADER_BYTES, e->ciphertext,
                                  MC_SEED_BYTES, e->ciphertext + MC_SEED_BYTES, plain);
    if (st == MC_OK) {
        st = mc_seed_decode(plain, sizeof plain, seed_out);
        if (st != MC_OK) {
            st = MC_MALFORMED;
        } else if (seed_out->version != e->seed_version) {
            mc_seed_wipe(seed_out);
            st = MC_WRONG_SEED_VERSION;
        }
    }
    mc_wipe(plain, sizeof plain);
    return st;
}

static mc_status decode_for_open(const uint8_t *in, size_t len, mc_envelope *e) {
    mc_status st = mc_envelope_decode(in, len, e);
    if (st == MC_UNKNOWN_SUITE) return MC_UNSUPPORTED_SUITE;
    if (st != MC_OK && st != MC_ERR_ARGUMENT) return MC_MALFORMED;
    return st;
}

mc_status mc_envelope_open_transport(const uint8_t k_trans[MC_TRANSPORT_KEY_BYTES], const uint8_t *in, size_t len,
                                     mc_seed *seed_out) {
    mc_envelope e;
    if (k_trans == NULL || seed_out == NULL) return MC_ERR_ARGUMENT;
    mc_status st = decode_for_open(in, len, &e);
    if (st != MC_OK) return st;
    if (e.kind != MC_KIND_TRANSPORT) return MC_WRONG_TYPE;
    return open_seed(MC_AEAD_AES256, k_trans, &e, seed_out);
}

mc_status mc_envelope_open_update(const mc_seed *current, const uint8_t *in, size_t len, mc_seed *seed_out) {
    mc_envelope e;
    uint8_t key[16];
    if (current == NULL || seed_out == NULL) return MC_ERR_ARGUMENT;
    mc_status st = decode_for_open(in, len, &e);
    if (st != MC_OK) return st;
    if (e.kind != MC_KIND_UPDATE) return MC_WRONG_TYPE;
    if (e.seed_version != current->version + 1) return MC_WRONG_SEED_VERSION;
    st = mc_update_key(current, e.suite, e.header, key);
    if (st == MC_OK) st = open_seed(e.suite == MC_SUITE_SM4 ? MC_AEAD_SM4 : MC_AEAD_AES128, key, &e, seed_out);
    mc_wipe(key, sizeof key);
    return st;
}
