package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CskDerivationTest {

    private static final SensorId ID = new SensorId(42);
    private static final long TS = Instant.parse("2027-03-09T10:15:30Z").getEpochSecond();
    private final KeySeed seed = KeySeed.generate(KeySeed.newDrbg(), 1, 2026);

    @Test
    void rowSelectionFollowsTheDateAndTheRandom() throws Exception {
        int[] rows = CskDerivation.selectRows(2026, TS, 0x0001_0000_0000_0000L);
        // Y row 1 (2027), M row of March, D row of the 9th, then R rows: byte0 = 0 -> 0, byte1 = 1 -> 1 + 1 % 12 = 2
        assertArrayEquals(new int[] {1, 5 + 2, 17 + 8, 48 + 0, 48 + 2}, rows);
        // byte0 = 12 swaps 0 <-> 12; byte1 = 11 -> j = 1 + 11 % 12 = 12, which now holds 0
        assertArrayEquals(new int[] {1, 7, 25, 48 + 12, 48 + 0},
                CskDerivation.selectRows(2026, TS, 0x0c0b_0000_0000_0000L));
    }

    @Test
    void everyRandomSelectsDistinctRRows() throws Exception {
        for (int b0 = 0; b0 < 256; b0++) {
            for (int b1 = 0; b1 < 256; b1++) {
                int[] rows = CskDerivation.selectRows(2026, TS, ((long) b0 << 56) | ((long) b1 << 48));
                assertFalse(rows[3] == rows[4]);
                assertEquals(true, rows[3] >= KeySeed.R_FIRST && rows[4] >= KeySeed.R_FIRST);
            }
        }
    }

    @Test
    void yearsOutsideTheSeedsLifeAreRejected() {
        long before = Instant.parse("2025-12-31T23:59:59Z").getEpochSecond();
        long after = Instant.parse("2031-01-01T00:00:00Z").getEpochSecond();
        assertEquals(2025, assertThrows(SeedExpiredException.class,
                () -> CskDerivation.derive(seed, CipherSuite.AES128, KeyPurpose.AUTH, ID, before, 1)).year());
        assertEquals(2031, assertThrows(SeedExpiredException.class,
                () -> CskDerivation.derive(seed, CipherSuite.AES128, KeyPurpose.AUTH, ID, after, 1)).year());
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void keysForDifferentPurposesSensorsTimesAndRandomsAreAllDifferent(CipherSuite suite) throws Exception {
        Set<String> keys = new HashSet<>();
        for (KeyPurpose p : KeyPurpose.values()) {
            keys.add(hex(CskDerivation.derive(seed, suite, p, ID, TS, 7)));
            keys.add(hex(CskDerivation.derive(seed, suite, p, new SensorId(43), TS, 7)));
            keys.add(hex(CskDerivation.derive(seed, suite, p, ID, TS + 1, 7)));
            keys.add(hex(CskDerivation.derive(seed, suite, p, ID, TS, 8)));
        }
        assertEquals(4 * KeyPurpose.values().length, keys.size());
        assertArrayEquals(CskDerivation.derive(seed, suite, KeyPurpose.AUTH, ID, TS, 7),
                CskDerivation.derive(seed, suite, KeyPurpose.AUTH, ID, TS, 7));
    }

    @Test
    void suitesGiveDifferentKeys() throws Exception {
        assertFalse(Arrays.equals(CskDerivation.derive(seed, CipherSuite.AES128, KeyPurpose.AUTH, ID, TS, 7),
                CskDerivation.derive(seed, CipherSuite.SM4, KeyPurpose.AUTH, ID, TS, 7)));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void theKeyDependsOnEverySelectedRowAndOnNoOtherRow(CipherSuite suite) throws Exception {
        long random = 0x0305_0000_0000_0000L;
        byte[] key = CskDerivation.derive(seed, suite, KeyPurpose.SIGN, ID, TS, random);
        Set<Integer> selected = new HashSet<>();
        for (int r : CskDerivation.selectRows(seed.epochYear(), TS, random)) {
            selected.add(r);
        }
        for (int row = 0; row < KeySeed.ROWS; row++) {
            byte[] bytes = seed.toBytes();
            bytes[KeySeed.HEADER_LENGTH + row * KeySeed.ROW_BYTES + 5] ^= 0x40;
            byte[] changed = CskDerivation.derive(KeySeed.fromBytes(bytes), suite, KeyPurpose.SIGN, ID, TS, random);
            assertEquals(selected.contains(row), !Arrays.equals(key, changed), "row " + row);
        }
    }

    /**
     * The HDCP-style attack: if keys were a linear (XOR) combination of rows, the key for row set
     * A ^ B ^ C ^ D with A^B = C^D would vanish. With CSK, the XOR of keys over two row selections
     * that share rows shows no such relation.
     */
    @Test
    void keysAreNotLinearInTheRows() throws Exception {
        // same date, R selections {0,1}, {0,2}, {3,1}, {3,2}: a linear scheme gives k1^k2^k3^k4 = 0
        long[] randoms = {0x0000L << 48, 0x0001L << 48, 0x0300L << 48, 0x0301L << 48};
        byte[] acc = new byte[16];
        for (long r : randoms) {
            byte[] k = CskDerivation.derive(seed, CipherSuite.AES128, KeyPurpose.AUTH, ID, TS, r);
            for (int i = 0; i < 16; i++) {
                acc[i] ^= k[i];
            }
        }
        assertFalse(Arrays.equals(new byte[16], acc));
    }

    @Test
    void timestampsOutsideU32AreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> CskDerivation.derive(seed, CipherSuite.AES128, KeyPurpose.AUTH, ID, -1, 0));
        assertThrows(IllegalArgumentException.class,
                () -> CskDerivation.derive(seed, CipherSuite.AES128, KeyPurpose.AUTH, ID, 1L << 32, 0));
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }

    @Test
    void aSeedKeepingItsYearKeyDerivesExactlyWhatAPlainSeedDoesAcrossYearsAndSuites() throws Exception {
        KeySeed kept = KeySeed.fromBytes(seed.toBytes()).keepYearKeySchedule();
        java.util.Random r = new java.util.Random(5);
        long first = Instant.parse("2026-01-01T00:00:00Z").getEpochSecond();
        long span = Instant.parse("2031-01-01T00:00:00Z").getEpochSecond() - first;
        for (int i = 0; i < 2_000; i++) {
            // mostly runs within one year (the kept schedule is reused), then jumps (it is re-keyed)
            long ts = first + (i % 50 < 45 ? (i / 50) % 5 * (span / 5) + r.nextInt(86_400 * 300) : (long) (r.nextDouble() * span));
            long random = r.nextLong();
            CipherSuite suite = i % 200 < 190 ? CipherSuite.AES128 : CipherSuite.SM4;
            KeyPurpose purpose = KeyPurpose.values()[i % KeyPurpose.values().length];
            assertArrayEquals(CskDerivation.derive(seed, suite, purpose, ID, ts, random),
                    CskDerivation.derive(kept, suite, purpose, ID, ts, random), "derivation " + i);
        }
        kept.destroy();
        assertThrows(IllegalStateException.class, () -> CskDerivation.derive(kept, CipherSuite.AES128, KeyPurpose.AUTH, ID, TS, 1));
    }

    @Test
    void aChipsCertificateVerifiesAgainstASeedKeepingItsYearKeyAndAWrongTagDoesNot() throws Exception {
        KeySeed kept = KeySeed.fromBytes(seed.toBytes()).keepYearKeySchedule();
        SensorChip chip = SensorChip.withSeed(ID, CipherSuite.AES128, KeySeed.fromBytes(seed.toBytes()), KeySeed.newDrbg(),
                CertificateVerifier.DEFAULT_MAX_SKEW);
        CertificateVerifier verifier = new CertificateVerifier();
        for (int i = 0; i < 20; i++) {
            Instant now = Instant.ofEpochSecond(TS + i * 86_400L * 20); // across days and months of 2027-2028
            MicroCertificate cert = chip.authenticate(now);
            verifier.verifyAuth(kept, cert, now);
            byte[] bytes = cert.encode();
            bytes[bytes.length - 1] ^= 1; // a wrong tag is still refused with the schedule kept
            assertEquals(RejectReason.BAD_TAG, assertThrows(VerificationException.class,
                    () -> verifier.verifyAuth(kept, MicroCertificate.decode(bytes), now)).reason());
        }
    }
}
