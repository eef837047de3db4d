package org.microcert.simulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationConverterTest {

    @Test
    void theDocumentedFormsAreRead() {
        assertEquals(Duration.ofSeconds(30), DurationConverter.parse("30s"));
        assertEquals(Duration.ofSeconds(30), DurationConverter.parse(" 30S "));
        assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
        assertEquals(Duration.ofMillis(1_500), DurationConverter.parse("1.5s"));
        assertEquals(Duration.ofSeconds(90), DurationConverter.parse("1.5m"));
        assertEquals(Duration.ofHours(2), DurationConverter.parse("2h"));
        assertEquals(Duration.ofMillis(250), DurationConverter.parse("0.25"));
        assertEquals(Duration.ZERO, DurationConverter.parse("0s"));
        assertEquals(Duration.ofDays(1000), DurationConverter.parse("24000h"));
    }

    @Test
    void anythingElseIsRefusedWithTheReason() {
        // 1d and 1f were one second (Double.parseDouble's type suffixes), 1e400s infinite
        for (String v : List.of("2d", "1f", "1e3s", "1e400s", "NaNs", "Infinity", "soon", "", "s", ".5s", "1.s", "1 s")) {
            CommandLine.TypeConversionException e = assertThrows(CommandLine.TypeConversionException.class,
                    () -> DurationConverter.parse(v), v);
            assertTrue(e.getMessage().contains("is not a duration"), e.getMessage());
        }
        for (String v : List.of("-5s", "-0.5", " -1m")) {
            assertTrue(assertThrows(CommandLine.TypeConversionException.class, () -> DurationConverter.parse(v))
                    .getMessage().contains("is negative"), v);
        }
        for (String v : List.of("24001h", "99999999999999999999999h")) {
            assertTrue(assertThrows(CommandLine.TypeConversionException.class, () -> DurationConverter.parse(v))
                    .getMessage().contains("is too long"), v);
        }
    }
}
