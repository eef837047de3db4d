package org.microcert.persistence.card;

/**
 * The center's encryption card (the paper's "encrypt card"): holds the transport key K_trans, the
 * storage key K_store in one or more versions, and an integrity key, and never hands any of them out.
 *
 * <p><b>Sealing.</b> A {@link SealedSeed} is the seed's serialised form under AES-256-GCM with
 * K_store version {@code keyVersion} and a fresh random 12-byte nonce; the associated data binds a
 * fixed label, the sensor id, seed version, key version, suite and epoch year, so a record copied to
 * another sensor, rolled back to another seed version or relabelled fails to open.
 *
 * <p><b>Rotation.</b> The card opens records of every K_store version it holds and seals new ones
 * under {@link #currentKeyVersion()}; {@link #rewrap} moves an old record to the current version.
 *
 * <p><b>Tamper detection.</b> {@link #digest} is a keyed per-record digest; the card keeps a
 * {@link SetDigest} over every record it was told is stored ({@link #recordStored},
 * {@link #recordReplaced}, {@link #recordRevoked}) in a card-local state file MAC'd with the
 * integrity key. An audit recomputes the set digest from the journal and compares; see
 * {@code docs/encryption-card.md} for how that tells added, removed, altered and rolled-back
 * records apart and what the state file cannot protect against.
 *
 * <p>Its three jobs are three small interfaces, so a caller can ask for only what it uses:
 * {@link SeedSealing}, {@link RecordIntegrity}, {@link SetDigestLedger}. One class implements them
 * on either provider: {@code JceCard} on SunJCE ({@link SoftwareCard}) or SunPKCS11 ({@link Pkcs11Card}).
 *
 * <p>Every failure is a {@link CardException} with a {@link CardException.Reason}; none carries a
 * secret. Implementations are thread-safe.
 */
public interface EncryptionCard extends SeedSealing, RecordIntegrity, SetDigestLedger, AutoCloseable {

    /** Wipes or logs out of the keys; every later call fails with {@code CLOSED}. Idempotent. */
    @Override
    void close();
}
