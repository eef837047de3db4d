package org.microcert.protocol;

import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * A sensor's key seed: the 61 x 16-byte matrix K = [Y(5); M(12); D(31); R(13)] of the paper, plus
 * the seed version (starts at 1, +1 per seed update) and the epoch year (the first of the five UTC
 * years the Y rows cover). Rows are numbered 0..60 in that order: Y 0..4, M 5..16, D 17..47,
 * R 48..60.
 *
 * <p>Serialised form ({@link #toBytes()}, {@value #ENCODED_LENGTH} bytes, big-endian):
 * {@code 0x01 (format) | version u32 | epochYear u16 | 61 rows x 16 bytes}.
 *
 * <p>Secret: {@link #toString()} never shows rows, {@link #destroy()} wipes them; every use after
 * that throws {@link IllegalStateException}. Thread-safe for concurrent reads.
 */
public final class KeySeed implements Destroyable {

    public static final int ROW_BYTES = 16;
    public static final int Y_ROWS = 5;
    public static final int M_ROWS = 12;
    public static final int D_ROWS = 31;
    public static final int R_ROWS = 13;
    public static final int ROWS = Y_ROWS + M_ROWS + D_ROWS + R_ROWS;
    /** Index of the first row of each sub-matrix. */
    public static final int Y_FIRST = 0;
    public static final int M_FIRST = Y_FIRST + Y_ROWS;
    public static final int D_FIRST = M_FIRST + M_ROWS;
    public static final int R_FIRST = D_FIRST + D_ROWS;
    /** A seed covers its epoch year and the four following years. */
    public static final int LIFETIME_YEARS = Y_ROWS;
    /** Range of accepted epoch years. */
    public static final int MIN_EPOCH_YEAR = 2000;
    public static final int MAX_EPOCH_YEAR = 2100;
    public static final byte FORMAT = 0x01;
    public static final int HEADER_LENGTH = 1 + 4 + 2;
    public static final int ENCODED_LENGTH = HEADER_LENGTH + ROWS * ROW_BYTES;

    private final byte[] rows;
    private final int version;
    private final int epochYear;
    private volatile boolean destroyed;

    private KeySeed(byte[] rows, int version, int epochYear) {
        this.rows = rows;
        this.version = version;
        this.epochYear = epochYear;
    }

    /**
     * A fresh seed from {@code random}, which stands in for the chip's hardware RNG and must be a
     * DRBG or equivalent (see {@link #newDrbg()}).
     *
     * @throws IllegalArgumentException if the version is below 1 or the epoch year out of range
     */
    public static KeySeed generate(SecureRandom random, int version, int epochYear) {
        Objects.requireNonNull(random, "random");
        checkVersion(version);
        if (epochYear < MIN_EPOCH_YEAR || epochYear > MAX_EPOCH_YEAR) {
            throw new IllegalArgumentException("epoch year must be in " + MIN_EPOCH_YEAR + ".." + MAX_EPOCH_YEAR);
        }
        byte[] rows = new byte[ROWS * ROW_BYTES];
        random.nextBytes(rows);
        return new KeySeed(rows, version, epochYear);
    }

    /**
     * A new SP 800-90A DRBG (the JDK's {@code DRBG}, 256-bit strength)
     * seeded by the operating system: the stand-in for the chip's hardware RNG.
     */
    public static SecureRandom newDrbg() {
        try {
            return SecureRandom.getInstance("DRBG",
                    DrbgParameters.instantiation(256, DrbgParameters.Capability.RESEED_ONLY, null));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no DRBG SecureRandom", e);
        }
    }

    /**
     * Decodes the serialised form strictly: exact length, known format, version >= 1, epoch year in
     * range. The caller should wipe {@code encoded} afterwards; the seed keeps its own copy.
     */
    public static KeySeed fromBytes(byte[] encoded) throws MalformedSeedException {
        if (encoded == null || encoded.length < ENCODED_LENGTH) {
            throw new MalformedSeedException(Defect.TOO_SHORT, "key seed must be " + ENCODED_LENGTH + " bytes, got "
                    + (encoded == null ? "none" : encoded.length));
        }
        if (encoded.length > ENCODED_LENGTH) {
            throw new MalformedSeedException(Defect.TOO_LONG,
                    "key seed must be " + ENCODED_LENGTH + " bytes, got " + encoded.length);
        }
        if (encoded[0] != FORMAT) {
            throw new MalformedSeedException(Defect.UNKNOWN_VERSION,
                    "unknown key seed format 0x" + Integer.toHexString(encoded[0] & 0xff));
        }
        int version = Bytes.getInt(encoded, 1);
        if (version < 1) {
            throw new MalformedSeedException(Defect.BAD_FIELD, "key seed version must be >= 1, got " + Integer.toUnsignedString(version));
        }
        int epochYear = Bytes.getShort(encoded, 5);
        if (epochYear < MIN_EPOCH_YEAR || epochYear > MAX_EPOCH_YEAR) {
            throw new MalformedSeedException(Defect.BAD_FIELD, "key seed epoch year " + epochYear + " outside "
                    + MIN_EPOCH_YEAR + ".." + MAX_EPOCH_YEAR);
        }
        return new KeySeed(Arrays.copyOfRange(encoded, HEADER_LENGTH, ENCODED_LENGTH), version, epochYear);
    }

    /** The serialised form (a fresh array holding secret rows: wipe it when done). */
    public byte[] toBytes() {
        checkAlive();
        byte[] out = new byte[ENCODED_LENGTH];
        out[0] = FORMAT;
        Bytes.putInt(out, 1, version);
        Bytes.putShort(out, 5, epochYear);
        System.arraycopy(rows, 0, out, HEADER_LENGTH, rows.length);
        return out;
    }

    /** The seed version: 1 for the seed made at manufacture, +1 per update. */
    public int version() {
        return version;
    }

    /** The first UTC year the seed covers. */
    public int epochYear() {
        return epochYear;
    }

    /** The last UTC year the seed covers ({@code epochYear + 4}). */
    public int lastYear() {
        return epochYear + LIFETIME_YEARS - 1;
    }

    /** Compares the secret content with another seed in constant time. */
    public boolean sameSecretAs(KeySeed other) {
        checkAlive();
        other.checkAlive();
        return version == other.version && epochYear == other.epochYear
                && java.security.MessageDigest.isEqual(rows, other.rows);
    }

    /** The live row array (no copy) for the derivations in this package; never leaves it. */
    byte[] rows() {
        checkAlive();
        return rows;
    }

    /** Overwrites the rows with zeros; the seed is unusable afterwards. */
    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(rows, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "KeySeed[version=" + version + ", epochYear=" + epochYear + (destroyed ? ", destroyed" : "") + ", rows redacted]";
    }

    static void checkVersion(int version) {
        if (version < 1) {
            throw new IllegalArgumentException("seed version must be >= 1");
        }
    }

    private void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException("key seed was destroyed");
        }
    }
}
