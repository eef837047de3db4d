/*
 * mc_interop: one sensor chip driven over stdin/stdout, for interoperability tests with a live
 * MicroCert node. Real sensors do not speak HTTP to the center: a gateway relays their bytes.
 * Here the test plays the gateway (DeviceCInteropCassandraTest) and this program plays the
 * sensor, using only the library's public API with the real clock and the OS random source.
 *
 * Protocol: one command per line, one answer line "OK ..." or "ERR <STATUS>"; binary as hex.
 *   manufacture <sensor id hex16> <AES128|SM4> <K_trans hex64>  -> OK <TRANSPORT envelope>
 *   auth                    -> OK <AUTH certificate>
 *   sign <data>             -> OK <SIGN certificate>
 *   encrypt <plaintext>     -> OK <ENC_UP certificate>
 *   decrypt <ENC_DOWN>      -> OK <plaintext>
 *   accept <COMMAND>        -> OK SEED_UPDATE <version> <UPDATE envelope> | OK REVOKE <version>
 *   activate                -> OK <active seed version>
 *   forge                   -> OK <AUTH certificate tagged with a seed the center does not know>
 *   status                  -> OK <seed version> <revoked 0|1> <pending 0|1>
 * An empty argument (e.g. empty data) is written as "-".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "microcert/microcert.h"

static int os_random(void *ctx, uint8_t *out, size_t len) {
    (void)ctx;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f == NULL) return -1;
    size_t n = fread(out, 1, len, f);
    fclose(f);
    return n == len ? 0 : -1;
}

static int os_now(void *ctx, uint32_t *now) {
    (void)ctx;
    time_t t = time(NULL);
    if (t < 0 || (unsigned long long)t > 0xffffffffull) return -1;
    *now = (uint32_t)t;
    return 0;
}

static const mc_platform PLATFORM = {NULL, os_random, os_now, NULL};

static uint8_t in_buf[2 * (MC_MAX_CERT_BYTES + 64)];
static uint8_t bin[MC_MAX_CERT_BYTES + 64];
static uint8_t out[MC_MAX_CERT_BYTES + 64];

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex (or "-" for empty) into bin; -1 on bad input. */
static long unhex(const char *s) {
    if (s == NULL) return -1;
    if (strcmp(s, "-") == 0) return 0;
    size_t n = strlen(s);
    if (n % 2 != 0 || n / 2 > sizeof bin) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
        if (h < 0 || l < 0) return -1;
        bin[i] = (uint8_t)(h << 4 | l);
    }
    return (long)(n / 2);
}

