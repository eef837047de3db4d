package org.microcert.persistence.card;

/**
 * The card's job on record integrity: keyed digests of sealed records (HMAC-SHA-256 with the
 * integrity key, the record not opened) and MACs over set digests (backup headers). Checks are
 * constant-time and return nothing: they throw {@code DIGEST_MISMATCH}.
 */
public interface RecordIntegrity {
    /** The keyed digest of a record (the record is not opened). */
    RecordDigest digest(SealedSeed sealed);

    /**
     * Checks, in constant time, that {@code expected} is this record's digest.
     *
     * @throws CardException {@code DIGEST_MISMATCH} when it is not
     */
    void verify(SealedSeed sealed, RecordDigest expected);

    /** A MAC over a set digest, e.g. for a backup header, so the digest cannot be edited with the data. */
    byte[] mac(SetDigest digest);

    /**
     * Checks a {@link #mac(SetDigest)} value in constant time.
     *
     * @throws CardException {@code DIGEST_MISMATCH} when it does not match
     */
    void verifyMac(SetDigest digest, byte[] mac);
}
