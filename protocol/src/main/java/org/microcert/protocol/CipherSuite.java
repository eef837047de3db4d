package org.microcert.protocol;

import java.util.Optional;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SM3Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.engines.SM4Engine;

/**
 * The algorithms a certificate is made with, named on the wire by one suite byte. Both suites use a
 * 128-bit block cipher with 128-bit keys, so every construction (CSK, CMAC tags, GCM payloads, seed
 * updates) is the same with the block cipher and digest swapped.
 * <ul>
 *   <li>{@link #AES128}: AES-128, AES-CMAC (SP 800-38B), AES-GCM (SP 800-38D), SHA-256. The default.</li>
 *   <li>{@link #SM4}: SM4 (GB/T 32907), SM4-CMAC, SM4-GCM (RFC 8998), SM3 (GB/T 32905).</li>
 * </ul>
 * Certificate MAC tags are the leftmost {@link #tagLength()} bytes of the CMAC; AEAD tags are
 * always 16 bytes.
 */
public enum CipherSuite {
    AES128((byte) 0x01),
    SM4((byte) 0x02);

    /** values() without the copy per call: fromCode runs on every decode. */
    private static final CipherSuite[] VALUES = values();

    /** Length of a certificate's MAC tag in bytes: the leftmost bytes of the 16-byte CMAC. */
    public static final int TAG_LENGTH = 10;
    /** Length of an AEAD (GCM) tag in bytes. */
    public static final int AEAD_TAG_LENGTH = 16;
    /** Length of the digest (SHA-256 or SM3) in bytes. */
    public static final int DIGEST_LENGTH = 32;

    private final byte code;

    CipherSuite(byte code) {
        this.code = code;
    }

    /** The suite byte on the wire. */
    public byte code() {
        return code;
    }

    /** Length of a certificate's MAC tag in bytes (fixed per suite; {@value #TAG_LENGTH} for both). */
    public int tagLength() {
        return TAG_LENGTH;
    }

    /** The suite named by a suite byte, or empty for a byte no suite uses. */
    public static Optional<CipherSuite> fromCode(byte code) {
        for (CipherSuite s : VALUES) {
            if (s.code == code) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** A new instance of the suite's 128-bit block cipher (Bouncy Castle). */
    BlockCipher newBlockCipher() {
        return switch (this) {
            case AES128 -> AESEngine.newInstance();
            case SM4 -> new SM4Engine();
        };
    }

    /** A new instance of the suite's 256-bit digest (Bouncy Castle). */
    Digest newDigest() {
        return switch (this) {
            case AES128 -> new SHA256Digest();
            case SM4 -> new SM3Digest();
        };
    }
}
