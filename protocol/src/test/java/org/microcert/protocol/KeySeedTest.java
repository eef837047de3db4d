package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class KeySeedTest {

    private static KeySeed seed() {
        return KeySeed.generate(KeySeed.newDrbg(), 3, 2026);
    }

    @Test
    void serialisedFormRoundTripsAndHasTheDocumentedLayout() throws Exception {
        KeySeed seed = seed();
        byte[] bytes = seed.toBytes();
        assertEquals(983, bytes.length);
        assertEquals(0x01, bytes[0]);
        assertEquals("00000003", HexFormat.of().formatHex(bytes, 1, 5));
        assertEquals("07ea", HexFormat.of().formatHex(bytes, 5, 7));
        KeySeed back = KeySeed.fromBytes(bytes);
        assertEquals(3, back.version());
        assertEquals(2026, back.epochYear());
        assertEquals(2030, back.lastYear());
        assertArrayEquals(bytes, back.toBytes());
        assertTrue(back.sameSecretAs(seed));
    }

    @Test
    void toStringNeverShowsRows() {
        KeySeed seed = seed();
        String text = seed.toString();
        String firstRow = HexFormat.of().formatHex(seed.toBytes(), 7, 23);
        assertFalse(text.toLowerCase(java.util.Locale.ROOT).contains(firstRow.substring(0, 8)));
        assertTrue(text.contains("version=3") && text.contains("redacted"));
    }

    @Test
    void destroyWipesRowsAndForbidsFurtherUse() {
        KeySeed seed = seed();
        byte[] live = seed.rows();
        seed.destroy();
        assertTrue(seed.isDestroyed());
        assertTrue(Arrays.equals(new byte[live.length], live));
        assertThrows(IllegalStateException.class, seed::toBytes);
    }

    @Test
    void twoGeneratedSeedsDiffer() {
        assertFalse(seed().sameSecretAs(seed()));
    }

    @Test
    void malformedSerialisedFormsAreRejectedWithTheirDefect() {
        byte[] good = seed().toBytes();
        assertDefect(Defect.TOO_SHORT, Arrays.copyOf(good, 982));
        assertDefect(Defect.TOO_SHORT, new byte[0]);
        assertDefect(Defect.TOO_SHORT, null);
        assertDefect(Defect.TOO_LONG, Arrays.copyOf(good, 984));
        byte[] format = good.clone();
        format[0] = 2;
        assertDefect(Defect.UNKNOWN_VERSION, format);
        byte[] version = good.clone();
        Arrays.fill(version, 1, 5, (byte) 0);
        assertDefect(Defect.BAD_FIELD, version);
        byte[] negative = good.clone();
        negative[1] = (byte) 0x80;
        assertDefect(Defect.BAD_FIELD, negative);
        byte[] year = good.clone();
        year[5] = 0;
        year[6] = 1;
        assertDefect(Defect.BAD_FIELD, year);
    }

    @Test
    void generateRejectsBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> KeySeed.generate(KeySeed.newDrbg(), 0, 2026));
        assertThrows(IllegalArgumentException.class, () -> KeySeed.generate(KeySeed.newDrbg(), 1, 1999));
    }

    private static void assertDefect(Defect defect, byte[] bytes) {
        MalformedSeedException e = assertThrows(MalformedSeedException.class, () -> KeySeed.fromBytes(bytes));
        assertEquals(defect, e.reason(), e.getMessage());
    }
}
