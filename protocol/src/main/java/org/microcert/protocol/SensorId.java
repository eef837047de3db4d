package org.microcert.protocol;

import java.util.HexFormat;

/**
 * A sensor's identity: 8 bytes, big-endian on the wire. Its text form (URLs, JSON, logs) is exactly
 * 16 lower-case hex digits, so every sensor id has one spelling.
 */
public record SensorId(long value) implements Comparable<SensorId> {

    /** Length of a sensor id on the wire, in bytes. */
    public static final int BYTES = 8;

    private static final String FORM = "sensor id must be 16 lower-case hex digits (0-9, a-f)";

    /**
     * Parses the text form: exactly 16 ASCII lower-case hex digits ({@code 0-9}, {@code a-f}). Anything
     * else is refused, upper-case and non-ASCII digits included, so that one sensor never has two
     * spellings (journals, URLs and logs are keyed by this text).
     *
     * @throws IllegalArgumentException naming the problem when {@code text} is not in that form
     */
    public static SensorId parse(String text) {
        if (text == null || text.length() != 16) {
            throw new IllegalArgumentException(FORM);
        }
        for (int i = 0; i < 16; i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                throw new IllegalArgumentException(FORM);
            }
        }
        return new SensorId(Long.parseUnsignedLong(text, 16));
    }

    /** The 8-byte big-endian wire form. */
    public byte[] toBytes() {
        byte[] out = new byte[BYTES];
        for (int i = 0; i < BYTES; i++) {
            out[i] = (byte) (value >>> (56 - 8 * i));
        }
        return out;
    }

    @Override
    public String toString() {
        return HexFormat.of().toHexDigits(value);
    }

    @Override
    public int compareTo(SensorId other) {
        return Long.compareUnsigned(value, other.value);
    }
}
