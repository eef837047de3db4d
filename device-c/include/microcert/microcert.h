/*
 * MicroCert device library: the chip side of docs/protocol.md in portable C99.
 *
 * Rules kept throughout (why: this runs on sensor firmware with a few KB of RAM):
 *  - no heap allocation: every buffer is the caller's, every length is passed and checked;
 *  - no global mutable state: all state lives in the caller's mc_chip;
 *  - secrets (seed rows, derived keys, plaintext of a failed open) are wiped after use;
 *  - every failure returns an mc_status whose name equals the spec's Defect / RejectReason.
 */
#ifndef MICROCERT_H
#define MICROCERT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ------------------------------------------------------------------------ */

typedef enum {
    MC_OK = 0,
    /* strict decoding defects (protocol Defect) */
    MC_TOO_SHORT,
    MC_TOO_LONG,
    MC_BAD_LENGTH,
    MC_UNKNOWN_VERSION,
    MC_UNKNOWN_TYPE,
    MC_UNKNOWN_SUITE,
    MC_UNKNOWN_KIND,
    MC_UNKNOWN_COMMAND,
    MC_BAD_FIELD,
    /* verification rejections (protocol RejectReason) */
    MC_BAD_TAG,
    MC_STALE_TIMESTAMP,
    MC_FUTURE_TIMESTAMP,
    MC_SEED_EXPIRED,
    MC_MALFORMED,
    MC_UNSUPPORTED_SUITE,
    MC_WRONG_TYPE,
    MC_WRONG_SENSOR,
    MC_WRONG_SEED_VERSION,
    MC_REPLAY,
    MC_REVOKED,
    /* local failures (not on the wire) */
    MC_ERR_ARGUMENT,      /* NULL pointer, out-of-range parameter */
    MC_ERR_BUFFER,        /* caller's output buffer too small */
    MC_ERR_RNG,           /* platform random source failed */
    MC_ERR_CLOCK,         /* platform clock failed */
    MC_ERR_STORAGE,       /* platform persistent storage failed */
    MC_ERR_CRYPTO,        /* backend primitive failed (not a tag mismatch) */
    MC_ERR_NO_PENDING     /* activate/pending envelope without a pending seed update */
} mc_status;

/* The enum name without the MC_ prefix ("BAD_TAG", "SEED_EXPIRED", ...); never NULL. */
const char *mc_status_name(mc_status s);

/* ---- constants --------------------------------------------------------------------------- */

typedef enum { MC_SUITE_AES128 = 0x01, MC_SUITE_SM4 = 0x02 } mc_suite;

typedef enum {
    MC_TYPE_AUTH = 1, MC_TYPE_SIGN = 2, MC_TYPE_COMMAND = 3, MC_TYPE_ENC_UP = 4, MC_TYPE_ENC_DOWN = 5
} mc_cert_type;

typedef enum {
    MC_PURPOSE_AUTH = 1, MC_PURPOSE_SIGN = 2, MC_PURPOSE_ENC_UP = 3, MC_PURPOSE_ENC_DOWN = 4, MC_PURPOSE_COMMAND = 5
} mc_purpose;

typedef enum { MC_OP_SEED_UPDATE = 0x01, MC_OP_REVOKE = 0x02 } mc_op;

typedef enum { MC_KIND_TRANSPORT = 0x01, MC_KIND_UPDATE = 0x02 } mc_envelope_kind;

#define MC_ROW_BYTES 16u
#define MC_ROWS 61u
#define MC_SEED_BYTES 983u            /* serialised seed */
#define MC_KEY_BYTES 16u
#define MC_TAG_BYTES 10u
#define MC_AEAD_TAG_BYTES 16u
#define MC_DIGEST_BYTES 32u
#define MC_HEADER_BYTES 22u
#define MC_AUTH_BYTES 32u
#define MC_SIGN_BYTES 32u
#define MC_COMMAND_BYTES 37u
#define MC_MAX_PAYLOAD 65536u
#define MC_ENC_OVERHEAD (MC_HEADER_BYTES + MC_AEAD_TAG_BYTES)
#define MC_MAX_CERT_BYTES (MC_HEADER_BYTES + MC_MAX_PAYLOAD + MC_AEAD_TAG_BYTES)
#define MC_ENVELOPE_BYTES 1026u
#define MC_ENVELOPE_HEADER_BYTES 15u
#define MC_TRANSPORT_KEY_BYTES 32u
#define MC_MIN_EPOCH_YEAR 2000
#define MC_MAX_EPOCH_YEAR 2100
#define MC_DEFAULT_MAX_SKEW 300u

