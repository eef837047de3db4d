package org.microcert.cluster.backup;

import com.datastax.oss.driver.api.core.DriverException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.microcert.cluster.backup.BackupRefused.Reason;
import org.microcert.persistence.backup.BackupException;
import org.microcert.persistence.backup.BackupFile;
import org.microcert.persistence.backup.Backups;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.protocol.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup behind {@code POST /v1/backup}: gathers every Up member's card accumulator
 * ({@link CardDigests}), then runs the persistence module's backup ({@link Backups#backup}: the
 * journal audit against that combined digest, then the file of {@code ops/bin/backup}) into a
 * private temporary directory, which the gateway streams and deletes. Nothing is written unless
 * every member answered and the audit is clean.
 */
public final class ClusterBackups {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterBackups.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private ClusterBackups() {}

    public static BackupService create(ActorSystem<?> system, EncryptionCard card, CassandraSession session,
                                        String journalKeyspace, String snapshotKeyspace, Duration digestTimeout) {
        if (session == null) {
            return () -> CompletableFuture.failedFuture(new BackupRefused(Reason.NOT_AVAILABLE,
                    "backups need the Cassandra journal"));
        }
        // Backups.backup reads only the keyspaces of the target; the scan runs on the node's own session.
        CassandraTarget target = new CassandraTarget("127.0.0.1", 9042, "unused", journalKeyspace, snapshotKeyspace);
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        return () -> CardDigests.gather(system, card, digestTimeout)
                .thenCombineAsync(session.underlying(), (gathered, cql) -> {
                    Path dir = null;
                    try {
                        dir = Files.createTempDirectory("microcert-backup-"); // owner-only
                        String name = "microcert-" + STAMP.format(Instant.now()) + ".backup";
                        Path file = dir.resolve(name);
                        BackupFile.Summary s = Backups.backup(cql, system, target, card, gathered.digest(), file);
                        LOG.info("backup of {} sensors written for streaming (card state of {})", s.records(), gathered.nodes());
                        return new BackupService.Backup(file, Files.size(file), name);
                    } catch (IOException e) {
                        deleteQuietly(dir);
                        throw new UncheckedIOException(e);
                    } catch (RuntimeException e) {
                        deleteQuietly(dir);
                        throw e;
                    }
                }, blocking)
                .exceptionally(failure -> {
                    throw refusal(failure);
                });
    }

    /** What the operator is told; internals only in the log. */
    private static BackupRefused refusal(Throwable failure) {
        Throwable t = Failures.cause(failure);
        if (t instanceof BackupRefused r) {
            return r;
        }
        if (t instanceof CardDigests.MissingNodes m) {
            return new BackupRefused(Reason.CARD_STATE_UNAVAILABLE, "no set-digest state from "
                    + String.join(", ", m.nodes()) + " in time; no backup written (every Up member's card must answer)");
        }
        if (t instanceof CardDigests.RejectedDigest r) {
            return new BackupRefused(Reason.CARD_STATE_REJECTED, r.getMessage() + "; no backup written");
        }
        if (t instanceof BackupException b && b.reason() == BackupException.Reason.AUDIT_FAILED) {
            return new BackupRefused(Reason.AUDIT_FAILED, b.getMessage().replace("\n", "; "));
        }
        if (t instanceof DriverException || t instanceof java.util.concurrent.TimeoutException) {
            return new BackupRefused(Reason.UNAVAILABLE, "the key database did not answer the backup scan; retry later");
        }
        LOG.error("backup failed", t);
        return new BackupRefused(Reason.INTERNAL, "the backup failed (see the node's log)");
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.getMessage());
        }
    }
}
