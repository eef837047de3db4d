package org.microcert.persistence.card;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The card's set-digest ledger: the running {@link SetDigest} and per-sensor references over every
 * record the card was told is stored, kept in a state file MAC'd with the integrity key and a
 * reference log (docs/encryption-card.md, "Tamper detection"). Any card of the center can read
 * another node's files.
 */
public interface SetDigestLedger {
    /** Adds a newly stored record (first provisioning) to the card's set digest. */
    void recordStored(SealedSeed record);

    /** Replaces {@code previous} with {@code current} in the set digest (seed update, rewrap). */
    void recordReplaced(SealedSeed previous, SealedSeed current);

    /** Removes a revoked record from the set digest. */
    void recordRevoked(SealedSeed record);

    /**
     * As {@link #recordStored}, without waiting for the disk: the change is applied at once, in
     * order with every other {@code record*} call, and the stage completes once the card's files
     * hold it (group-committed with every change made meanwhile), or fails with the write's
     * {@link CardException}. The caller answers only then. This default waits, in the caller's thread.
     */
    default CompletionStage<Void> recordStoredAsync(SealedSeed record) {
        try {
            recordStored(record);
            return CompletableFuture.completedFuture(null);
        } catch (CardException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

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
}