/* How many accepted inbound (COMMAND / ENC_DOWN) certificates the chip remembers. The Java
 * reference keeps 4096 (49 KB here); firmware rarely has that, so the default is 32 and the rule
 * for a full memory is the reference's: forget the oldest and refuse everything not newer. */
#ifndef MC_REPLAY_CAPACITY
#define MC_REPLAY_CAPACITY 32u
#endif

/* ---- key seed ---------------------------------------------------------------------------- */

typedef struct {
    uint32_t version;                         /* >= 1, < 2^31 */
    uint16_t epoch_year;                      /* 2000..2100 */
    uint8_t rows[MC_ROWS * MC_ROW_BYTES];     /* secret */
} mc_seed;

/* Strict decoding of the 983-byte serialised form. The caller wipes `in` afterwards. */
mc_status mc_seed_decode(const uint8_t *in, size_t len, mc_seed *out);
/* out[0..983): serialised form (secret). */
mc_status mc_seed_encode(const mc_seed *seed, uint8_t *out, size_t cap);
/* Overwrites the seed with zeros. */
void mc_seed_wipe(mc_seed *seed);

/* ---- CSK derivation ---------------------------------------------------------------------- */

/* rows_out[5]: Y, M, D, Ra, Rb row indices (0..60). MC_SEED_EXPIRED outside the seed's years. */
mc_status mc_csk_select_rows(uint16_t epoch_year, uint32_t timestamp, uint64_t random, uint8_t rows_out[5]);
mc_status mc_csk_derive(const mc_seed *seed, mc_suite suite, mc_purpose purpose, uint64_t sensor_id,
                        uint32_t timestamp, uint64_t random, uint8_t key_out[MC_KEY_BYTES]);

/* ---- certificates ------------------------------------------------------------------------ */

/* A decoded certificate; body and tag point into the decoded input (no copy). */
typedef struct {
    mc_cert_type type;
    mc_suite suite;
    uint64_t sensor_id;
    uint32_t timestamp;
    uint64_t random;
    const uint8_t *header;  /* 22 bytes */
    const uint8_t *body;
    size_t body_len;
    const uint8_t *tag;
    size_t tag_len;
    mc_op op;               /* COMMAND only */
    uint32_t argument;      /* COMMAND only */
} mc_cert;

/* Strict decoding (docs/protocol.md section 5); returns the Defect. */
mc_status mc_cert_decode(const uint8_t *in, size_t len, mc_cert *out);

/* Deterministic builders: the caller supplies timestamp and random (chip functions below draw
 * them from the platform). For SIGN pass the data, for COMMAND op/argument; others ignore them. */
mc_status mc_cert_make_tagged(const mc_seed *seed, mc_cert_type type, mc_suite suite, uint64_t sensor_id,
                              uint32_t timestamp, uint64_t random, const uint8_t *data, size_t data_len,
                              mc_op op, uint32_t argument, uint8_t *out, size_t cap, size_t *out_len);
mc_status mc_cert_make_encrypted(const mc_seed *seed, mc_cert_type type, mc_suite suite, uint64_t sensor_id,
                                 uint32_t timestamp, uint64_t random, const uint8_t *plaintext, size_t len,
                                 uint8_t *out, size_t cap, size_t *out_len);

/* Tag of a decoded AUTH / SIGN / COMMAND certificate: MC_OK or MC_BAD_TAG (constant-time
 * comparison). For SIGN, `data` is the signed data. */
mc_status mc_cert_check_tag(const mc_seed *seed, const mc_cert *cert, const uint8_t *data, size_t data_len);
/* Opens a decoded ENC_* certificate into out[0..body_len); on MC_BAD_TAG `out` is wiped. */
mc_status mc_cert_open(const mc_seed *seed, const mc_cert *cert, uint8_t *out, size_t cap, size_t *out_len);

