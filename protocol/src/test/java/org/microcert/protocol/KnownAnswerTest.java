package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The suites' primitives, as this package instantiates them, against the examples published with
 * the standards: RFC 4493 / NIST SP 800-38B (AES-CMAC), FIPS 197 (AES), GB/T 32907 (SM4),
 * GB/T 32905 (SM3), FIPS 180-4 (SHA-256), RFC 8998 (SM4-GCM).
 */
class KnownAnswerTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final String SP800_38B_MESSAGE = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
            + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    @ParameterizedTest(name = "RFC 4493 / SP 800-38B AES-128 example, {0} bytes")
    @CsvSource({
        "0, bb1d6929e95937287fa37d129b756746",
        "16, 070a16b46b4d4144f79bdd9dd04a287c",
        "40, dfa66747de9ae63030ca32611497c827",
        "64, 51f0bebf7e3b9d92fc49741779363cfe"})
    void aesCmacMatchesRfc4493(int length, String expected) {
        assertEquals(expected, cmac(CipherSuite.AES128, "2b7e151628aed2a6abf7158809cf4f3c", length));
    }

    @ParameterizedTest(name = "SP 800-38B AES-256 example, {0} bytes")
    @CsvSource({
        "0, 028962f61b7bf89efc6b551f4667d983",
        "16, 28a7023f452e8f82bd4bf28d8c37c35c",
        "40, aaf3d8f1de5640c232f5b169b9c911e6",
        "64, e1992190549f6ed5696a2c056c315410"})
    void aesCmacMatchesSp80038bWith256BitKeys(int length, String expected) {
        assertEquals(expected, cmac(CipherSuite.AES128,
                "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", length));
    }

    @Test
    void aesBlockMatchesFips197() {
        assertEquals("69c4e0d86a7b0430d8cdb78070b4c55a", block(CipherSuite.AES128,
                "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff", 1));
    }

    @Test
    void sm4BlockMatchesGbt32907Example1() {
        assertEquals("681edf34d206965e86b3e94f536e4246", block(CipherSuite.SM4,
                "0123456789abcdeffedcba9876543210", "0123456789abcdeffedcba9876543210", 1));
    }

    @Test
    void sm4MillionfoldEncryptionMatchesGbt32907Example2() {
        assertEquals("595298c7c6fd271f0402f804c33d3f66", block(CipherSuite.SM4,
                "0123456789abcdeffedcba9876543210", "0123456789abcdeffedcba9876543210", 1_000_000));
    }

    @Test
    void sm3MatchesGbt32905Examples() {
        assertEquals("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
                digest(CipherSuite.SM4, "abc"));
        assertEquals("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
                digest(CipherSuite.SM4, "abcd".repeat(16)));
    }

    @Test
    void sha256MatchesFips180Example() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                digest(CipherSuite.AES128, "abc"));
    }

    @Test
    void sm4GcmMatchesRfc8998() throws Exception {
        GCMModeCipher gcm = GCMBlockCipher.newInstance(CipherSuite.SM4.newBlockCipher());
        gcm.init(true, new AEADParameters(new KeyParameter(HEX.parseHex("0123456789abcdeffedcba9876543210")), 128,
                HEX.parseHex("00001234567800000000abcd"), HEX.parseHex("feedfacedeadbeeffeedfacedeadbeefabaddad2")));
        byte[] pt = HEX.parseHex("aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
                + "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa");
        byte[] out = new byte[gcm.getOutputSize(pt.length)];
        gcm.doFinal(out, gcm.processBytes(pt, 0, pt.length, out, 0));
        assertEquals("17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
                + "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
                + "83de3541e4c2b58177e065a9bf7b62ec", HEX.formatHex(out));
    }

    private static String cmac(CipherSuite suite, String key, int length) {
        CMac mac = new CMac(suite.newBlockCipher());
        mac.init(new KeyParameter(HEX.parseHex(key)));
        byte[] msg = HEX.parseHex(SP800_38B_MESSAGE);
        mac.update(msg, 0, length);
        byte[] out = new byte[16];
        mac.doFinal(out, 0);
        return HEX.formatHex(out);
    }

    private static String block(CipherSuite suite, String key, String plaintext, int times) {
        BlockCipher c = suite.newBlockCipher();
        c.init(true, new KeyParameter(HEX.parseHex(key)));
        byte[] b = HEX.parseHex(plaintext);
        for (int i = 0; i < times; i++) {
            c.processBlock(b, 0, b, 0);
        }
        return HEX.formatHex(b);
    }

    private static String digest(CipherSuite suite, String text) {
        Digest d = suite.newDigest();
        byte[] in = text.getBytes(StandardCharsets.US_ASCII);
        d.update(in, 0, in.length);
        byte[] out = new byte[d.getDigestSize()];
        d.doFinal(out, 0);
        return HEX.formatHex(out);
    }
}
