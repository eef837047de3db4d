package org.microcert.protocol;

import java.util.Optional;

/**
 * The kind of a micro-certificate: the low nibble of its first byte. Each type has its own CSK
 * purpose, so a key (and thus a tag) made for one type is useless for another, and each direction
 * (sensor to center, center to sensor) has its own types, so a message cannot be reflected back.
 */
public enum CertificateType {
    /** Sensor to center: proves possession of the seed. Tag under K_auth over the header. 32 bytes. */
    AUTH(1, KeyPurpose.AUTH),
    /** Sensor to center: signs data. Tag under K_sign over the header and the digest of the data. 32 bytes. */
    SIGN(2, KeyPurpose.SIGN),
    /** Center to sensor: a seed-update or revoke order, tagged under K_cmd. 37 bytes. */
    COMMAND(3, KeyPurpose.COMMAND),
    /** Sensor to center: an encrypted payload (AEAD under K_enc_up, header as associated data). */
    ENC_UP(4, KeyPurpose.ENC_UP),
    /** Center to sensor: an encrypted payload (AEAD under K_enc_down, header as associated data). */
    ENC_DOWN(5, KeyPurpose.ENC_DOWN);

    /** values() without the copy per call: fromCode runs on every decode. */
    private static final CertificateType[] VALUES = values();

    private final int code;
    private final KeyPurpose purpose;

    CertificateType(int code, KeyPurpose purpose) {
        this.code = code;
        this.purpose = purpose;
    }

    /** The 4-bit type code on the wire. */
    public int code() {
        return code;
    }

    /** The CSK purpose whose key tags or encrypts this type. */
    public KeyPurpose purpose() {
        return purpose;
    }

    /** True for the two encrypted-payload types, whose tag is a 16-byte AEAD tag. */
    public boolean isEncrypted() {
        return this == ENC_UP || this == ENC_DOWN;
    }

    /** The type with this 4-bit code, or empty. */
    public static Optional<CertificateType> fromCode(int code) {
        for (CertificateType t : VALUES) {
            if (t.code == code) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
