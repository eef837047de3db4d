/* Every vector of protocol/src/test/resources/vectors (csk, certificates, envelopes, negative), both
 * suites, positive and negative, against the linked backend. The oracle is the Java reference. */
#include "microcert/mc_backend.h"
#include "testutil.h"
#include "tv.h"

static const char *get(const tv_vector *v, const char *key) {
    for (size_t i = 0; i < v->count; i++) {
        if (strcmp(v->pairs[i].key, key) == 0) return v->pairs[i].value;
    }
    return NULL;
}

static const char *need(const tv_vector *v, const char *key) {
    const char *s = get(v, key);
    if (s == NULL) {
        fprintf(stderr, "vector without field %s\n", key);
        exit(2);
    }
    return s;
}

static const tv_file *file(const char *name) {
    for (size_t i = 0; i < tv_file_count; i++) {
        if (strcmp(tv_files[i].name, name) == 0) return &tv_files[i];
    }
    fprintf(stderr, "no vector file %s\n", name);
    exit(2);
}

static void seed_of(const tv_file *f, const char *name, mc_seed *out, uint8_t raw[MC_SEED_BYTES]) {
    for (size_t i = 0; i < f->seed_count; i++) {
        if (strcmp(f->seeds[i].key, name) == 0) {
            size_t n = unhex(f->seeds[i].value, raw, MC_SEED_BYTES);
            mc_status st = mc_seed_decode(raw, n, out);
            if (st != MC_OK) {
                fprintf(stderr, "seed %s: %s\n", name, mc_status_name(st));
                exit(2);
            }
            return;
        }
    }
    fprintf(stderr, "no seed %s\n", name);
    exit(2);
}

static mc_suite suite_of(const char *s) { return strcmp(s, "SM4") == 0 ? MC_SUITE_SM4 : MC_SUITE_AES128; }

static mc_purpose purpose_of(const char *s) {
    static const char *names[] = {"AUTH", "SIGN", "ENC_UP", "ENC_DOWN", "COMMAND"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0) return (mc_purpose)(i + 1);
    }
    fprintf(stderr, "purpose %s\n", s);
    exit(2);
}

static mc_cert_type type_of(const char *s) {
    static const char *names[] = {"AUTH", "SIGN", "COMMAND", "ENC_UP", "ENC_DOWN"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(s, names[i]) == 0) return (mc_cert_type)(i + 1);
    }
    fprintf(stderr, "type %s\n", s);
    exit(2);
}

static mc_status status_of(const char *s) {
    for (int i = 0; i <= MC_ERR_NO_PENDING; i++) {
        if (strcmp(mc_status_name((mc_status)i), s) == 0) return (mc_status)i;
    }
    fprintf(stderr, "status %s\n", s);
    exit(2);
}

static int seeds_equal(const mc_seed *a, const mc_seed *b) {
    return a->version == b->version && a->epoch_year == b->epoch_year && mc_ct_equal(a->rows, b->rows, sizeof a->rows);
}

static void test_csk(void) {
    const tv_file *f = file("csk");
    int positive = 0, expired = 0;
    for (size_t i = 0; i < f->vector_count; i++) {
        const tv_vector *v = &f->vectors[i];
        mc_seed seed;
        uint8_t raw[MC_SEED_BYTES], key[16], expect[16], input[96], rows[5];
        seed_of(f, need(v, "seed"), &seed, raw);
        mc_suite suite = suite_of(need(v, "suite"));
        uint32_t ts = (uint32_t)strtoul(need(v, "timestamp"), NULL, 10);
        uint64_t rnd = parse_u64_hex(need(v, "random"));
        uint64_t id = parse_u64_hex(need(v, "sensorId"));
        mc_status st = mc_csk_derive(&seed, suite, purpose_of(need(v, "purpose")), id, ts, rnd, key);
        if (get(v, "error") != NULL) {
            CHECK(st == status_of(need(v, "error")), "csk %zu: %s", i, mc_status_name(st));
            CHECK(mc_csk_select_rows(seed.epoch_year, ts, rnd, rows) == MC_SEED_EXPIRED, "csk %zu rows", i);
            expired++;
            continue;
        }
        CHECK(st == MC_OK, "csk %zu: %s", i, mc_status_name(st));
        unhex(need(v, "key"), expect, 16);
        CHECK(memcmp(key, expect, 16) == 0, "csk %zu key", i);
        /* step by step: the selected rows, and key = CMAC(Y row, cmacInput) */
        CHECK(mc_csk_select_rows(seed.epoch_year, ts, rnd, rows) == MC_OK, "csk %zu rows", i);
        char buf[64];
        snprintf(buf, sizeof buf, "%u,%u,%u,%u,%u", rows[0], rows[1], rows[2], rows[3], rows[4]);
        CHECK(strcmp(buf, need(v, "selectedRows")) == 0, "csk %zu rows %s vs %s", i, buf, need(v, "selectedRows"));
        CHECK((unsigned)atoi(need(v, "cmacKeyRow")) == rows[0], "csk %zu key row", i);
        size_t n = unhex(need(v, "cmacInput"), input, sizeof input);
        CHECK(n == 96, "csk %zu input length", i);
        /* the public block of the input is what the spec says; the rows are the seed's */
        CHECK(input[0] == 1 && memcmp(input + 1, "CSK", 3) == 0 && input[5] == (uint8_t)suite, "csk %zu block", i);
        for (int r = 1; r < 5; r++) {
            CHECK(memcmp(input + 32 + 16 * (r - 1), seed.rows + 16 * rows[r], 16) == 0, "csk %zu row %d", i, r);
        }
        CHECK(mc_be_cmac(suite, seed.rows + 16 * rows[0], input, n, key) == MC_OK && memcmp(key, expect, 16) == 0,
              "csk %zu cmac", i);
        positive++;
    }
    CHECK(positive == 40, "csk positive vectors: %d", positive);
    CHECK(expired == 4, "csk expired vectors: %d", expired);
}

