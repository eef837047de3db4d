package org.microcert.protocol;

import java.util.HexFormat;

/**
 * A sensor's identity: 8 bytes, big-endian on the wire. Its text form (URLs, JSON, logs) is exactly
 * 16 lower-case hex digits, so every sensor id has one spelling.
 */
public record SensorId(long value) implements Comparable<SensorId> {

    /** Length of a sensor id on the wire, in bytes. */
    public static final int BYTES = 8;

    /**
     * Parses the 16-hex-digit text form.
     *
     * @throws IllegalArgumentException naming the problem when {@code text} is not 16 hex digits
     */
    public static SensorId parse(String text) {
        if (text == null || text.length() != 16) {
            throw new IllegalArgumentException("sensor id must be 16 hex digits");
        }
        for (int i = 0; i < 16; i++) {
            if (Character.digit(text.charAt(i), 16) < 0) {
                throw new IllegalArgumentException("sensor id must be 16 hex digits");
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
