package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Operator tokens: stored hashed, matched by hash, roles and names from the file. */
class BearerTokensTest {

    static final String TOKEN = "3f6c0a5e9b1d47c2a8e4f0b6d2c9a1e7";

    @Test
    void aKnownTokenYieldsItsNameAndRoleAndNothingElseMatches() {
        BearerTokens tokens = BearerTokens.parse(List.of("# comment", "", BearerTokens.sha256Hex(TOKEN) + " operator alice"),
                "tokens");
        BearerTokens.Principal p = tokens.authenticate("Bearer " + TOKEN).orElseThrow();
        assertEquals("alice", p.name());
        assertEquals(BearerTokens.Role.OPERATOR, p.role());
        assertTrue(tokens.authenticate("bearer " + TOKEN).isPresent(), "the scheme is case-insensitive");
        assertFalse(tokens.authenticate("Bearer " + TOKEN + "x").isPresent());
        assertFalse(tokens.authenticate("Basic " + TOKEN).isPresent());
        assertFalse(tokens.authenticate("Bearer " + BearerTokens.sha256Hex(TOKEN)).isPresent(),
                "the stored hash is not a credential");
        assertFalse(tokens.authenticate(null).isPresent());
        assertFalse(tokens.authenticate("Bearer ").isPresent());
        assertFalse(tokens.toString().contains(BearerTokens.sha256Hex(TOKEN)));
    }

    @Test
    void aBadTokensFileIsRefusedWithItsLine() {
        String hash = BearerTokens.sha256Hex(TOKEN);
        assertTrue(assertThrows(BearerTokens.BadTokensFileException.class, () -> BearerTokens.parse(
                List.of(hash + " root alice"), "t")).getMessage().contains("t line 1: unknown role 'root'"));
        assertTrue(assertThrows(BearerTokens.BadTokensFileException.class, () -> BearerTokens.parse(
                List.of(TOKEN + " operator alice"), "t")).getMessage().contains("64 hex digits"));
        assertTrue(assertThrows(BearerTokens.BadTokensFileException.class, () -> BearerTokens.parse(
                List.of(hash + " operator"), "t")).getMessage().contains("expected"));
        assertTrue(assertThrows(BearerTokens.BadTokensFileException.class, () -> BearerTokens.parse(
                List.of(hash + " operator a", hash + " auditor b"), "t")).getMessage().contains("line 2"));
        // full-width digits are digits to Character.digit, but no token hashes to them
        String fullWidth = '\uFF10' + hash.substring(1);
        assertEquals(64, fullWidth.length());
        assertTrue(assertThrows(BearerTokens.BadTokensFileException.class, () -> BearerTokens.parse(
                List.of(fullWidth + " operator alice"), "t")).getMessage().contains("t line 1: the hash must be 64 hex digits"));
    }

    @Test
    void rolesReadAndPrintTheSameInATurkishLocale() {
        Locale before = Locale.getDefault();
        Locale.setDefault(Locale.forLanguageTag("tr-TR"));
        try {
            // "auditor".toUpperCase() is "AUDİTOR" there, and "AUDITOR".toLowerCase() is "audıtor"
            BearerTokens tokens = BearerTokens.parse(List.of(BearerTokens.sha256Hex(TOKEN) + " auditor carol",
                    BearerTokens.sha256Hex("other").toUpperCase(Locale.ROOT) + " OPERATOR dave"), "t");
            assertEquals(BearerTokens.Role.AUDITOR, tokens.authenticate("Bearer " + TOKEN).orElseThrow().role());
            assertEquals(BearerTokens.Role.OPERATOR, tokens.authenticate("Bearer other").orElseThrow().role(),
                    "upper-case hex and role are read as lower case");
            assertEquals("auditor", BearerTokens.Role.AUDITOR.label());
        } finally {
            Locale.setDefault(before);
        }
    }