static void test_certificates(void) {
    const tv_file *f = file("certificates");
    int checked = 0;
    for (size_t i = 0; i < f->vector_count; i++) {
        const tv_vector *v = &f->vectors[i];
        mc_seed seed;
        mc_cert c;
        uint8_t raw[MC_SEED_BYTES], bytes[256], made[256], key[16], expect[16], data[256], plain[256], out[256];
        seed_of(f, need(v, "seed"), &seed, raw);
        size_t len = unhex(need(v, "certificate"), bytes, sizeof bytes);
        mc_cert_type type = type_of(need(v, "type"));
        mc_suite suite = suite_of(need(v, "suite"));
        uint32_t ts = (uint32_t)strtoul(need(v, "timestamp"), NULL, 10);
        uint32_t at = (uint32_t)strtoul(need(v, "verifyAt"), NULL, 10);
        uint64_t rnd = parse_u64_hex(need(v, "random"));
        uint64_t id = parse_u64_hex(need(v, "sensorId"));
        CHECK_ST(mc_cert_decode(bytes, len, &c), MC_OK, "decode");
        CHECK(c.type == type && c.suite == suite && c.sensor_id == id && c.timestamp == ts && c.random == rnd,
              "cert %zu fields", i);
        CHECK(mc_csk_derive(&seed, suite, (mc_purpose)0, id, ts, rnd, key) == MC_ERR_ARGUMENT, "bad purpose");
        unhex(need(v, "key"), expect, 16);
        static const mc_purpose purposes[] = {0, MC_PURPOSE_AUTH, MC_PURPOSE_SIGN, MC_PURPOSE_COMMAND,
                                              MC_PURPOSE_ENC_UP, MC_PURPOSE_ENC_DOWN};
        CHECK(mc_csk_derive(&seed, suite, purposes[type], id, ts, rnd, key) == MC_OK && memcmp(key, expect, 16) == 0,
              "cert %zu key", i);
        size_t made_len = 0, dlen = 0, plen = 0, olen = 0;
        if (type == MC_TYPE_ENC_UP || type == MC_TYPE_ENC_DOWN) {
            plen = unhex(need(v, "plaintext"), plain, sizeof plain);
            CHECK_ST(mc_cert_make_encrypted(&seed, type, suite, id, ts, rnd, plain, plen, made, sizeof made, &made_len),
                     MC_OK, "make encrypted");
        } else {
            mc_op op = MC_OP_SEED_UPDATE;
            uint32_t arg = 1;
            if (type == MC_TYPE_SIGN) dlen = unhex(need(v, "data"), data, sizeof data);
            if (type == MC_TYPE_COMMAND) {
                op = strcmp(need(v, "order.op"), "REVOKE") == 0 ? MC_OP_REVOKE : MC_OP_SEED_UPDATE;
                arg = (uint32_t)atoi(need(v, "order.seedVersion"));
                CHECK(c.op == op && c.argument == arg, "cert %zu order", i);
            }
            CHECK_ST(mc_cert_make_tagged(&seed, type, suite, id, ts, rnd, data, dlen, op, arg, made, sizeof made,
                                         &made_len),
                     MC_OK, "make tagged");
        }
        /* the C library makes byte-for-byte the certificate the Java reference made */
        CHECK(made_len == len && memcmp(made, bytes, len) == 0, "cert %zu %s bytes differ", i, need(v, "type"));

        /* and accepts it where the reference does */
        t_platform tp = {0};
        tp.rng_state = 42;
        tp.now = at;
        mc_platform pf = t_platform_of(&tp);
        mc_chip chip;
        CHECK_ST(mc_chip_init(&chip, &pf, id, suite, raw, MC_SEED_BYTES, f->max_skew), MC_OK, "chip init");
        switch (type) {
            case MC_TYPE_AUTH:
            case MC_TYPE_SIGN:
                CHECK_ST(mc_center_verify(&seed, type, bytes, len, data, dlen, at, f->max_skew), MC_OK, "center verify");
                if (type == MC_TYPE_SIGN) {
                    data[0] ^= 1; /* other data must not verify; empty data is made non-empty */
                    CHECK_ST(mc_center_verify(&seed, type, bytes, len, data, dlen == 0 ? 1 : dlen, at, f->max_skew),
                             MC_BAD_TAG, "sign other data");
                }
                break;
            case MC_TYPE_ENC_UP:
                CHECK_ST(mc_center_decrypt(&seed, bytes, len, at, f->max_skew, out, sizeof out, &olen), MC_OK, "open up");
                CHECK(olen == plen && memcmp(out, plain, plen) == 0, "cert %zu plaintext", i);
                break;
            case MC_TYPE_ENC_DOWN:
                CHECK_ST(mc_chip_decrypt(&chip, bytes, len, out, sizeof out, &olen), MC_OK, "chip decrypt");
                CHECK(olen == plen && memcmp(out, plain, plen) == 0, "cert %zu plaintext", i);
                CHECK_ST(mc_chip_decrypt(&chip, bytes, len, out, sizeof out, &olen), MC_REPLAY, "replayed down");
                break;
            case MC_TYPE_COMMAND: {
                mc_op op;
                uint32_t arg;
                uint8_t env[MC_ENVELOPE_BYTES];
                CHECK_ST(mc_chip_accept(&chip, bytes, len, &op, &arg, env), MC_OK, "chip accept");
                CHECK(op == c.op && arg == c.argument, "cert %zu accepted order", i);
                if (op == MC_OP_SEED_UPDATE) {
                    mc_seed next;
                    CHECK(mc_chip_has_pending(&chip), "pending after update");
                    CHECK_ST(mc_envelope_open_update(&seed, env, sizeof env, &next), MC_OK, "center opens update");
                    CHECK(next.version == seed.version + 1, "next version");
                    CHECK(seeds_equal(&next, &chip.pending), "opened seed is the pending one");
                    CHECK_ST(mc_chip_accept(&chip, bytes, len, &op, &arg, env), MC_REPLAY, "replayed command");
                    CHECK_ST(mc_chip_activate_pending(&chip), MC_OK, "activate");
                    CHECK(mc_chip_seed_version(&chip) == seed.version + 1, "active version");
                } else {
                    CHECK(mc_chip_is_revoked(&chip), "revoked");
                    uint8_t auth[32];
                    CHECK_ST(mc_chip_authenticate(&chip, auth), MC_REVOKED, "revoked chip makes nothing");
                    CHECK_ST(mc_chip_accept(&chip, bytes, len, &op, &arg, env), MC_REVOKED, "revoked chip accepts nothing");
                    static const uint8_t zero[MC_SEED_BYTES] = {0};
                    CHECK(memcmp(tp.seed, zero, sizeof zero) == 0, "revoke persisted a wiped seed");
                }
                break;
            }
        }
        /* outside the window the same bytes are refused */
        if (type == MC_TYPE_AUTH) {
            CHECK_ST(mc_center_verify(&seed, type, bytes, len, NULL, 0, ts + f->max_skew + 1, f->max_skew),
                     MC_STALE_TIMESTAMP, "stale");
            CHECK_ST(mc_center_verify(&seed, type, bytes, len, NULL, 0, ts - f->max_skew - 1, f->max_skew),
                     MC_FUTURE_TIMESTAMP, "future");
        }
        mc_chip_wipe(&chip);
        checked++;
    }
    CHECK(checked == 16, "certificate vectors: %d", checked);
}

