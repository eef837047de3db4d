package org.microcert.persistence.card;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
    /** The callers of {@link #updateAsync} whose changes no write has covered yet (guarded by ledgerLock). */
    private List<CompletableFuture<Void>> waiting = new ArrayList<>();
    private Thread writer;
    private boolean closed;
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
        long generation = apply(change, entries, null);
        synchronized (flushLock) {
            if (flushedGeneration < generation) {
                writePending();
            }
        }
    }

    /**
     * As {@link #update}, without waiting: the change is applied in memory at once (in call order
     * with every other change), and the stage completes once a state file holding it is on disk, or
     * fails with the write's {@code IO} failure. The ledger's own writer thread writes everything
     * applied while its previous write ran in one group (one log append, one state file), so the
     * group grows with the load and no caller's thread waits for an fsync.
     */
    CompletionStage<Void> updateAsync(UnaryOperator<SetDigest.Builder> change, byte[]... entries) {
        CompletableFuture<Void> durable = new CompletableFuture<>();
        apply(change, entries, durable);
        return durable;
    }

    /** Applies a change in memory; {@code durable} (if any) completes with the write that covers it. Returns its generation. */
    private long apply(UnaryOperator<SetDigest.Builder> change, byte[][] entries, CompletableFuture<Void> durable) {
        synchronized (ledgerLock) {
            if (closed && durable != null) {
                throw new CardException(CardException.Reason.CLOSED, "the card's ledger is closed");
            }
            ReferenceLog.Head head = state.references();
            for (byte[] e : entries) {
                head = head.then(e);
                pending.add(e);
            }
            state = new CardStateFile.State(state.generation() + 1, change.apply(state.digest().toBuilder()).build(), head);
            if (durable != null) {
                waiting.add(durable);
                startWriter();
                ledgerLock.notifyAll();
            }
            return state.generation();
        }
    }

    /** Writes every change applied so far (the log first, then the state file); the caller holds flushLock. */
    private void writePending() {
        CardStateFile.State latest;
        List<byte[]> batch;
        List<CompletableFuture<Void>> covered;
        synchronized (ledgerLock) {
            latest = state;
            batch = List.copyOf(pending);
            covered = waiting;
            waiting = new ArrayList<>();
        }
        try {
            // the log first: a crash in between leaves entries the state file does not count, cut off at the next open
            log.append(batch, flushedEntries);
            CardStateFile.write(stateFile, latest, hmac);
        } catch (RuntimeException e) {
            covered.forEach(f -> f.completeExceptionally(e)); // their changes stay pending for the next write
            throw e;
        }
        synchronized (ledgerLock) {
            pending.subList(0, batch.size()).clear();
        }
        flushedEntries += batch.size();
        flushedGeneration = latest.generation();
        covered.forEach(f -> f.complete(null));
    }

    /** Starts the writer of {@link #updateAsync} at its first use (a card that only reads never has one); under ledgerLock. */
    private void startWriter() {
        if (writer != null) {
            return;
        }
        writer = new Thread(() -> {
            while (true) {
                synchronized (ledgerLock) {
                    while (waiting.isEmpty() && !closed) {
                        try {
                            ledgerLock.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                    if (waiting.isEmpty()) {
                        return; // closed, nothing left to write
                    }
                }
                synchronized (flushLock) {
                    try {
                        writePending();
                    } catch (RuntimeException e) {
                        // its waiters have the failure; the changes go with the next write
                    }
                }
            }
        }, "card-ledger-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** Replaces the whole ledger: a new log epoch holding {@code refs}, and {@code digest}. */
    void resetTo(SetDigest digest, CardReferences.Builder refs) {
        List<CompletableFuture<Void>> covered = List.of();
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
                covered = waiting; // their changes are replaced by the reset, which is durable below
                waiting = new ArrayList<>();
                latest = state;
            }
            try {
                CardStateFile.write(stateFile, latest, hmac);
            } catch (RuntimeException e) {
                covered.forEach(f -> f.completeExceptionally(e));
                throw e;
            }
            log.close();
            log = ReferenceLog.openForAppend(stateFile, head);
            flushedEntries = head.entries();
            flushedGeneration = latest.generation();
            ReferenceLog.deleteOtherEpochs(stateFile, epoch);
        }
        covered.forEach(f -> f.complete(null));
    }

    /** The references as the files on disk hold them. */
    CardReferences references() {
        synchronized (flushLock) { // no write in progress: the files on disk hold every confirmed change
            return ReferenceLog.read(stateFile, CardStateFile.read(stateFile, hmac).references());
        }
    }

    /** Writes what {@link #updateAsync} callers still wait for, stops the writer and closes the log. */
    void close() {
        Thread w;
        synchronized (ledgerLock) {
            closed = true;
            w = writer;
            ledgerLock.notifyAll();
        }
        if (w != null && w != Thread.currentThread()) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (flushLock) {
            log.close();
        }
    }
}