static void puthex(const uint8_t *p, size_t n) {
    if (n == 0) fputc('-', stdout);
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static void ok_hex(const uint8_t *p, size_t n) {
    fputs("OK ", stdout);
    puthex(p, n);
    fputc('\n', stdout);
}

static void err(mc_status st) { printf("ERR %s\n", mc_status_name(st)); }

int main(void) {
    static mc_chip chip;
    int have_chip = 0;
    char *line = (char *)in_buf;
    while (fgets(line, (int)sizeof in_buf, stdin) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *cmd = strtok(line, " ");
        char *a1 = strtok(NULL, " ");
        char *a2 = strtok(NULL, " ");
        char *a3 = strtok(NULL, " ");
        mc_status st = MC_OK;
        size_t n = 0;
        long len;
        if (cmd == NULL) continue;
        if (strcmp(cmd, "quit") == 0) break;
        if (strcmp(cmd, "manufacture") == 0) {
            uint8_t k[32];
            if (a1 == NULL || a2 == NULL || unhex(a3) != 32) {
                err(MC_ERR_ARGUMENT);
            } else {
                memcpy(k, bin, 32);
                uint64_t id = strtoull(a1, NULL, 16);
                mc_suite suite = strcmp(a2, "SM4") == 0 ? MC_SUITE_SM4 : MC_SUITE_AES128;
                st = mc_chip_manufacture(&chip, &PLATFORM, id, suite);
                if (st == MC_OK) st = mc_chip_transport_envelope(&chip, k, out);
                mc_wipe(k, sizeof k);
                have_chip = st == MC_OK;
                if (st == MC_OK) ok_hex(out, MC_ENVELOPE_BYTES); else err(st);
            }
        } else if (!have_chip) {
            err(MC_ERR_ARGUMENT);
        } else if (strcmp(cmd, "auth") == 0) {
            st = mc_chip_authenticate(&chip, out);
            if (st == MC_OK) ok_hex(out, MC_AUTH_BYTES); else err(st);
        } else if (strcmp(cmd, "sign") == 0) {
            if ((len = unhex(a1)) < 0) { err(MC_ERR_ARGUMENT); fflush(stdout); continue; }
            st = mc_chip_sign(&chip, bin, (size_t)len, out);
            if (st == MC_OK) ok_hex(out, MC_SIGN_BYTES); else err(st);
        } else if (strcmp(cmd, "encrypt") == 0) {
            if ((len = unhex(a1)) < 0) { err(MC_ERR_ARGUMENT); fflush(stdout); continue; }
            st = mc_chip_encrypt(&chip, bin, (size_t)len, out, sizeof out, &n);
            if (st == MC_OK) ok_hex(out, n); else err(st);
        } else if (strcmp(cmd, "decrypt") == 0) {
            if ((len = unhex(a1)) < 0) { err(MC_ERR_ARGUMENT); fflush(stdout); continue; }
            st = mc_chip_decrypt(&chip, bin, (size_t)len, out, sizeof out, &n);
            if (st == MC_OK) ok_hex(out, n); else err(st);
            mc_wipe(out, n);
        } else if (strcmp(cmd, "accept") == 0) {
            mc_op op;
            uint32_t arg;
            if ((len = unhex(a1)) < 0) { err(MC_ERR_ARGUMENT); fflush(stdout); continue; }
            st = mc_chip_accept(&chip, bin, (size_t)len, &op, &arg, out);
            if (st != MC_OK) {
                err(st);
            } else if (op == MC_OP_SEED_UPDATE) {
                printf("OK SEED_UPDATE %u ", (unsigned)arg);
                puthex(out, MC_ENVELOPE_BYTES);
                fputc('\n', stdout);
            } else {
                printf("OK REVOKE %u\n", (unsigned)arg);
            }
        } else if (strcmp(cmd, "activate") == 0) {
            st = mc_chip_activate_pending(&chip);
            if (st == MC_OK) printf("OK %u\n", (unsigned)mc_chip_seed_version(&chip)); else err(st);
        } else if (strcmp(cmd, "forge") == 0) {
            /* what an attacker without the seed can do: a well-formed AUTH under a guessed seed */
            static mc_chip forger;
            uint8_t raw[MC_SEED_BYTES];
            st = mc_seed_encode(&chip.seed, raw, sizeof raw);
            if (st == MC_OK) st = os_random(NULL, raw + 7, MC_SEED_BYTES - 7) == 0 ? MC_OK : MC_ERR_RNG;
            if (st == MC_OK) st = mc_chip_init(&forger, &PLATFORM, chip.sensor_id, chip.suite, raw, sizeof raw, 300);
            if (st == MC_OK) st = mc_chip_authenticate(&forger, out);
            mc_wipe(raw, sizeof raw);
            mc_chip_wipe(&forger);
            if (st == MC_OK) ok_hex(out, MC_AUTH_BYTES); else err(st);
        } else if (strcmp(cmd, "status") == 0) {
            printf("OK %u %d %d\n", (unsigned)mc_chip_seed_version(&chip), mc_chip_is_revoked(&chip),
                   mc_chip_has_pending(&chip));
        } else {
            err(MC_ERR_ARGUMENT);
        }
        fflush(stdout);
    }
    mc_chip_wipe(&chip);
    return 0;
}
