/* The chip: SensorChip of the Java reference, with its state in the caller's mc_chip. */
#include <string.h>

#include "microcert/mc_backend.h"
#include "microcert/microcert.h"

static mc_status platform_now(const mc_chip *chip, uint32_t *now) {
    if (chip->platform->now(chip->platform->ctx, now) != 0) return MC_ERR_CLOCK;
    return MC_OK;
}

static mc_status platform_random(const mc_chip *chip, uint8_t *out, size_t len) {
    if (chip->platform->random(chip->platform->ctx, out, len) != 0) {
        mc_wipe(out, len); /* never use what a failed RNG left behind */
        return MC_ERR_RNG;
    }
    return MC_OK;
}

static mc_status platform_random64(const mc_chip *chip, uint64_t *out) {
    uint8_t b[8];
    mc_status st = platform_random(chip, b, sizeof b);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | b[i];
    *out = v;
    mc_wipe(b, sizeof b);
    return st;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static mc_status persist_state(const mc_chip *chip) {
    uint8_t blob[MC_STATE_BYTES];
    size_t n = 0;
    if (chip->platform->persist == NULL) return MC_OK;
    put32(blob, chip->revoked ? 0 : chip->seed.version);
    blob[4] = chip->revoked;
    put32(blob + 5, chip->replay_floor);
    blob[9] = (uint8_t)(chip->seen_count >> 8);
    blob[10] = (uint8_t)chip->seen_count;
    n = 11;
    for (uint32_t i = 0; i < chip->seen_count; i++) {
        put32(blob + n, chip->seen[i].timestamp);
        put32(blob + n + 4, (uint32_t)(chip->seen[i].random >> 32));
        put32(blob + n + 8, (uint32_t)chip->seen[i].random);
        n += 12;
    }
    return chip->platform->persist(chip->platform->ctx, MC_PERSIST_STATE, blob, n) == 0 ? MC_OK : MC_ERR_STORAGE;
}

/* The active seed (or zeros after a revoke), for the platform's protected storage. */
static mc_status persist_seed(const mc_chip *chip) {
    uint8_t enc[MC_SEED_BYTES];
    if (chip->platform->persist == NULL) return MC_OK;
    if (chip->revoked) {
        memset(enc, 0, sizeof enc);
    } else {
        mc_seed_encode(&chip->seed, enc, sizeof enc);
    }
    int rc = chip->platform->persist(chip->platform->ctx, MC_PERSIST_SEED, enc, sizeof enc);
    mc_wipe(enc, sizeof enc);
    return rc == 0 ? MC_OK : MC_ERR_STORAGE;
}

static mc_status chip_setup(mc_chip *chip, const mc_platform *platform, uint64_t sensor_id, mc_suite suite,
                            uint32_t max_skew) {
    if (chip == NULL || platform == NULL || platform->random == NULL || platform->now == NULL ||
        (suite != MC_SUITE_AES128 && suite != MC_SUITE_SM4))
        return MC_ERR_ARGUMENT;
    memset(chip, 0, sizeof *chip);
    chip->platform = platform;
    chip->sensor_id = sensor_id;
    chip->suite = suite;
    chip->max_skew = max_skew;
    return MC_OK;
}

mc_status mc_chip_init(mc_chip *chip, const mc_platform *platform, uint64_t sensor_id, mc_suite suite,
                       const uint8_t *seed, size_t seed_len, uint32_t max_skew) {
    mc_status st = chip_setup(chip, platform, sensor_id, suite, max_skew);
    if (st != MC_OK) return st;
    st = mc_seed_decode(seed, seed_len, &chip->seed);
    if (st != MC_OK) mc_chip_wipe(chip);
    return st;
}

static mc_status generate_seed(const mc_chip *chip, uint32_t version, uint32_t now, mc_seed *out) {
    int year, month, day;
    mc_utc_date(now, &year, &month, &day);
    if (year < MC_MIN_EPOCH_YEAR || year > MC_MAX_EPOCH_YEAR) return MC_ERR_CLOCK;
    out->version = version;
    out->epoch_year = (uint16_t)year;
    mc_status st = platform_random(chip, out->rows, sizeof out->rows);
    if (st != MC_OK) mc_seed_wipe(out);
    return st;
}

mc_status mc_chip_manufacture(mc_chip *chip, const mc_platform *platform, uint64_t sensor_id, mc_suite suite) {
    uint32_t now;
    mc_status st = chip_setup(chip, platform, sensor_id, suite, MC_DEFAULT_MAX_SKEW);
    if (st != MC_OK) return st;
    st = platform_now(chip, &now);
    if (st == MC_OK) st = generate_seed(chip, 1, now, &chip->seed);
    if (st == MC_OK) st = persist_seed(chip);
    if (st == MC_OK) st = persist_state(chip);
    if (st != MC_OK) mc_chip_wipe(chip);
    return st;
}

mc_status mc_chip_restore_state(mc_chip *chip, const uint8_t *state, size_t len) {
    if (chip == NULL || state == NULL) return MC_ERR_ARGUMENT;
    if (len < 11) return MC_TOO_SHORT;
    uint32_t count = (uint32_t)state[9] << 8 | state[10];
    if (count > MC_REPLAY_CAPACITY) return MC_BAD_FIELD;
    if (len != 11 + 12u * count) return MC_BAD_LENGTH;
    if (state[4] > 1) return MC_BAD_FIELD;
    /* A state from another seed version is stale (or tampered): refuse rather than guess. One version
     * behind is an activation that stored the new seed and stopped before its state: the replay
     * memory it holds is still right. */
    if (state[4] == 0 && get32(state) != chip->seed.version && get32(state) + 1u != chip->seed.version)
        return MC_WRONG_SEED_VERSION;
    chip->revoked = state[4];
    if (chip->revoked) {
        mc_seed_wipe(&chip->seed);
        mc_seed_wipe(&chip->pending);
        chip->has_pending = 0;
    }
    chip->replay_floor = get32(state + 5);
    chip->seen_count = count;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *p = state + 11 + 12 * i;
        chip->seen[i].timestamp = get32(p);
        chip->seen[i].random = (uint64_t)get32(p + 4) << 32 | get32(p + 8);
    }
    return MC_OK;
}

