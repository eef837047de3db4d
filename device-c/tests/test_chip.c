/* The chip's rules in both suites, against a center built from the library's center functions:
 * lifecycle (manufacture, TRANSPORT, AUTH/SIGN/ENC_UP, ENC_DOWN, SEED_UPDATE, REVOKE), and every
 * refusal of docs/protocol.md section 6 for the sensor side, replay memory included. */
#include "microcert/mc_backend.h"
#include "testutil.h"

static const uint64_t ID = 0x4d43000000000042ull;
static const uint32_t T0 = 1804587330u; /* 2027-03-09T10:15:30Z */

static void command(const mc_seed *seed, mc_suite suite, uint64_t id, uint32_t ts, uint64_t rnd, mc_op op,
                    uint32_t arg, uint8_t out[MC_COMMAND_BYTES]) {
    size_t n;
    mc_status st = mc_cert_make_tagged(seed, MC_TYPE_COMMAND, suite, id, ts, rnd, NULL, 0, op, arg, out,
                                       MC_COMMAND_BYTES, &n);
    if (st != MC_OK || n != MC_COMMAND_BYTES) {
        fprintf(stderr, "command: %s\n", mc_status_name(st));
        exit(2);
    }
}

static void lifecycle(mc_suite suite) {
    t_platform tp = {0};
    tp.rng_state = 7 + suite;
    tp.now = T0;
    mc_platform pf = t_platform_of(&tp);
    mc_chip chip;
    uint8_t ktrans[32], env[MC_ENVELOPE_BYTES], cert[128], out[128], cmd[MC_COMMAND_BYTES];
    mc_seed center, next;
    size_t n, m;
    mc_op op;
    uint32_t arg;
    const char *sn = suite == MC_SUITE_SM4 ? "SM4" : "AES128";

    CHECK_ST(mc_chip_manufacture(&chip, &pf, ID, suite), MC_OK, sn);
    CHECK(mc_chip_seed_version(&chip) == 1 && mc_chip_epoch_year(&chip) == 2027, "%s manufactured seed", sn);
    memset(ktrans, 0x5a, sizeof ktrans);
    CHECK_ST(mc_chip_transport_envelope(&chip, ktrans, env), MC_OK, sn);
    CHECK_ST(mc_envelope_open_transport(ktrans, env, sizeof env, &center), MC_OK, "center opens TRANSPORT");
    ktrans[0] ^= 1;
    CHECK_ST(mc_envelope_open_transport(ktrans, env, sizeof env, &next), MC_BAD_TAG, "wrong K_trans");

    /* outbound certificates verify at the center, and forgeries do not */
    CHECK_ST(mc_chip_authenticate(&chip, cert), MC_OK, sn);
    CHECK_ST(mc_center_verify(&center, MC_TYPE_AUTH, cert, 32, NULL, 0, T0, 300), MC_OK, "AUTH verifies");
    cert[31] ^= 0x80;
    CHECK_ST(mc_center_verify(&center, MC_TYPE_AUTH, cert, 32, NULL, 0, T0, 300), MC_BAD_TAG, "forged AUTH");
    const uint8_t data[] = "temperature=21.5C";
    CHECK_ST(mc_chip_sign(&chip, data, sizeof data - 1, cert), MC_OK, sn);
    CHECK_ST(mc_center_verify(&center, MC_TYPE_SIGN, cert, 32, data, sizeof data - 1, T0, 300), MC_OK, "SIGN");
    CHECK_ST(mc_center_verify(&center, MC_TYPE_SIGN, cert, 32, data, sizeof data - 2, T0, 300), MC_BAD_TAG, "SIGN cut");
    CHECK_ST(mc_center_verify(&center, MC_TYPE_AUTH, cert, 32, NULL, 0, T0, 300), MC_WRONG_TYPE, "SIGN as AUTH");
    CHECK_ST(mc_chip_encrypt(&chip, data, sizeof data - 1, cert, sizeof cert, &n), MC_OK, sn);
    CHECK(n == sizeof data - 1 + MC_ENC_OVERHEAD, "%s ENC_UP length", sn);
    CHECK_ST(mc_center_decrypt(&center, cert, n, T0, 300, out, sizeof out, &m), MC_OK, "ENC_UP opens");
    CHECK(m == sizeof data - 1 && memcmp(out, data, m) == 0, "%s ENC_UP plaintext", sn);
    cert[n - 1] ^= 1;
    CHECK_ST(mc_center_decrypt(&center, cert, n, T0, 300, out, sizeof out, &m), MC_BAD_TAG, "forged ENC_UP");
    CHECK_ST(mc_chip_encrypt(&chip, data, sizeof data - 1, cert, sizeof data - 2 + MC_ENC_OVERHEAD, &n), MC_ERR_BUFFER,
             "short buffer");

    /* ENC_DOWN: accepted once, forged / misaddressed / stale refused */
    CHECK_ST(mc_cert_make_encrypted(&center, MC_TYPE_ENC_DOWN, suite, ID, T0 - 10, 0x1111, data, 5, cert, sizeof cert, &n),
             MC_OK, "center ENC_DOWN");
    CHECK_ST(mc_chip_decrypt(&chip, cert, n, out, 4, &m), MC_ERR_BUFFER, "small plaintext buffer");
    CHECK_ST(mc_chip_decrypt(&chip, cert, n, out, sizeof out, &m), MC_OK, "ENC_DOWN");
    CHECK(m == 5 && memcmp(out, data, 5) == 0, "%s ENC_DOWN plaintext", sn);
    CHECK_ST(mc_chip_decrypt(&chip, cert, n, out, sizeof out, &m), MC_REPLAY, "ENC_DOWN replay");
    cert[30] ^= 4;
    CHECK_ST(mc_chip_decrypt(&chip, cert, n, out, sizeof out, &m), MC_BAD_TAG, "forged ENC_DOWN");
    CHECK_ST(mc_cert_make_encrypted(&center, MC_TYPE_ENC_UP, suite, ID, T0, 0x2222, data, 5, cert, sizeof cert, &n),
             MC_OK, "ENC_UP by center");
    CHECK_ST(mc_chip_decrypt(&chip, cert, n, out, sizeof out, &m), MC_WRONG_TYPE, "reflected ENC_UP");

    /* COMMAND refusals, in the reference's order */
    command(&center, suite, ID + 1, T0, 1, MC_OP_REVOKE, 1, cmd);
    CHECK_ST(mc_chip_accept(&chip, cmd, sizeof cmd, &op, &arg, NULL), MC_WRONG_SENSOR, "other sensor");
    command(&center, suite == MC_SUITE_SM4 ? MC_SUITE_AES128 : MC_SUITE_SM4, ID, T0, 1, MC_OP_REVOKE, 1, cmd);
    CHECK_ST(mc_chip_accept(&chip, cmd, sizeof cmd, &op, &arg, NULL), MC_UNSUPPORTED_SUITE, "other suite");
    command(&center, suite, ID, T0 - 301, 2, MC_OP_REVOKE, 1, cmd);
    CHECK_ST(mc_chip_accept(&chip, cmd, sizeof cmd, &op, &arg, NULL), MC_STALE_TIMESTAMP, "stale");
    command(&center, suite, ID, T0 + 301, 3, MC_OP_REVOKE, 1, cmd);
    CHECK_ST(mc_chip_accept(&chip, cmd, sizeof cmd, &op, &arg, NULL), MC_FUTURE_TIMESTAMP, "future");
    command(&center, suite, ID, T0, 4, MC_OP_REVOKE, 1, cmd);
    cmd[26] ^= 1; /* argument 1 -> 0 would be malformed; flip the tag instead */
    cmd[26] ^= 1;
    cmd[36] ^= 1;
    CHECK_ST(mc_chip_accept(&chip, cmd, sizeof cmd, &op, &arg, NULL), MC_BAD_TAG, "forged COMMAND");
    CHECK_ST(mc_chip_accept(&chip, cmd, 36, &op, &arg, NULL), MC_MALFORMED, "truncated COMMAND");
    command(&center, suite, ID, T0, 5, MC_OP_REVOKE, 2, cmd);
    CHECK_ST(mc_chip_accept(&chip, cmd, sizeof cmd, &op, &arg, NULL), MC_WRONG_SEED_VERSION, "revoke other version");
    command(&center, suite, ID, T0, 6, MC_OP_SEED_UPDATE, 3, cmd);
    CHECK_ST(mc_chip_accept(&chip, cmd, sizeof cmd, &op, &arg, env), MC_WRONG_SEED_VERSION, "update skipping");
    CHECK(!mc_chip_is_revoked(&chip) && !mc_chip_has_pending(&chip), "%s refusals changed nothing", sn);

    /* seed update: pending until activated, old seed until then, new seed afterwards */
    CHECK_ST(mc_chip_pending_envelope(&chip, env), MC_ERR_NO_PENDING, "nothing pending");
    command(&center, suite, ID, T0, 7, MC_OP_SEED_UPDATE, 2, cmd);
    CHECK_ST(mc_chip_accept(&chip, cmd, sizeof cmd, &op, &arg, env), MC_OK, "update");
    CHECK(op == MC_OP_SEED_UPDATE && arg == 2, "%s update order", sn);
    CHECK_ST(mc_envelope_open_update(&center, env, sizeof env, &next), MC_OK, "center opens UPDATE");
    CHECK_ST(mc_chip_pending_envelope(&chip, env), MC_OK, "re-seal");
    CHECK_ST(mc_envelope_open_update(&center, env, sizeof env, &next), MC_OK, "center opens re-sealed UPDATE");
    CHECK_ST(mc_chip_authenticate(&chip, cert), MC_OK, sn);
    CHECK_ST(mc_center_verify(&center, MC_TYPE_AUTH, cert, 32, NULL, 0, T0, 300), MC_OK, "old seed until activation");
    CHECK_ST(mc_chip_activate_pending(&chip), MC_OK, sn);
    CHECK_ST(mc_chip_authenticate(&chip, cert), MC_OK, sn);
    CHECK_ST(mc_center_verify(&center, MC_TYPE_AUTH, cert, 32, NULL, 0, T0, 300), MC_BAD_TAG, "old seed refused");
    CHECK_ST(mc_center_verify(&next, MC_TYPE_AUTH, cert, 32, NULL, 0, T0, 300), MC_OK, "new seed accepted");
    CHECK(memcmp(tp.seed + 1, "\x00\x00\x00\x02", 4) == 0, "%s new seed persisted", sn);

    /* persisted state restores the replay memory */
    mc_chip again;
    CHECK_ST(mc_chip_init(&again, &pf, ID, suite, tp.seed, MC_SEED_BYTES, 300), MC_OK, "re-init");
    CHECK_ST(mc_chip_restore_state(&again, tp.state, tp.state_len), MC_OK, "restore");
    command(&next, suite, ID, T0, 7, MC_OP_REVOKE, 2, cmd);
    CHECK_ST(mc_chip_accept(&again, cmd, sizeof cmd, &op, &arg, NULL), MC_REPLAY, "replay across restart");
    mc_chip_wipe(&again);
    /* a state one version behind the seed (activation cut between its two writes) restores; others do not */
    uint8_t lagging[MC_STATE_BYTES];
    memcpy(lagging, tp.state, tp.state_len);
    static const uint32_t versions[] = {1, 3, 0};
    static const mc_status expected[] = {MC_OK, MC_WRONG_SEED_VERSION, MC_WRONG_SEED_VERSION};
    for (size_t i = 0; i < 3; i++) {
        lagging[0] = lagging[1] = lagging[2] = 0;
        lagging[3] = (uint8_t)versions[i];
        CHECK_ST(mc_chip_init(&again, &pf, ID, suite, tp.seed, MC_SEED_BYTES, 300), MC_OK, "re-init");
        CHECK_ST(mc_chip_restore_state(&again, lagging, tp.state_len), expected[i], "state version vs seed 2");
        mc_chip_wipe(&again);
    }

    /* revoke */
    command(&next, suite, ID, T0 + 1, 8, MC_OP_REVOKE, 2, cmd);
    CHECK_ST(mc_chip_accept(&chip, cmd, sizeof cmd, &op, &arg, NULL), MC_OK, "revoke");
    CHECK(mc_chip_is_revoked(&chip), "%s revoked", sn);
    CHECK_ST(mc_chip_authenticate(&chip, cert), MC_REVOKED, "revoked auth");
    CHECK_ST(mc_chip_encrypt(&chip, data, 3, cert, sizeof cert, &n), MC_REVOKED, "revoked encrypt");
    CHECK_ST(mc_chip_transport_envelope(&chip, ktrans, env), MC_REVOKED, "revoked transport");
    static const mc_seed zero;
    CHECK(memcmp(&chip.seed, &zero, sizeof zero) == 0, "%s seed wiped on revoke", sn);
    mc_chip_wipe(&chip);
}

