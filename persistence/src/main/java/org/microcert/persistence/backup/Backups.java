package org.microcert.persistence.backup;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.microcert.persistence.audit.JournalAudit;
import org.microcert.persistence.audit.JournalScan;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.CardReferences;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SetDigest;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.sensor.SensorJournal;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.Failures;

/**
 * Backup and disaster recovery of all sensors' key state (sealed seeds only).
 * <ul>
 *   <li>{@link #backup}: scans the journal, refuses unless the audit against the cards' set digest is
 *       clean (a backup of a tampered journal would preserve the tampering), writes a {@link BackupFile}.</li>
 *   <li>{@link #restore}: refuses unless the journal and snapshot tables are empty, verifies the whole
 *       file with the card first, then writes one {@code Restored} event per sensor through Pekko
 *       Persistence (so the entity reads it like its own state) and sets the card's set digest and
 *       per-sensor references to the backup's records.</li>
 * </ul>
 */
public final class Backups {

    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(60);
    private static final int PARALLELISM = 32;

    private Backups() {
    }

    /** What a restore did. */
    public record Restored(int records, SetDigest setDigest) {
    }

    /**
     * @param expected the cards' set digest (all nodes combined)
     * @throws BackupException AUDIT_FAILED with the audit's lines when the journal does not match
     */
    public static BackupFile.Summary backup(CqlSession session, ActorSystem<?> system, CassandraTarget target,
                                            EncryptionCard card, SetDigest expected, Path file) {
        return backup(session, system, target, card, expected, null, file);
    }

    /**
     * {@link #backup(CqlSession, ActorSystem, CassandraTarget, EncryptionCard, SetDigest, Path)} whose
     * refusal names the exact sensors: {@code references} are the cards' (all nodes combined), or null.
     */
    public static BackupFile.Summary backup(CqlSession session, ActorSystem<?> system, CassandraTarget target,
                                            EncryptionCard card, SetDigest expected, CardReferences references, Path file) {
        Serialization serialization = SerializationExtension.get(system);
        JournalScan.Result scan = JournalScan.scan(session, serialization, target.journalKeyspace(), target.snapshotKeyspace());
        JournalAudit.Report report = JournalAudit.audit(card, expected, references, scan);
        if (!report.clean()) {
            throw new BackupException(BackupException.Reason.AUDIT_FAILED, "the journal fails the audit; no backup written:\n"
                    + String.join("\n", report.lines()));
        }
        List<SensorRecord> records = new ArrayList<>();
        scan.sensors().values().forEach(s -> {
            if (s.record().status() != SensorRecord.Status.NOT_PROVISIONED) {
                records.add(s.record());
            }
        });
        return BackupFile.write(file, records, card, serialization);
    }

    /**
     * @param snapshotEvery snapshot every N events of each restored journal, at least 1
     * @throws IllegalArgumentException when {@code snapshotEvery} is below 1; nothing is written then
     * @throws BackupException TARGET_NOT_EMPTY, or any refusal of {@link BackupFile#verify}; nothing
     *     is written then. IO when writing the journal or setting the card's digest fails: the
     *     keyspaces may then hold part of the backup (the message says so; empty them and restore again)
     */
    public static Restored restore(CqlSession session, ActorSystem<?> system, CassandraTarget target, EncryptionCard card,
                                   Path file, int snapshotEvery) {
        return restore(session, system, target, card, file, snapshotEvery, ASK_TIMEOUT);
    }

    /** {@link #restore(CqlSession, ActorSystem, CassandraTarget, EncryptionCard, Path, int)}; tests shorten the ask. */
    static Restored restore(CqlSession session, ActorSystem<?> system, CassandraTarget target, EncryptionCard card,
                            Path file, int snapshotEvery, Duration askTimeout) {
        if (snapshotEvery < 1) { // RetentionCriteria would throw inside every journal actor, and each ask time out
            throw new IllegalArgumentException("--snapshot-every must be at least 1, got " + snapshotEvery);
        }
        for (String table : List.of(target.journalKeyspace() + ".messages", target.snapshotKeyspace() + ".snapshots")) {
            if (session.execute("SELECT persistence_id FROM " + table + " LIMIT 1").one() != null) {
                throw new BackupException(BackupException.Reason.TARGET_NOT_EMPTY, table
                        + " is not empty; restore only loads into empty keyspaces");
            }
        }
        Serialization serialization = SerializationExtension.get(system);
        List<SensorRecord> records = new ArrayList<>();
        BackupFile.Summary summary = BackupFile.read(file, card, serialization, records::add); // throws before any write
        int written;
        try {
            written = Source.from(records)
                    .mapAsyncUnordered(PARALLELISM, r -> restoreOne(system, r, snapshotEvery, askTimeout))
                    .runWith(Sink.fold(0, (n, ok) -> n + 1), system)
                    .toCompletableFuture().join();
            // the set digest and the per-sensor references of the restored records (equal to the backup's MAC'd digest)
            card.resetTo(records.stream().filter(SensorRecord::hasSeed).map(SensorRecord::seed).toList());
        } catch (CompletionException | CardException | DriverException e) {
            // No rollback: the keyspaces were empty, so emptying them again is the whole recovery.
            throw new BackupException(BackupException.Reason.IO, "restore failed after it began writing ("
                    + describe(Failures.cause(e), askTimeout)
                    + "); the journal may hold part of the backup and the card's set digest was not set: truncate the tables"
                    + " of keyspaces " + target.journalKeyspace() + " and " + target.snapshotKeyspace()
                    + " (or use new empty keyspaces) and run restore again", e);
        }
        if (!card.setDigest().equals(summary.setDigest())) {
            throw new IllegalStateException("the verified backup's digest differs from its records'"); // verify() checked it
        }
        return new Restored(written, summary.setDigest());
    }

    /** One line about a failure while writing; the journal's own error is in the log. */
    private static String describe(Throwable cause, Duration askTimeout) {
        if (cause instanceof TimeoutException) { // Pekko's AskTimeoutException: the journal actor failed or stalled
            return "a sensor's journal did not answer within " + askTimeout.toSeconds()
                    + " s: a Cassandra write failed or timed out, see the log";
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }

    private static CompletionStage<SensorRecord> restoreOne(ActorSystem<?> system, SensorRecord record, int snapshotEvery,
                                                            Duration askTimeout) {
        ActorRef<SensorJournal.Command> journal = system.systemActorOf(SensorJournal.create(record.sensorId(), snapshotEvery, 2),
                "restore-" + record.sensorId(), Props.empty());
        return AskPattern.<SensorJournal.Command, SensorRecord>ask(journal, r -> new SensorJournal.RestoreIfEmpty(record, r),
                askTimeout, system.scheduler())
                .thenApplyAsync(state -> {
                    journal.tell(new SensorJournal.Stop());
                    if (!state.equals(record)) {
                        throw new BackupException(BackupException.Reason.IO, "sensor " + record.sensorId()
                                + " already had a journal during the restore");
                    }
                    return state;
                }, system.executionContext());
    }
}
