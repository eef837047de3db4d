package org.microcert.protocol;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A decoded micro-certificate. Wire form (big-endian, docs/protocol.md has the byte table):
 * <pre>
 *  0   1  version (high nibble, = 1) | type (low nibble, {@link CertificateType#code()})
 *  1   1  suite byte ({@link CipherSuite#code()})
 *  2   8  sensor id
 * 10   4  timestamp, u32 seconds since 1970-01-01T00:00:00Z
 * 14   8  random (64 bits, fresh per certificate)
 * 22   n  body: empty (AUTH, SIGN), 5-byte order (COMMAND), ciphertext (ENC_UP, ENC_DOWN)
 * 22+n t  tag: {@value CipherSuite#TAG_LENGTH}-byte truncated CMAC, or 16-byte GCM tag for ENC_*
 * </pre>
 * AUTH and SIGN certificates are 32 bytes, COMMAND 37, ENC_* 38 + payload length. The first 22
 * bytes are the header, which every tag covers. Replay tracking (the cluster's job) keys on
 * {@link #sensorId()}, {@link #timestamp()} and {@link #random()}.
 */
public record MicroCertificate(CertificateType type, CipherSuite suite, SensorId sensorId, long timestamp,
                               long random, byte[] body, byte[] tag) {

    /** The format version in the high nibble of byte 0. */
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 22;
    /** Length of AUTH and SIGN certificates. */
    public static final int AUTH_LENGTH = HEADER_LENGTH + CipherSuite.TAG_LENGTH;
    public static final int SIGN_LENGTH = AUTH_LENGTH;
    public static final int COMMAND_LENGTH = HEADER_LENGTH + CommandOrder.BODY_LENGTH + CipherSuite.TAG_LENGTH;
    /** Largest payload an ENC_* certificate carries. */
    public static final int MAX_PAYLOAD = 65_536;
    public static final int MAX_LENGTH = HEADER_LENGTH + MAX_PAYLOAD + CipherSuite.AEAD_TAG_LENGTH;

    /**
     * Checks field consistency for certificates built in code.
     *
     * @throws IllegalArgumentException if a length or range does not match the type
     */
    public MicroCertificate {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(suite, "suite");
        Objects.requireNonNull(sensorId, "sensorId");
        CskDerivation.checkTimestamp(timestamp);
        body = body.clone();
        tag = tag.clone();
        if (tag.length != tagLength(type, suite)) {
            throw new IllegalArgumentException(type + " tag must be " + tagLength(type, suite) + " bytes");
        }
        switch (type) {
            case AUTH, SIGN -> require(body.length == 0, type + " has no body");
            case COMMAND -> require(body.length == CommandOrder.BODY_LENGTH, "COMMAND body must be 5 bytes");
            case ENC_UP, ENC_DOWN -> require(body.length <= MAX_PAYLOAD, "payload above " + MAX_PAYLOAD + " bytes");
        }
    }

    /**
     * Decodes strictly: every length, the version, type, suite and (for COMMAND) the order are
     * checked; nothing is allocated beyond copies of the input's own ranges.
     */
    public static MicroCertificate decode(byte[] bytes) throws MalformedCertificateException {
        if (bytes == null || bytes.length < AUTH_LENGTH) {
            throw new MalformedCertificateException(Defect.TOO_SHORT, "certificate must be at least " + AUTH_LENGTH
                    + " bytes, got " + (bytes == null ? "none" : bytes.length));
        }
        if (bytes.length > MAX_LENGTH) {
            throw new MalformedCertificateException(Defect.TOO_LONG,
                    "certificate must be at most " + MAX_LENGTH + " bytes, got " + bytes.length);
        }
        int version = (bytes[0] >>> 4) & 0x0f;
        if (version != VERSION) {
            throw new MalformedCertificateException(Defect.UNKNOWN_VERSION, "unknown certificate version " + version);
        }
        CertificateType type = CertificateType.fromCode(bytes[0] & 0x0f).orElseThrow(() ->
                new MalformedCertificateException(Defect.UNKNOWN_TYPE, "unknown certificate type " + (bytes[0] & 0x0f)));
        CipherSuite suite = CipherSuite.fromCode(bytes[1]).orElseThrow(() -> new MalformedCertificateException(
                Defect.UNKNOWN_SUITE, "unknown suite byte 0x" + Integer.toHexString(bytes[1] & 0xff)));
        int tagLength = tagLength(type, suite);
        if (!type.isEncrypted()) {
            int expected = type == CertificateType.COMMAND ? COMMAND_LENGTH : AUTH_LENGTH;
            if (bytes.length != expected) {
                throw new MalformedCertificateException(bytes.length < expected ? Defect.TOO_SHORT : Defect.TOO_LONG,
                        type + " certificate must be " + expected + " bytes, got " + bytes.length);
            }
        } else if (bytes.length < HEADER_LENGTH + tagLength) {
            throw new MalformedCertificateException(Defect.TOO_SHORT,
                    type + " certificate must be at least " + (HEADER_LENGTH + tagLength) + " bytes, got " + bytes.length);
        }
        byte[] body = Arrays.copyOfRange(bytes, HEADER_LENGTH, bytes.length - tagLength);
        if (type == CertificateType.COMMAND) {
            CommandOrder.fromBytes(body);
        }
        return new MicroCertificate(type, suite, new SensorId(Bytes.getLong(bytes, 2)),
                Integer.toUnsignedLong(Bytes.getInt(bytes, 10)), Bytes.getLong(bytes, 14), body,
                Arrays.copyOfRange(bytes, bytes.length - tagLength, bytes.length));
    }

    /** The wire form. */
    public byte[] encode() {
        byte[] out = new byte[HEADER_LENGTH + body.length + tag.length];
        writeHeader(type, suite, sensorId, timestamp, random, out);
        System.arraycopy(body, 0, out, HEADER_LENGTH, body.length);
        System.arraycopy(tag, 0, out, HEADER_LENGTH + body.length, tag.length);
        return out;
    }

    /** The 22-byte header: what every tag covers and the AEAD associated data. */
    public byte[] header() {
        byte[] out = new byte[HEADER_LENGTH];
        writeHeader(type, suite, sensorId, timestamp, random, out);
        return out;
    }

    /** The body (a copy): empty, a 5-byte order, or ciphertext without its tag. */
    @Override
    public byte[] body() {
        return body.clone();
    }

    /** The tag (a copy). */
    @Override
    public byte[] tag() {
        return tag.clone();
    }

    /** Length of the body in bytes. */
    public int bodyLength() {
        return body.length;
    }

    /**
     * The order of a COMMAND certificate.
     *
     * @throws IllegalStateException if this is not a COMMAND certificate
     */
    public CommandOrder command() {
        if (type != CertificateType.COMMAND) {
            throw new IllegalStateException(type + " certificate carries no command");
        }
        try {
            return CommandOrder.fromBytes(body);
        } catch (MalformedCertificateException e) {
            throw new IllegalStateException("unreachable: body checked at construction", e);
        }
    }

    byte[] bodyUnsafe() {
        return body;
    }

    byte[] tagUnsafe() {
        return tag;
    }

    static void writeHeader(CertificateType type, CipherSuite suite, SensorId sensorId, long timestamp, long random,
                            byte[] out) {
        out[0] = (byte) (VERSION << 4 | type.code());
        out[1] = suite.code();
        Bytes.putLong(out, 2, sensorId.value());
        Bytes.putInt(out, 10, (int) timestamp);
        Bytes.putLong(out, 14, random);
    }

    static int tagLength(CertificateType type, CipherSuite suite) {
        return type.isEncrypted() ? CipherSuite.AEAD_TAG_LENGTH : suite.tagLength();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MicroCertificate c && type == c.type && suite == c.suite && sensorId.equals(c.sensorId)
                && timestamp == c.timestamp && random == c.random && Arrays.equals(body, c.body)
                && Arrays.equals(tag, c.tag);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, suite, sensorId, timestamp, random, Arrays.hashCode(tag));
    }

    /** Shows the public fields; the body (possibly ciphertext) only by length. */
    @Override
    public String toString() {
        return "MicroCertificate[" + type + ", " + suite + ", sensor=" + sensorId + ", timestamp=" + timestamp
                + ", random=" + HexFormat.of().toHexDigits(random) + ", body=" + body.length + " bytes, tag="
                + HexFormat.of().formatHex(tag) + "]";
    }
}