/* Center-side checks in the order of docs/protocol.md section 6 (for tests, gateways and tools):
 * decode (MALFORMED / UNSUPPORTED_SUITE), type, skew window, seed years, tag. No replay cache.
 * mc_center_verify takes AUTH or SIGN (data = the signed data); mc_center_decrypt opens ENC_UP. */
mc_status mc_center_verify(const mc_seed *seed, mc_cert_type expected, const uint8_t *cert, size_t len,
                           const uint8_t *data, size_t data_len, uint32_t now, uint32_t max_skew);
mc_status mc_center_decrypt(const mc_seed *seed, const uint8_t *cert, size_t len, uint32_t now, uint32_t max_skew,
                            uint8_t *out, size_t cap, size_t *out_len);
/* now - max_skew <= timestamp <= now + max_skew, else STALE_TIMESTAMP / FUTURE_TIMESTAMP. */
mc_status mc_check_freshness(uint32_t timestamp, uint32_t now, uint32_t max_skew);

/* ---- seed envelopes ---------------------------------------------------------------------- */

typedef struct {
    mc_envelope_kind kind;
    mc_suite suite;
    uint64_t sensor_id;
    uint32_t seed_version;
    const uint8_t *header;      /* 15 bytes: associated data */
    const uint8_t *nonce;       /* 12 bytes */
    const uint8_t *ciphertext;  /* 999 bytes: 983 + tag */
} mc_envelope;

mc_status mc_envelope_decode(const uint8_t *in, size_t len, mc_envelope *out);
/* TRANSPORT: AES-256-GCM under K_trans whatever the suite. */
mc_status mc_envelope_seal_transport(const uint8_t k_trans[MC_TRANSPORT_KEY_BYTES], uint64_t sensor_id,
                                     mc_suite suite, const mc_seed *seed, const uint8_t nonce[12],
                                     uint8_t out[MC_ENVELOPE_BYTES]);
/* UPDATE: the suite's GCM under K_upd derived from the current seed; next->version must be current + 1. */
mc_status mc_envelope_seal_update(const mc_seed *current, uint64_t sensor_id, mc_suite suite,
                                  const mc_seed *next, const uint8_t nonce[12], uint8_t out[MC_ENVELOPE_BYTES]);
/* K_upd = trunc_16(H(00000001 || Z || "MicroCert seed update" || header)). */
mc_status mc_update_key(const mc_seed *current, mc_suite suite, const uint8_t header[MC_ENVELOPE_HEADER_BYTES],
                        uint8_t key_out[MC_KEY_BYTES]);
/* Center side (tests, tools): open an envelope into *seed_out. */
mc_status mc_envelope_open_transport(const uint8_t k_trans[MC_TRANSPORT_KEY_BYTES], const uint8_t *in, size_t len,
                                     mc_seed *seed_out);
mc_status mc_envelope_open_update(const mc_seed *current, const uint8_t *in, size_t len, mc_seed *seed_out);

/* ---- platform interface ------------------------------------------------------------------ */

/* What the chip asks the platform to persist. STATE is public (active seed version, revoked flag,
 * replay memory); SEED is secret (the active seed's serialised form, or all zeros after a revoke)
 * and belongs in protected storage. The callback must not return before the data is durable. */
typedef enum { MC_PERSIST_STATE = 1, MC_PERSIST_SEED = 2 } mc_persist_kind;

typedef struct {
    void *ctx;
    /* Fill out[0..len) from the hardware RNG (or a DRBG seeded by it). Nonzero = failure. */
    int (*random)(void *ctx, uint8_t *out, size_t len);
    /* Current UTC time in seconds since 1970. Nonzero = failure. */
    int (*now)(void *ctx, uint32_t *unix_seconds);
    /* Persist data[0..len) under `kind`. Nonzero = failure. May be NULL (nothing persisted). */
    int (*persist)(void *ctx, mc_persist_kind kind, const uint8_t *data, size_t len);
} mc_platform;

/* ---- the chip ---------------------------------------------------------------------------- */

