package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SecretTest {

    @Test
    void neverPrintsItsValueAndRefusesUseOnceWiped() {
        Secret s = Secret.ofChars("correct horse".toCharArray());
        assertFalse(s.toString().contains("correct"), s.toString());
        assertArrayEquals("correct horse".toCharArray(), s.chars());
        s.close();
        assertEquals("Secret(wiped)", s.toString());
        IllegalStateException e = assertThrows(IllegalStateException.class, s::bytes);
        assertFalse(e.getMessage().contains("horse"), e.getMessage());
        s.close(); // idempotent
    }

    @Test
    void theCopiesHandedToACallbackAreWipedAfterIt() {
        AtomicReference<char[]> chars = new AtomicReference<>();
        AtomicReference<byte[]> bytes = new AtomicReference<>();
        try (Secret s = Secret.ofChars("pin-1234".toCharArray())) {
            assertEquals(Integer.valueOf(8), s.withChars(c -> { chars.set(c); return c.length; }));
            assertEquals(Integer.valueOf(8), s.withBytes(b -> { bytes.set(b); return b.length; }));
        }
        assertArrayEquals(new char[8], chars.get());
        assertArrayEquals(new byte[8], bytes.get());
    }

    @Test
    void fileContentLosesTheSurroundingWhitespaceAndTheRawBytesAreWiped() {
        byte[] raw = "  pässword\r\n".getBytes(StandardCharsets.UTF_8);
        try (Secret s = Secret.fromFileContent(raw)) {
            assertArrayEquals("pässword".toCharArray(), s.chars()); // UTF-8, not one char per byte
        }
        assertArrayEquals(new byte[raw.length], raw);
    }

    @Test
    void anUnsetOrEmptyVariableIsNoSecretAndComparisonIsByValue() {
        Map<String, String> env = Map.of("SET", "abc", "EMPTY", "");
        assertTrue(Secret.fromEnvironment(env::get, "EMPTY").isEmpty());
        assertTrue(Secret.fromEnvironment(env::get, "UNSET").isEmpty());
        assertTrue(Secret.fromEnvironment(env::get, "").isEmpty());
        try (Secret a = Secret.fromEnvironment(env::get, "SET").orElseThrow();
             Secret b = Secret.ofBytes("abc".getBytes(StandardCharsets.US_ASCII));
             Secret c = Secret.ofChars("abd".toCharArray())) {
            assertTrue(a.sameAs(b));
            assertFalse(a.sameAs(c));
            assertFalse(a.equals(b), "no value equality: it would invite non-constant-time checks");
        }
    }
}