void mc_chip_wipe(mc_chip *chip) {
    if (chip != NULL) mc_wipe(chip, sizeof *chip);
}

uint32_t mc_chip_seed_version(const mc_chip *chip) { return chip->seed.version; }
uint16_t mc_chip_epoch_year(const mc_chip *chip) { return chip->seed.epoch_year; }
int mc_chip_is_revoked(const mc_chip *chip) { return chip->revoked; }
int mc_chip_has_pending(const mc_chip *chip) { return chip->has_pending; }

mc_status mc_chip_transport_envelope(mc_chip *chip, const uint8_t k_trans[MC_TRANSPORT_KEY_BYTES],
                                     uint8_t out[MC_ENVELOPE_BYTES]) {
    uint8_t nonce[12];
    if (chip == NULL || k_trans == NULL || out == NULL) return MC_ERR_ARGUMENT;
    if (chip->revoked) return MC_REVOKED;
    mc_status st = platform_random(chip, nonce, sizeof nonce);
    if (st == MC_OK) st = mc_envelope_seal_transport(k_trans, chip->sensor_id, chip->suite, &chip->seed, nonce, out);
    return st;
}

/* Timestamp and random of a new outbound certificate. */
static mc_status fresh_inputs(const mc_chip *chip, uint32_t *ts, uint64_t *rnd) {
    if (chip->revoked) return MC_REVOKED;
    mc_status st = platform_now(chip, ts);
    if (st == MC_OK) st = platform_random64(chip, rnd);
    return st;
}

mc_status mc_chip_authenticate(mc_chip *chip, uint8_t out[MC_AUTH_BYTES]) {
    uint32_t ts;
    uint64_t rnd;
    if (chip == NULL || out == NULL) return MC_ERR_ARGUMENT;
    mc_status st = fresh_inputs(chip, &ts, &rnd);
    if (st != MC_OK) return st;
    return mc_cert_make_tagged(&chip->seed, MC_TYPE_AUTH, chip->suite, chip->sensor_id, ts, rnd, NULL, 0,
                               MC_OP_SEED_UPDATE, 1, out, MC_AUTH_BYTES, NULL);
}