typedef struct {
    uint32_t timestamp;
    uint64_t random;
} mc_seen;

/* All of a chip's state; the caller owns the memory (static or stack), the library never keeps a
 * pointer to anything else except `platform`. Treat the fields as private. */
typedef struct {
    const mc_platform *platform;
    uint64_t sensor_id;
    mc_suite suite;
    uint32_t max_skew;
    uint8_t revoked;
    uint8_t has_pending;
    mc_seed seed;
    mc_seed pending;
    uint32_t replay_floor;
    uint32_t seen_count;
    mc_seen seen[MC_REPLAY_CAPACITY];
} mc_chip;

/* Serialised STATE blob: version u32, revoked u8, floor u32, count u16, count x (ts u32, random u64). */
#define MC_STATE_BYTES (4u + 1u + 4u + 2u + 12u * MC_REPLAY_CAPACITY)

/* A chip holding an existing seed (serialised form). */
mc_status mc_chip_init(mc_chip *chip, const mc_platform *platform, uint64_t sensor_id, mc_suite suite,
                       const uint8_t *seed, size_t seed_len, uint32_t max_skew);
/* A new chip: seed version 1 from the platform RNG, epoch year = current UTC year; persists it. */
mc_status mc_chip_manufacture(mc_chip *chip, const mc_platform *platform, uint64_t sensor_id, mc_suite suite);
/* Restores the STATE blob persisted earlier (after mc_chip_init with the persisted seed). */
mc_status mc_chip_restore_state(mc_chip *chip, const uint8_t *state, size_t len);
void mc_chip_wipe(mc_chip *chip);

uint32_t mc_chip_seed_version(const mc_chip *chip);
uint16_t mc_chip_epoch_year(const mc_chip *chip);
int mc_chip_is_revoked(const mc_chip *chip);
int mc_chip_has_pending(const mc_chip *chip);

mc_status mc_chip_transport_envelope(mc_chip *chip, const uint8_t k_trans[MC_TRANSPORT_KEY_BYTES],
                                     uint8_t out[MC_ENVELOPE_BYTES]);
mc_status mc_chip_authenticate(mc_chip *chip, uint8_t out[MC_AUTH_BYTES]);
mc_status mc_chip_sign(mc_chip *chip, const uint8_t *data, size_t len, uint8_t out[MC_SIGN_BYTES]);
/* ENC_UP: out needs len + MC_ENC_OVERHEAD bytes. */
mc_status mc_chip_encrypt(mc_chip *chip, const uint8_t *plaintext, size_t len, uint8_t *out, size_t cap,
                          size_t *out_len);
/* ENC_DOWN: verifies (freshness, tag, replay) and writes the plaintext. */
mc_status mc_chip_decrypt(mc_chip *chip, const uint8_t *cert, size_t len, uint8_t *out, size_t cap,
                          size_t *out_len);
/* COMMAND: verifies and obeys. SEED_UPDATE generates the next seed, holds it pending and writes its
 * UPDATE envelope into envelope_out (required for that order; may be NULL otherwise); REVOKE wipes
 * every seed and refuses everything afterwards. *op_out / *argument_out get the order. */
mc_status mc_chip_accept(mc_chip *chip, const uint8_t *cert, size_t len, mc_op *op_out, uint32_t *argument_out,
                         uint8_t *envelope_out);
/* Re-seals the pending seed's UPDATE envelope (fresh nonce), e.g. after a lost upload. */
mc_status mc_chip_pending_envelope(mc_chip *chip, uint8_t out[MC_ENVELOPE_BYTES]);
/* Makes the pending seed active (the center acknowledged it); wipes the old one; persists. */
mc_status mc_chip_activate_pending(mc_chip *chip);

/* ---- helpers ----------------------------------------------------------------------------- */

/* Zeroes memory in a way the compiler may not elide. */
void mc_wipe(void *p, size_t n);
/* Constant-time equality of a[0..n) and b[0..n): 1 if equal. */
int mc_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);
/* UTC civil date of a timestamp. */
void mc_utc_date(uint32_t timestamp, int *year, int *month, int *day);

#ifdef __cplusplus
}
#endif
#endif
