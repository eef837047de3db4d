package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class MicroCertificateTest {

    private static final Instant NOW = Instant.parse("2026-11-25T18:00:00Z");
    private final SensorChip chip = SensorChip.manufacture(SensorId.parse("0102030405060708"), CipherSuite.AES128, NOW);

    @Test
    void authCertificateHasTheDocumentedLayout() throws Exception {
        MicroCertificate cert = chip.authenticate(NOW);
        byte[] b = cert.encode();
        assertEquals(32, b.length);
        assertEquals(0x11, b[0]);
        assertEquals(0x01, b[1]);
        assertEquals("0102030405060708", HexFormat.of().formatHex(b, 2, 10));
        assertEquals(NOW.getEpochSecond(), Integer.toUnsignedLong(Bytes.getInt(b, 10)));
        assertEquals(cert.random(), Bytes.getLong(b, 14));
        assertEquals(HexFormat.of().formatHex(cert.tag()), HexFormat.of().formatHex(b, 22, 32));
        assertEquals(cert, MicroCertificate.decode(b));
    }

    @Test
    void everyTypeRoundTrips() throws Exception {
        KeySeed seed = KeySeed.generate(KeySeed.newDrbg(), 1, 2026);
        CenterIssuer issuer = new CenterIssuer();
        for (MicroCertificate c : new MicroCertificate[] {chip.authenticate(NOW), chip.sign(new byte[5], NOW),
                chip.encrypt(new byte[100], NOW), chip.encrypt(new byte[0], NOW),
                issuer.issueCommand(seed, CipherSuite.SM4, new SensorId(1), new CommandOrder.SeedUpdate(2), NOW),
                issuer.encryptPayload(seed, CipherSuite.SM4, new SensorId(1), new byte[3], NOW)}) {
            assertEquals(c, MicroCertificate.decode(c.encode()));
        }
    }

    @Test
    void timestampsAboveTwoToThe31DecodeAsUnsigned() throws Exception {
        byte[] b = chip.authenticate(NOW).encode();
        Arrays.fill(b, 10, 14, (byte) 0xff);
        assertEquals(0xFFFF_FFFFL, MicroCertificate.decode(b).timestamp());
    }

    @Test
    void malformedCertificatesNameTheirDefect() throws Exception {
        byte[] auth = chip.authenticate(NOW).encode();
        assertDefect(Defect.TOO_SHORT, null);
        assertDefect(Defect.TOO_SHORT, new byte[0]);
        assertDefect(Defect.TOO_SHORT, Arrays.copyOf(auth, 31));
        assertDefect(Defect.TOO_LONG, Arrays.copyOf(auth, 33));
        assertDefect(Defect.TOO_LONG, new byte[MicroCertificate.MAX_LENGTH + 1]);
        assertDefect(Defect.UNKNOWN_VERSION, with(auth, 0, 0x21));
        assertDefect(Defect.UNKNOWN_VERSION, with(auth, 0, 0x01));
        assertDefect(Defect.UNKNOWN_TYPE, with(auth, 0, 0x10));
        assertDefect(Defect.UNKNOWN_TYPE, with(auth, 0, 0x16));
        assertDefect(Defect.UNKNOWN_SUITE, with(auth, 1, 0x00));
        assertDefect(Defect.UNKNOWN_SUITE, with(auth, 1, 0x03));
        // a 32-byte certificate claiming COMMAND is too short for one
        assertDefect(Defect.TOO_SHORT, with(auth, 0, 0x13));
        byte[] command = new CenterIssuer().issueCommand(KeySeed.generate(KeySeed.newDrbg(), 1, 2026),
                CipherSuite.AES128, new SensorId(1), new CommandOrder.Revoke(1), NOW).encode();
        assertDefect(Defect.UNKNOWN_COMMAND, with(command, 22, 0x07));
        assertDefect(Defect.BAD_FIELD, with(with(with(with(command, 23, 0), 24, 0), 25, 0), 26, 0));
        assertDefect(Defect.BAD_FIELD, with(command, 23, 0x80));
        // ENC_UP needs at least header + 16-byte AEAD tag
        assertDefect(Defect.TOO_SHORT, with(Arrays.copyOf(auth, 37), 0, 0x14));
    }

    @Test
    void constructorRefusesInconsistentFields() {
        SensorId id = new SensorId(1);
        assertThrows(IllegalArgumentException.class,
                () -> new MicroCertificate(CertificateType.AUTH, CipherSuite.AES128, id, 0, 0, new byte[1], new byte[10]));
        assertThrows(IllegalArgumentException.class,
                () -> new MicroCertificate(CertificateType.AUTH, CipherSuite.AES128, id, 0, 0, new byte[0], new byte[16]));
        assertThrows(IllegalArgumentException.class,
                () -> new MicroCertificate(CertificateType.AUTH, CipherSuite.AES128, id, -1, 0, new byte[0], new byte[10]));
        assertThrows(IllegalArgumentException.class, () -> new MicroCertificate(CertificateType.ENC_UP,
                CipherSuite.AES128, id, 0, 0, new byte[MicroCertificate.MAX_PAYLOAD + 1], new byte[16]));
    }

    @Test
    void toStringShowsNoPayload() throws Exception {
        MicroCertificate c = chip.encrypt(new byte[] {1, 2, 3}, NOW);
        assertEquals(true, c.toString().contains("body=3 bytes"));
    }

    static byte[] with(byte[] b, int index, int value) {
        byte[] copy = b.clone();
        copy[index] = (byte) value;
        return copy;
    }

    private static void assertDefect(Defect defect, byte[] bytes) {
        MalformedCertificateException e = assertThrows(MalformedCertificateException.class,
                () -> MicroCertificate.decode(bytes));
        assertEquals(defect, e.reason(), e.getMessage());
    }
}