static void replay_memory(mc_suite suite) {
    t_platform tp = {0};
    tp.rng_state = 99;
    tp.now = T0;
    mc_platform pf = t_platform_of(&tp);
    mc_chip chip;
    mc_seed center;
    uint8_t raw[MC_SEED_BYTES], cert[64], out[16];
    size_t n, m;
    raw[0] = 1;
    raw[1] = raw[2] = raw[3] = 0;
    raw[4] = 1;
    raw[5] = 2027 >> 8;
    raw[6] = 2027 & 0xff;
    t_random(&tp, raw + 7, MC_SEED_BYTES - 7);
    CHECK_ST(mc_seed_decode(raw, sizeof raw, &center), MC_OK, "seed");
    CHECK_ST(mc_chip_init(&chip, &pf, ID, suite, raw, sizeof raw, 300), MC_OK, "init");
    /* fill the memory with distinct timestamps, then one more: the oldest is forgotten and the
     * floor rises past it, so an old-but-unseen certificate is refused */
    for (uint32_t i = 0; i <= MC_REPLAY_CAPACITY; i++) {
        mc_cert_make_encrypted(&center, MC_TYPE_ENC_DOWN, suite, ID, T0 - 200 + i, 1000 + i, (const uint8_t *)"x", 1,
                               cert, sizeof cert, &n);
        CHECK_ST(mc_chip_decrypt(&chip, cert, n, out, sizeof out, &m), MC_OK, "fill");
    }
    mc_cert_make_encrypted(&center, MC_TYPE_ENC_DOWN, suite, ID, T0 - 200, 5, (const uint8_t *)"x", 1, cert, sizeof cert,
                           &n);
    CHECK_ST(mc_chip_decrypt(&chip, cert, n, out, sizeof out, &m), MC_REPLAY, "below the floor");
    mc_cert_make_encrypted(&center, MC_TYPE_ENC_DOWN, suite, ID, T0 + 100, 6, (const uint8_t *)"x", 1, cert, sizeof cert,
                           &n);
    CHECK_ST(mc_chip_decrypt(&chip, cert, n, out, sizeof out, &m), MC_OK, "newer accepted");
    /* entries leave the memory with the window */
    tp.now = T0 + 1000;
    mc_cert_make_encrypted(&center, MC_TYPE_ENC_DOWN, suite, ID, T0 + 1000, 7, (const uint8_t *)"x", 1, cert,
                           sizeof cert, &n);
    CHECK_ST(mc_chip_decrypt(&chip, cert, n, out, sizeof out, &m), MC_OK, "later");
    CHECK(chip.seen_count == 1, "%u entries after the window moved", (unsigned)chip.seen_count);
    /* a seed expired for the certificate's year is SEED_EXPIRED, not a tag failure */
    tp.now = 1956528000u + 10; /* 2032-01-01 */
    mc_cert_make_encrypted(&center, MC_TYPE_ENC_DOWN, suite, ID, T0, 8, (const uint8_t *)"x", 1, cert, sizeof cert, &n);
    cert[10] = (uint8_t)((1956528000u + 10) >> 24); /* re-date the header: the seed cannot cover it */
    cert[11] = (uint8_t)((1956528000u + 10) >> 16);
    cert[12] = (uint8_t)((1956528000u + 10) >> 8);
    cert[13] = (uint8_t)(1956528000u + 10);
    CHECK_ST(mc_chip_decrypt(&chip, cert, n, out, sizeof out, &m), MC_SEED_EXPIRED, "expired seed");
    uint8_t auth[32];
    CHECK_ST(mc_chip_authenticate(&chip, auth), MC_SEED_EXPIRED, "making with an expired seed");
    tp.now = T0;
    tp.fail_rng = 1;
    CHECK_ST(mc_chip_authenticate(&chip, auth), MC_ERR_RNG, "RNG failure");
    mc_chip_wipe(&chip);
}

