package org.microcert.persistence.card;

import java.nio.file.Path;
import java.util.SortedSet;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorId;

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
 * <p>Every failure is a {@link CardException} with a {@link CardException.Reason}; none carries a
 * secret. Implementations are thread-safe.
 */
public interface EncryptionCard extends AutoCloseable {

    /**
     * Opens a {@code TRANSPORT} envelope with K_trans and reseals the seed under the current K_store,
     * in one call: the seed is in clear only inside this method.
     *
     * @throws CardException {@code ENVELOPE_REJECTED} when the envelope is not a transport envelope,
     *         fails authentication, or holds a seed whose version differs from the envelope's
     */
    SealedSeed provision(SeedEnvelope transportEnvelope);

    /**
     * Seals a seed that was opened in the JVM (an {@code UPDATE} envelope) under the current K_store.
     * The caller still owns and destroys {@code seed}.
     */
    SealedSeed seal(SensorId sensorId, CipherSuite suite, KeySeed seed);

    /**
     * Opens a sealed seed for derivation. The caller must {@link KeySeed#destroy() destroy} the
     * result after use.
     *
     * @throws CardException {@code UNKNOWN_KEY_VERSION} when the card lacks the record's K_store
     *         version; {@code RECORD_REJECTED} when the record fails authentication (altered, copied
     *         from another sensor, or relabelled with another seed or key version)
     */
    KeySeed open(SealedSeed sealed);

    /**
     * The same seed sealed under the current K_store version (a new nonce); returns {@code sealed}
     * itself when it already is. Fails like {@link #open}.
     */
    SealedSeed rewrap(SealedSeed sealed);

    /** The K_store version new records are sealed under. */
    int currentKeyVersion();

    /** Every K_store version this card can open. */
    SortedSet<Integer> keyVersions();

    /** The keyed digest of a record (the record is not opened). */
    RecordDigest digest(SealedSeed sealed);

    /**
     * Checks, in constant time, that {@code expected} is this record's digest.
     *
     * @throws CardException {@code DIGEST_MISMATCH} when it is not
     */
    void verify(SealedSeed sealed, RecordDigest expected);

    /**
     * Checks that a record opens under this card (AEAD authentication), wiping the seed at once:
     * proves the record was sealed by the center for this sensor and seed version, without
     * handing the seed out.
     *
     * @throws CardException as {@link #open}
     */
    void authenticate(SealedSeed sealed);

    /** Adds a newly stored record (first provisioning) to the card's set digest. */
    void recordStored(SealedSeed record);

    /** Replaces {@code previous} with {@code current} in the set digest (seed update, rewrap). */
    void recordReplaced(SealedSeed previous, SealedSeed current);

    /** Removes a revoked record from the set digest. */
    void recordRevoked(SealedSeed record);

    /** This card's accumulated set digest (this node's share; nodes' shares {@link SetDigest#combine add up}). */
    SetDigest setDigest();

    /**
     * Replaces this card's accumulator: an operator action after an audit has been investigated or a
     * backup restored. Persisted like any other change.
     */
    void resetSetDigest(SetDigest accepted);

    /**
     * Reads another card's state file (e.g. another node's) and checks its MAC with the integrity
     * key this card shares with every card of the center.
     *
     * @throws CardException {@code STATE_TAMPERED} when the MAC fails, {@code NOT_FOUND}/{@code IO}
     *         when the file cannot be read
     */
    SetDigest readStateFile(Path stateFile);

    /**
     * This card's per-sensor references (its reference log, checked against its state file): every
     * record it was told about with its net count. The audit uses them to name exact sensors.
     */
    CardReferences references();

    /**
     * Reads another card's references (e.g. another node's), next to its state file, checked with
     * the integrity key this card shares with every card of the center.
     *
     * @throws CardException {@code STATE_TAMPERED} when the state file's MAC fails or the log does not
     *         match it, {@code NOT_FOUND}/{@code IO} when a file cannot be read
     */
    CardReferences readReferences(Path stateFile);

    /**
     * Replaces this card's set digest and references with those of {@code records} (each counted as
     * stored): after a backup is restored, or an audit investigated and accepted. Not to be run
     * while the card takes {@code record*} calls.
     */
    void resetTo(Iterable<SealedSeed> records);

    /** A MAC over a set digest, e.g. for a backup header, so the digest cannot be edited with the data. */
    byte[] mac(SetDigest digest);

    /**
     * Checks a {@link #mac(SetDigest)} value in constant time.
     *
     * @throws CardException {@code DIGEST_MISMATCH} when it does not match
     */
    void verifyMac(SetDigest digest, byte[] mac);

    /** Wipes or logs out of the keys; every later call fails with {@code CLOSED}. Idempotent. */
    @Override
    void close();
}
