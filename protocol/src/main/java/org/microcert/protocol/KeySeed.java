package org.microcert.protocol;

import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.params.KeyParameter;

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
 * that throws {@link IllegalStateException}. Thread-safe for concurrent reads, unless
 * {@link #keepYearKeySchedule()} was called: a seed that keeps its schedule is for one thread at a time.
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

    // The CMAC keyed by one Y row, kept across derivations once the owner asked for it: re-keying
    // a CMAC (AES key schedule, subkeys, and their garbage) is about half of a derivation's cost,
    // and the Y row changes once a year. Not thread-safe, hence opt-in (keepYearKeySchedule).
    private boolean keepYearKey;
    private CMac yearKey;
    private CipherSuite yearKeySuite;
    private int yearKeyRow = -1;

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

    /**
     * Keeps the CMAC key schedule of the row a derivation keys with (the year's Y row) with this
     * seed from now on, so derivations in the same year skip re-keying. For an owner that derives
     * many keys from the seed and never from two threads at once (the center's sensor entity); the
     * seed must then not be shared between threads. {@link #destroy()} wipes the schedule too.
     */
    public KeySeed keepYearKeySchedule() {
        checkAlive();
        keepYearKey = true;
        return this;
    }

    /** The CMAC keyed by {@code row} for {@code suite}, or null unless {@link #keepYearKeySchedule()}. */
    CMac yearKey(CipherSuite suite, int row) {
        if (!keepYearKey) {
            return null;
        }
        checkAlive();
        if (yearKeySuite != suite) {
            wipeYearKey();
            yearKey = new CMac(suite.newBlockCipher());
            yearKeySuite = suite;
        }
        if (yearKeyRow != row) {
            KeyParameter key = new KeyParameter(rows, row * ROW_BYTES, ROW_BYTES);
            yearKey.init(key);
            Arrays.fill(key.getKey(), (byte) 0); // the engine holds its own schedule; this copy is done
            yearKeyRow = row;
        }
        return yearKey;
    }

    /**
     * Re-keys the kept CMAC with zeros and runs it once, overwriting its last output (a derived
     * key). Bouncy Castle's AES clears its old schedule on init; its SM4 engine and the CMAC's
     * subkey arrays are replaced without clearing, so those leave garbage for the collector, as
     * every per-request CMAC of the uncached path does.
     */
    private void wipeYearKey() {
        if (yearKey != null) {
            yearKey.init(new KeyParameter(new byte[ROW_BYTES]));
            byte[] zeros = new byte[ROW_BYTES];
            yearKey.update(zeros, 0, zeros.length);
            yearKey.doFinal(zeros, 0);
            yearKey = null;
            yearKeySuite = null;
            yearKeyRow = -1;
        }
    }

    /** Overwrites the rows (and a kept key schedule) with zeros; the seed is unusable afterwards. */
    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(rows, (byte) 0);
        wipeYearKey();
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
