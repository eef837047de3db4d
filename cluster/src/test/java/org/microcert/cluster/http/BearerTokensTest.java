package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

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
}