mc_status mc_chip_sign(mc_chip *chip, const uint8_t *data, size_t len, uint8_t out[MC_SIGN_BYTES]) {
    uint32_t ts;
    uint64_t rnd;
    if (chip == NULL || out == NULL || (data == NULL && len > 0)) return MC_ERR_ARGUMENT;
    mc_status st = fresh_inputs(chip, &ts, &rnd);
    if (st != MC_OK) return st;
    return mc_cert_make_tagged(&chip->seed, MC_TYPE_SIGN, chip->suite, chip->sensor_id, ts, rnd, data, len,
                               MC_OP_SEED_UPDATE, 1, out, MC_SIGN_BYTES, NULL);
}

mc_status mc_chip_encrypt(mc_chip *chip, const uint8_t *plaintext, size_t len, uint8_t *out, size_t cap,
                          size_t *out_len) {
    uint32_t ts;
    uint64_t rnd;
    if (chip == NULL || out == NULL || (plaintext == NULL && len > 0) || len > MC_MAX_PAYLOAD) return MC_ERR_ARGUMENT;
    if (cap < len + MC_ENC_OVERHEAD) return MC_ERR_BUFFER;
    mc_status st = fresh_inputs(chip, &ts, &rnd);
    if (st != MC_OK) return st;
    return mc_cert_make_encrypted(&chip->seed, MC_TYPE_ENC_UP, chip->suite, chip->sensor_id, ts, rnd, plaintext,
                                  len, out, cap, out_len);
}

/* The reference's checkInbound: revoked, decode, type, sensor, suite, skew window. */
static mc_status check_inbound(const mc_chip *chip, const uint8_t *bytes, size_t len, mc_cert_type type,
                               uint32_t now, mc_cert *c) {
    if (chip->revoked) return MC_REVOKED;
    mc_status st = mc_cert_decode(bytes, len, c);
    if (st == MC_UNKNOWN_SUITE) return MC_UNSUPPORTED_SUITE;
    if (st == MC_ERR_ARGUMENT) return st;
    if (st != MC_OK) return MC_MALFORMED;
    if (c->type != type) return MC_WRONG_TYPE;
    if (c->sensor_id != chip->sensor_id) return MC_WRONG_SENSOR;
    if (c->suite != chip->suite) return MC_UNSUPPORTED_SUITE;
    return mc_check_freshness(c->timestamp, now, chip->max_skew);
}

/* Drops entries that left the window, then: below the floor or already seen is a replay. */
static mc_status check_not_replayed(mc_chip *chip, const mc_cert *c, uint32_t now) {
    int64_t window_start = (int64_t)now - chip->max_skew;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < chip->seen_count; i++) {
        if ((int64_t)chip->seen[i].timestamp >= window_start) chip->seen[kept++] = chip->seen[i];
    }
    chip->seen_count = kept;
    if (c->timestamp < chip->replay_floor) return MC_REPLAY;
    for (uint32_t i = 0; i < chip->seen_count; i++) {
        if (chip->seen[i].timestamp == c->timestamp && chip->seen[i].random == c->random) return MC_REPLAY;
    }
    return MC_OK;
}

/* Full memory: raise the floor past the oldest timestamp and drop everything below it. */
static void remember(mc_chip *chip, const mc_cert *c) {
    if (chip->seen_count >= MC_REPLAY_CAPACITY) {
        uint32_t oldest = chip->seen[0].timestamp;
        for (uint32_t i = 1; i < chip->seen_count; i++) {
            if (chip->seen[i].timestamp < oldest) oldest = chip->seen[i].timestamp;
        }
        /* oldest + 1 cannot wrap usefully: a u32 max timestamp leaves the floor at max */
        uint32_t floor = oldest == UINT32_MAX ? oldest : oldest + 1;
        if (floor > chip->replay_floor) chip->replay_floor = floor;
        uint32_t kept = 0;
        for (uint32_t i = 0; i < chip->seen_count; i++) {
            if (chip->seen[i].timestamp >= chip->replay_floor) chip->seen[kept++] = chip->seen[i];
        }
        chip->seen_count = kept;
    }
    if (chip->seen_count < MC_REPLAY_CAPACITY) {
        chip->seen[chip->seen_count].timestamp = c->timestamp;
        chip->seen[chip->seen_count].random = c->random;
        chip->seen_count++;
    }
}

