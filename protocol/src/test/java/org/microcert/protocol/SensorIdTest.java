package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SensorIdTest {

    @ParameterizedTest
    @ValueSource(strings = {"4d43000000000001", "0000000000000000", "ffffffffffffffff", "0123456789abcdef"})
    void canonicalTextRoundTrips(String text) {
        assertEquals(text, SensorId.parse(text).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "4D43000000000001",                 // upper case: a second spelling of 4d43000000000001
            "4d4300000000000A",
            "\uFF14d43000000000001",            // full-width digit four
            "\u0664d43000000000001",            // Arabic-Indic digit four
            "4d4300000000001",                  // 15 characters
            "4d430000000000001",                // 17 characters
            "",
            "+d43000000000001",
            "4d43 00000000001",
            "0x4d430000000001"})
    void everyOtherSpellingIsRefusedByName(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SensorId.parse(text));
        assertEquals("sensor id must be 16 lower-case hex digits (0-9, a-f)", e.getMessage());
    }

    @Test
    void nullIsRefusedByName() {
        assertThrows(IllegalArgumentException.class, () -> SensorId.parse(null));
    }
}
