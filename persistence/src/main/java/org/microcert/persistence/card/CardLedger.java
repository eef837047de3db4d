package org.microcert.persistence.card;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A card's ledger of the records it confirmed: the set digest and reference-log head in the
 * MAC-protected state file, and the reference log beside it. Kept apart from {@link JceCard}'s
 * cryptography: this part is about files, locks and group commit. The MAC is the card's HMAC,
 * passed in so that the integrity key never leaves the card.
 */
final class CardLedger {

    /**
     * Compact the reference log at open when it holds more than this many entries and over half would
     * go. Not final: tests lower it.
     */
    static volatile long compactAboveEntries = 10_000;

    private final Path stateFile;
    private final UnaryOperator<byte[]> hmac;
    private final Object ledgerLock = new Object();
    private final Object flushLock = new Object();

    private CardStateFile.State state;
    private long flushedGeneration;
    /** Reference-log entries made but not yet in a state file on disk (guarded by ledgerLock). */
    private final List<byte[]> pending = new ArrayList<>();
    /** Entries the state file on disk counts; and the log (both guarded by flushLock). */
    private long flushedEntries;
    private ReferenceLog log;

    /** Opens the ledger of {@code stateFile}: checks the log against the state file, compacts it when due. */
    CardLedger(Path stateFile, UnaryOperator<byte[]> hmac) {
        this.stateFile = Objects.requireNonNull(stateFile, "stateFile");
        this.hmac = Objects.requireNonNull(hmac, "hmac");
        CardStateFile.State loaded = CardStateFile.read(stateFile, hmac);
        CardReferences refs = ReferenceLog.read(stateFile, loaded.references()); // checks the log against the state file
        CardReferences.Builder kept = loaded.references().entries() > compactAboveEntries ? refs.compacted() : null;
        if (kept != null && loaded.references().entries() > 2 * kept.size()) {
            ReferenceLog.Head compacted = ReferenceLog.rewrite(stateFile, loaded.references().epoch() + 1, kept);
            loaded = new CardStateFile.State(loaded.generation() + 1, loaded.digest(), compacted);
            CardStateFile.write(stateFile, loaded, hmac);
        }
        ReferenceLog.deleteOtherEpochs(stateFile, loaded.references().epoch());
        this.log = ReferenceLog.openForAppend(stateFile, loaded.references());
        this.state = loaded;
        this.flushedGeneration = loaded.generation();
        this.flushedEntries = loaded.references().entries();
    }

    SetDigest setDigest() {
        synchronized (ledgerLock) {
            return state.digest();
        }
    }

    /**
     * Applies a change in memory, then makes sure the state file holds it before returning. Writes
     * are group-committed: callers that arrive while a write is in progress are covered by one
     * following write, so concurrent entities share one fsync instead of queueing for one each. If
     * the write fails the change stays in memory (the record it describes is stored) and reaches the
     * file with the next successful write; the caller sees the {@code IO} failure.
     */
    void update(UnaryOperator<SetDigest.Builder> change, byte[]... entries) {
        long generation;
        synchronized (ledgerLock) {
            ReferenceLog.Head head = state.references();
            for (byte[] e : entries) {
                head = head.then(e);
                pending.add(e);
            }
            state = new CardStateFile.State(state.generation() + 1, change.apply(state.digest().toBuilder()).build(), head);
            generation = state.generation();
        }
        synchronized (flushLock) {
            if (flushedGeneration >= generation) {
                return;
            }
            CardStateFile.State latest;
            List<byte[]> batch;
            synchronized (ledgerLock) {
                latest = state;
                batch = List.copyOf(pending);
            }
            // the log first: a crash in between leaves entries the state file does not count, cut off at the next open
            log.append(batch, flushedEntries);
            CardStateFile.write(stateFile, latest, hmac);
            synchronized (ledgerLock) {
                pending.subList(0, batch.size()).clear();
            }
            flushedEntries += batch.size();
            flushedGeneration = latest.generation();
        }
    }

    /** Replaces the whole ledger: a new log epoch holding {@code refs}, and {@code digest}. */
    void resetTo(SetDigest digest, CardReferences.Builder refs) {
        synchronized (flushLock) {
            long epoch;
            synchronized (ledgerLock) {
                epoch = state.references().epoch() + 1;
            }
            ReferenceLog.Head head = ReferenceLog.rewrite(stateFile, epoch, refs);
            CardStateFile.State latest;
            synchronized (ledgerLock) {
                state = new CardStateFile.State(state.generation() + 1, digest, head);
                pending.clear();
                latest = state;
            }
            CardStateFile.write(stateFile, latest, hmac);
            log.close();
            log = ReferenceLog.openForAppend(stateFile, head);
            flushedEntries = head.entries();
            flushedGeneration = latest.generation();
            ReferenceLog.deleteOtherEpochs(stateFile, epoch);
        }
    }

    /** The references as the files on disk hold them. */
    CardReferences references() {
        synchronized (flushLock) { // no write in progress: the files on disk hold every confirmed change
            return ReferenceLog.read(stateFile, CardStateFile.read(stateFile, hmac).references());
        }
    }

    void close() {
        synchronized (flushLock) {
            log.close();
        }
    }
}