mc_status mc_chip_decrypt(mc_chip *chip, const uint8_t *bytes, size_t len, uint8_t *out, size_t cap,
                          size_t *out_len) {
    mc_cert c;
    uint32_t now;
    if (chip == NULL) return MC_ERR_ARGUMENT;
    mc_status st = platform_now(chip, &now);
    if (st == MC_OK) st = check_inbound(chip, bytes, len, MC_TYPE_ENC_DOWN, now, &c);
    if (st != MC_OK) return st;
    size_t n = 0;
    st = mc_cert_open(&chip->seed, &c, out, cap, &n);
    if (st != MC_OK) return st;
    /* replay after the tag, as the reference: a forgery is BAD_TAG whatever it copies */
    st = check_not_replayed(chip, &c, now);
    if (st == MC_OK) {
        remember(chip, &c);
        st = persist_state(chip);
    }
    if (st != MC_OK) {
        mc_wipe(out, n);
        return st;
    }
    if (out_len != NULL) *out_len = n;
    return MC_OK;
}

static mc_status seal_pending(mc_chip *chip, uint8_t out[MC_ENVELOPE_BYTES]) {
    uint8_t nonce[12];
    mc_status st = platform_random(chip, nonce, sizeof nonce);
    if (st == MC_OK)
        st = mc_envelope_seal_update(&chip->seed, chip->sensor_id, chip->suite, &chip->pending, nonce, out);
    return st;
}

mc_status mc_chip_accept(mc_chip *chip, const uint8_t *bytes, size_t len, mc_op *op_out, uint32_t *argument_out,
                         uint8_t *envelope_out) {
    mc_cert c;
    uint32_t now;
    if (chip == NULL) return MC_ERR_ARGUMENT;
    mc_status st = platform_now(chip, &now);
    if (st == MC_OK) st = check_inbound(chip, bytes, len, MC_TYPE_COMMAND, now, &c);
    if (st == MC_OK) st = mc_cert_check_tag(&chip->seed, &c, NULL, 0);
    if (st == MC_OK) st = check_not_replayed(chip, &c, now);
    if (st != MC_OK) return st;
    if (c.op == MC_OP_SEED_UPDATE) {
        if (c.argument != chip->seed.version + 1) return MC_WRONG_SEED_VERSION;
        /* checked before anything changes, so a caller mistake leaves the chip as it was */
        if (envelope_out == NULL) return MC_ERR_ARGUMENT;
        mc_seed_wipe(&chip->pending);
        chip->has_pending = 0;
        st = generate_seed(chip, chip->seed.version + 1, now, &chip->pending);
        if (st == MC_OK) st = seal_pending(chip, envelope_out);
        if (st != MC_OK) {
            mc_seed_wipe(&chip->pending);
            return st;
        }
        chip->has_pending = 1;
    } else {
        if (c.argument != chip->seed.version) return MC_WRONG_SEED_VERSION;
        mc_seed_wipe(&chip->pending);
        mc_seed_wipe(&chip->seed);
        chip->has_pending = 0;
        chip->revoked = 1;
    }
    remember(chip, &c);
    if (op_out != NULL) *op_out = c.op;
    if (argument_out != NULL) *argument_out = c.argument;
    st = persist_state(chip);
    if (st == MC_OK && chip->revoked) st = persist_seed(chip);
    return st;
}

mc_status mc_chip_pending_envelope(mc_chip *chip, uint8_t out[MC_ENVELOPE_BYTES]) {
    if (chip == NULL || out == NULL) return MC_ERR_ARGUMENT;
    if (chip->revoked) return MC_REVOKED;
    if (!chip->has_pending) return MC_ERR_NO_PENDING;
    return seal_pending(chip, out);
}

mc_status mc_chip_activate_pending(mc_chip *chip) {
    if (chip == NULL) return MC_ERR_ARGUMENT;
    if (chip->revoked) return MC_REVOKED;
    if (!chip->has_pending) return MC_ERR_NO_PENDING;
    chip->seed = chip->pending;
    mc_seed_wipe(&chip->pending);
    chip->has_pending = 0;
    /* the replay memory stays: the center's later commands carry new timestamps anyway */
    mc_status st = persist_seed(chip);
    if (st == MC_OK) st = persist_state(chip);
    return st;
}
