package org.microcert.protocol;

import java.time.LocalDate;
import java.util.Objects;
import org.bouncycastle.crypto.macs.CMac;

/**
 * CSK ("combined symmetric key") derivation: turns a key seed into a one-time 128-bit key for one
 * purpose, sensor, timestamp and 64-bit random. The exact algorithm is in docs/protocol.md; in
 * short:
 * <ol>
 *   <li>Row selection. With (year, month, day) the UTC date of the timestamp: the Y row
 *       {@code year - epochYear} (outside 0..4: {@link SeedExpiredException}), the M row
 *       {@code month - 1}, the D row {@code day - 1}, and {@value #R_SELECTED} distinct R rows chosen by a partial
 *       Fisher-Yates shuffle of 0..12 driven by the most significant bytes of the random.</li>
 *   <li>Combination. {@code K = CMAC_{Y}(P || M || D || R_a || R_b)} with the suite's
 *       CMAC, where P is the 32-byte public block (counter, label "CSK", purpose, suite, sensor id,
 *       timestamp, random, output length) laid out like an SP 800-108 counter-mode KDF input.</li>
 * </ol>
 * The result is a pseudorandom function of the selected rows and of every public input (see the
 * security argument in docs/protocol.md); it is never a linear combination of rows, which would
 * let anyone holding about 61 derived keys solve for the whole seed (HDCP 1.x was broken so).
 */
public final class CskDerivation {

    /** Length of a derived key in bytes. */
    public static final int KEY_BYTES = 16;
    /** How many R rows each derivation selects. */
    public static final int R_SELECTED = 2;
    /** Number of rows each derivation uses: Y, M, D and the R rows. */
    public static final int SELECTED_ROWS = 3 + R_SELECTED;
    static final int PUBLIC_BLOCK_LENGTH = 32;
    static final int INPUT_LENGTH = PUBLIC_BLOCK_LENGTH + (SELECTED_ROWS - 1) * KeySeed.ROW_BYTES;
    /** Largest timestamp a certificate can carry (unsigned 32-bit seconds). */
    public static final long MAX_TIMESTAMP = 0xFFFF_FFFFL;
    private static final long SECONDS_PER_DAY = 86_400;

    private CskDerivation() {
    }

    /**
     * The indices (0..60, seed order) of the rows a derivation uses, in the order they enter the
     * combination: Y, M, D, then the R rows.
     *
     * @throws SeedExpiredException if the timestamp's UTC year is outside the seed's five years
     */
    public static int[] selectRows(int epochYear, long timestamp, long random) throws SeedExpiredException {
        int[] out = new int[SELECTED_ROWS];
        selectRows(epochYear, timestamp, random, out, new int[KeySeed.R_ROWS]);
        return out;
    }

    private static void selectRows(int epochYear, long timestamp, long random, int[] out, int[] perm)
            throws SeedExpiredException {
        checkTimestamp(timestamp);
        LocalDate date = LocalDate.ofEpochDay(timestamp / SECONDS_PER_DAY);
        int yearIndex = date.getYear() - epochYear;
        if (yearIndex < 0 || yearIndex >= KeySeed.Y_ROWS) {
            throw new SeedExpiredException(date.getYear(), epochYear);
        }
        out[0] = KeySeed.Y_FIRST + yearIndex;
        out[1] = KeySeed.M_FIRST + date.getMonthValue() - 1;
        out[2] = KeySeed.D_FIRST + date.getDayOfMonth() - 1;
        for (int i = 0; i < KeySeed.R_ROWS; i++) {
            perm[i] = i;
        }
        for (int i = 0; i < R_SELECTED; i++) {
            int b = (int) (random >>> (56 - 8 * i)) & 0xff;
            int j = i + b % (KeySeed.R_ROWS - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
            out[3 + i] = KeySeed.R_FIRST + perm[i];
        }
    }

    /**
     * Derives a one-time key. The returned array is a fresh copy: wipe it when done.
     *
     * @throws SeedExpiredException if the timestamp's UTC year is outside the seed's five years
     * @throws IllegalArgumentException if the timestamp is negative or above {@link #MAX_TIMESTAMP}
     */
    public static byte[] derive(KeySeed seed, CipherSuite suite, KeyPurpose purpose, SensorId sensor,
                                long timestamp, long random) throws SeedExpiredException {
        byte[] out = new byte[KEY_BYTES];
        deriveInto(Engines.of(suite), seed, purpose, sensor, timestamp, random, out);
        return out;
    }

    /** Derives into {@code out[0..16)} with the calling thread's engines; allocation-free apart from BC's key setup. */
    static void deriveInto(Engines e, KeySeed seed, KeyPurpose purpose, SensorId sensor, long timestamp,
                           long random, byte[] out) throws SeedExpiredException {
        Objects.requireNonNull(purpose, "purpose");
        byte[] rows = seed.rows();
        int[] selected = e.selected;
        selectRows(seed.epochYear(), timestamp, random, selected, e.permutation);
        byte[] in = e.cskInput;
        in[0] = 0x01;                       // counter i: one 128-bit output block
        in[1] = 'C';                        // label "CSK" || purpose
        in[2] = 'S';
        in[3] = 'K';
        in[4] = (byte) purpose.code();
        in[5] = e.suite.code();             // context: suite, sensor, timestamp, random
        Bytes.putLong(in, 6, sensor.value());
        Bytes.putInt(in, 14, (int) timestamp);
        Bytes.putLong(in, 18, random);
        Bytes.putShort(in, 26, KEY_BYTES * 8); // [L] = 128
        Bytes.putInt(in, 28, 0);
        for (int i = 1; i < SELECTED_ROWS; i++) {
            System.arraycopy(rows, selected[i] * KeySeed.ROW_BYTES, in,
                    PUBLIC_BLOCK_LENGTH + (i - 1) * KeySeed.ROW_BYTES, KeySeed.ROW_BYTES);
        }
        try {
            CMac kept = seed.yearKey(e.suite, selected[0]);
            if (kept != null) { // doFinal leaves it keyed for the next derivation
                kept.update(in, 0, INPUT_LENGTH);
                kept.doFinal(out, 0);
            } else {
                e.cmacKeyedByRow(rows, selected[0] * KeySeed.ROW_BYTES, in, 0, INPUT_LENGTH, out);
            }
        } finally {
            Engines.wipe(in);
        }
    }

    static void checkTimestamp(long timestamp) {
        if (timestamp < 0 || timestamp > MAX_TIMESTAMP) {
            throw new IllegalArgumentException("timestamp must be in 0.." + MAX_TIMESTAMP + " seconds");
        }
    }
}
