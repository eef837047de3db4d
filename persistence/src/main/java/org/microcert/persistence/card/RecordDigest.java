package org.microcert.persistence.card;

import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A card's keyed digest of one sealed-seed record: HMAC-SHA-256 under the card's integrity key over
 * the record's sensor id, seed version, key version, suite, epoch year and the SHA-256 of its nonce
 * and ciphertext. Only a card holding the center's integrity key can make or check one, so a digest
 * stored next to a record proves the record is one the center wrote. Not secret.
 */
public record RecordDigest(byte[] value) {

    /** Length of a record digest in bytes. */
    public static final int BYTES = 32;

    public RecordDigest {
        if (value == null || value.length != BYTES) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, "a record digest is " + BYTES + " bytes");
        }
        value = value.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordDigest d && MessageDigest.isEqual(value, d.value);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(value);
    }
}