    @Test
    void onlyBearerOneSpaceAndAB64TokenAuthenticate() {
        BearerTokens tokens = BearerTokens.parse(List.of(BearerTokens.sha256Hex(TOKEN) + " operator alice"), "t");
        Instant now = Instant.now();
        assertEquals("alice", tokens.check("Bearer " + TOKEN, now).principal().name());
        assertEquals("alice", tokens.check("BEARER " + TOKEN, now).principal().name(), "RFC 9110: scheme case-insensitive");
        for (String bad : List.of("Bearer  " + TOKEN, "Bearer " + TOKEN + " ", " Bearer " + TOKEN, "Bearer\t" + TOKEN,
                "Bearer " + TOKEN + " junk", "Bearer " + TOKEN + "\u00e9", "Bearer", "Bearer ", "Bearer" + TOKEN,
                "Basic " + TOKEN, "Bearer =" + TOKEN)) {
            BearerTokens.Check c = tokens.check(bad, now);
            assertEquals(BearerTokens.Failure.MALFORMED, c.failure(), bad);
            assertEquals(null, c.principal());
        }
        assertEquals(BearerTokens.Failure.MISSING, tokens.check(null, now).failure());
        assertEquals(BearerTokens.Failure.UNKNOWN, tokens.check("Bearer other", now).failure());
    }

    @Test
    void aTokenStopsAtItsExpiryAndOldThreeFieldLinesNeverExpire() {
        BearerTokens tokens = BearerTokens.parse(List.of(
                BearerTokens.sha256Hex(TOKEN) + " operator alice expires=2027-01-01T00:00:00Z",
                BearerTokens.sha256Hex("forever") + " auditor bob"), "t");
        Instant expiry = Instant.parse("2027-01-01T00:00:00Z");
        assertEquals("alice", tokens.check("Bearer " + TOKEN, expiry.minusMillis(1)).principal().name());
        assertEquals(BearerTokens.Failure.EXPIRED, tokens.check("Bearer " + TOKEN, expiry).failure());
        assertEquals("bob", tokens.check("Bearer forever", Instant.parse("9999-01-01T00:00:00Z")).principal().name());
        assertTrue(assertThrows(BearerTokens.BadTokensFileException.class, () -> BearerTokens.parse(
                List.of(BearerTokens.sha256Hex(TOKEN) + " operator alice expires=tomorrow"), "t")).getMessage()
                .contains("t line 1: expires must be an ISO-8601 instant"));
        assertTrue(assertThrows(BearerTokens.BadTokensFileException.class, () -> BearerTokens.parse(
                List.of(BearerTokens.sha256Hex(TOKEN) + " operator alice until=2027-01-01T00:00:00Z"), "t")).getMessage()
                .contains("t line 1: the fourth field must be expires="));
    }

    @Test
    void aChangedFileIsTakenAndABadOneKeepsTheTokensBefore(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, BearerTokens.sha256Hex(TOKEN) + " operator alice\n");
        BearerTokens tokens = BearerTokens.load(file);
        assertFalse(tokens.reloadIfChanged(file), "unchanged content is not reloaded");

        Files.writeString(file, BearerTokens.sha256Hex("newer") + " auditor carol\n");
        assertTrue(tokens.reloadIfChanged(file));
        assertEquals("carol", tokens.authenticate("Bearer newer").orElseThrow().name());
        assertFalse(tokens.authenticate("Bearer " + TOKEN).isPresent(), "a removed token stops at once");

        Files.writeString(file, BearerTokens.sha256Hex("third") + " root dave\n");
        assertFalse(tokens.reloadIfChanged(file));
        assertEquals("carol", tokens.authenticate("Bearer newer").orElseThrow().name(), "a bad file keeps the old tokens");
        assertFalse(tokens.authenticate("Bearer third").isPresent());

        Files.delete(file);
        assertFalse(tokens.reloadIfChanged(file));
        assertEquals("carol", tokens.authenticate("Bearer newer").orElseThrow().name(), "a vanished file keeps them too");
    }
}
