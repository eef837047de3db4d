package org.microcert.protocol;

import java.util.Optional;

/**
 * The algorithms a certificate is made with, named on the wire by one suite byte.
 * <ul>
 *   <li>{@link #AES128}: AES-128, AES-CMAC, AES-GCM, SHA-256. The default.</li>
 *   <li>{@link #SM4}: SM4, SM4-CMAC, SM4-GCM, SM3 (the Chinese national standards).</li>
 * </ul>
 */
public enum CipherSuite {
    AES128((byte) 0x01),
    SM4((byte) 0x02);

    private final byte code;

    CipherSuite(byte code) {
        this.code = code;
    }

    /** The suite byte on the wire. */
    public byte code() {
        return code;
    }

    /** The suite named by a suite byte, or empty for a byte no suite uses. */
    public static Optional<CipherSuite> fromCode(byte code) {
        for (CipherSuite s : values()) {
            if (s.code == code) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