static void test_envelopes(void) {
    const tv_file *f = file("envelopes");
    int checked = 0;
    for (size_t i = 0; i < f->vector_count; i++) {
        const tv_vector *v = &f->vectors[i];
        mc_seed expected, current, opened;
        mc_envelope e;
        uint8_t raw[MC_SEED_BYTES], raw2[MC_SEED_BYTES], env[MC_ENVELOPE_BYTES + 1], made[MC_ENVELOPE_BYTES],
            ad[15], nonce[12], k[32], uk[16];
        size_t len = unhex(need(v, "envelope"), env, sizeof env);
        CHECK_ST(mc_envelope_decode(env, len, &e), MC_OK, "decode envelope");
        unhex(need(v, "associatedData"), ad, sizeof ad);
        unhex(need(v, "nonce"), nonce, sizeof nonce);
        CHECK(memcmp(e.header, ad, 15) == 0 && memcmp(e.nonce, nonce, 12) == 0, "envelope %zu header", i);
        CHECK(e.sensor_id == parse_u64_hex(need(v, "sensorId")) && e.suite == suite_of(need(v, "suite")),
              "envelope %zu fields", i);
        seed_of(f, need(v, "seed"), &expected, raw);
        if (strcmp(need(v, "kind"), "TRANSPORT") == 0) {
            unhex(need(v, "transportKey"), k, sizeof k);
            CHECK_ST(mc_envelope_open_transport(k, env, len, &opened), MC_OK, "open transport");
            CHECK_ST(mc_envelope_seal_transport(k, e.sensor_id, e.suite, &expected, nonce, made), MC_OK, "seal");
            CHECK_ST(mc_envelope_open_update(&expected, env, len, &opened), MC_WRONG_TYPE, "transport as update");
        } else {
            seed_of(f, need(v, "current"), &current, raw2);
            unhex(need(v, "updateKey"), k, 16);
            CHECK(mc_update_key(&current, e.suite, e.header, uk) == MC_OK && memcmp(uk, k, 16) == 0,
                  "envelope %zu update key", i);
            CHECK_ST(mc_envelope_open_update(&current, env, len, &opened), MC_OK, "open update");
            CHECK_ST(mc_envelope_seal_update(&current, e.sensor_id, e.suite, &expected, nonce, made), MC_OK, "seal");
        }
        CHECK(seeds_equal(&opened, &expected), "envelope %zu opens to its seed", i);
        /* sealing the same seed with the same nonce reproduces the reference's bytes */
        CHECK(memcmp(made, env, MC_ENVELOPE_BYTES) == 0, "envelope %zu bytes differ", i);
        /* a flipped tag bit is refused */
        env[MC_ENVELOPE_BYTES - 1] ^= 1;
        if (e.kind == MC_KIND_TRANSPORT) {
            CHECK_ST(mc_envelope_open_transport(k, env, len, &opened), MC_BAD_TAG, "tampered transport");
        } else {
            CHECK_ST(mc_envelope_open_update(&current, env, len, &opened), MC_BAD_TAG, "tampered update");
        }
        checked++;
    }
    CHECK(checked == 4, "envelope vectors: %d", checked);
}