static void arguments(void) {
    mc_cert c;
    mc_seed s;
    uint8_t b[64] = {0};
    CHECK_ST(mc_cert_decode(NULL, 5, &c), MC_ERR_ARGUMENT, "NULL input");
    CHECK_ST(mc_cert_decode(b, 32, NULL), MC_ERR_ARGUMENT, "NULL output");
    CHECK_ST(mc_seed_decode(b, 64, &s), MC_TOO_SHORT, "short seed");
    CHECK_ST(mc_chip_init(NULL, NULL, 0, MC_SUITE_AES128, b, 64, 0), MC_ERR_ARGUMENT, "NULL chip");
    CHECK(strcmp(mc_status_name(MC_WRONG_SEED_VERSION), "WRONG_SEED_VERSION") == 0, "names");
    CHECK(strcmp(mc_status_name((mc_status)999), "UNKNOWN_STATUS") == 0, "unknown name");
    CHECK(mc_ct_equal((const uint8_t *)"abc", (const uint8_t *)"abd", 3) == 0, "ct differ");
    CHECK(mc_ct_equal((const uint8_t *)"abc", (const uint8_t *)"abc", 3) == 1, "ct equal");
    int y, mo, d;
    mc_utc_date(951782400u, &y, &mo, &d); /* 2000-02-29 */
    CHECK(y == 2000 && mo == 2 && d == 29, "leap day %d-%d-%d", y, mo, d);
    mc_utc_date(4294967295u, &y, &mo, &d); /* 2106-02-07 */
    CHECK(y == 2106 && mo == 2 && d == 7, "last u32 day %d-%d-%d", y, mo, d);
}

int main(void) {
    lifecycle(MC_SUITE_AES128);
    lifecycle(MC_SUITE_SM4);
    replay_memory(MC_SUITE_AES128);
    replay_memory(MC_SUITE_SM4);
    arguments();
    return t_report("test_chip");
}
