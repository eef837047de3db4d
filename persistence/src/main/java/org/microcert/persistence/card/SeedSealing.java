package org.microcert.persistence.card;

import java.util.SortedSet;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorId;

/**
 * The card's job on seeds: opening {@code TRANSPORT} envelopes with K_trans, sealing seeds at rest
 * under K_store and opening them again. A {@link SealedSeed} is the seed under AES-256-GCM with
 * K_store version {@code keyVersion} and a fresh random 12-byte nonce; the associated data binds a
 * fixed label, the sensor id, seed version, key version, suite and epoch year, so a record copied
 * to another sensor, rolled back to another seed version or relabelled fails to open. The card
 * opens records of every version it holds and seals under {@link #currentKeyVersion()}.
 * Implementations are thread-safe; failures are {@link CardException}s without secrets.
 */
public interface SeedSealing {
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

    /**
     * Checks that a record opens under this card (AEAD authentication), wiping the seed at once:
     * proves the record was sealed by the center for this sensor and seed version, without
     * handing the seed out.
     *
     * @throws CardException as {@link #open}
     */
    void authenticate(SealedSeed sealed);
}