static void test_negative(void) {
    const tv_file *f = file("negative");
    int checked = 0;
    static uint8_t bytes[MC_ENVELOPE_BYTES + 64];
    for (size_t i = 0; i < f->vector_count; i++) {
        const tv_vector *v = &f->vectors[i];
        const char *kind = need(v, "kind"), *name = need(v, "name");
        size_t len = unhex(need(v, "bytes"), bytes, sizeof bytes);
        mc_seed seed;
        uint8_t raw[MC_SEED_BYTES], data[256], out[MC_SEED_BYTES];
        mc_status st;
        if (strcmp(kind, "decode-certificate") == 0) {
            mc_cert c;
            st = mc_cert_decode(bytes, len, &c);
            CHECK(st == status_of(need(v, "defect")), "%s: %s", name, mc_status_name(st));
        } else if (strcmp(kind, "decode-envelope") == 0) {
            mc_envelope e;
            st = mc_envelope_decode(bytes, len, &e);
            CHECK(st == status_of(need(v, "defect")), "%s: %s", name, mc_status_name(st));
        } else if (strcmp(kind, "verify-auth") == 0 || strcmp(kind, "verify-sign") == 0) {
            seed_of(f, need(v, "seed"), &seed, raw);
            uint32_t at = (uint32_t)strtoul(need(v, "verifyAt"), NULL, 10);
            size_t dlen = get(v, "data") ? unhex(get(v, "data"), data, sizeof data) : 0;
            st = mc_center_verify(&seed, kind[7] == 'a' ? MC_TYPE_AUTH : MC_TYPE_SIGN, bytes, len, data, dlen, at,
                                  f->max_skew);
            CHECK(st == status_of(need(v, "reject")), "%s: %s", name, mc_status_name(st));
        } else if (strcmp(kind, "open-update") == 0) {
            mc_seed next;
            seed_of(f, need(v, "current"), &seed, raw);
            st = mc_envelope_open_update(&seed, bytes, len, &next);
            CHECK(st == status_of(need(v, "reject")), "%s: %s", name, mc_status_name(st));
        } else {
            CHECK(0, "unknown negative kind %s", kind);
        }
        (void)out;
        checked++;
    }
    CHECK(checked >= 30, "negative vectors: %d", checked);
}

int main(void) {
    printf("backend: %s\n", mc_be_name());
    test_csk();
    test_certificates();
    test_envelopes();
    test_negative();
    return t_report("test_vectors");
}
