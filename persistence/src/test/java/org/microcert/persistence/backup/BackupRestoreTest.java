package org.microcert.persistence.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.audit.JournalAudit;
import org.microcert.persistence.audit.JournalScan;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.card.SetDigest;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.sensor.JournalTestSupport;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SensorId;

/**
 * Backup of {@value #SENSORS} sensors from a real Cassandra and restore into empty keyspaces from
 * the command line, then refusals: corrupted, truncated, another center's card, a non-empty
 * target, a journal that fails the audit. A refused restore leaves the target empty.
 */
@ExtendWith(CassandraExtension.class)
class BackupRestoreTest {

    private static final int SENSORS = 2000;

    @TempDir
    static Path dir;

    private static CassandraTarget source;
    private static CassandraTarget refusals;
    private static ActorSystem<Void> system;
    private static EncryptionCard card;
    private static CqlSession session;
    private static Path backup;
    private static final Function<String, String> ENV = Map.of("CARD_PW", new String(JournalTestSupport.CARD_PASSWORD))::get;

    @BeforeAll
    static void fleetAndBackup(TestCassandra cassandra) {
        source = JournalTestSupport.target(cassandra, "backup_src");
        refusals = JournalTestSupport.target(cassandra, "backup_refused");
        JournalTestSupport.createSchema(source);
        JournalTestSupport.createSchema(refusals);
        session = source.openSession();
        system = JournalTestSupport.system(source, "backup");
        card = JournalTestSupport.card(dir, "center");
        SecureRandom random = new SecureRandom();
        Instant at = Instant.now();
        Map<SensorId, List<SensorEvent>> fleet = new java.util.LinkedHashMap<>();
        for (int i = 0; i < SENSORS; i++) {
            SensorId sensor = new SensorId(0xbac0_0000_0000_0000L + i);
            KeySeed seed = KeySeed.generate(random, 1, 2026);
            SealedSeed sealed;
            try {
                sealed = card.seal(sensor, CipherSuite.AES128, seed);
            } finally {
                seed.destroy();
            }
            card.recordStored(sealed);
            List<SensorEvent> events = new ArrayList<>(List.of(
                    new SensorEvent.Provisioned(sealed, card.digest(sealed).toString(), at, "factory"),
                    new SensorEvent.ReplayReservationExtended(1_795_000_000L + i)));
            if (i % 200 == 0) {
                events.add(new SensorEvent.Revoked("test", at, "operator"));
                card.recordRevoked(sealed);
            }
            fleet.put(sensor, events);
        }
        JournalTestSupport.appendAll(system, fleet);
        backup = dir.resolve("fleet.backup");
        assertEquals(0, BackupTool.run(args("backup", source, "backup-cli.state"), ENV));
    }

    @AfterAll
    static void close() {
        session.close();
        card.close();
        system.terminate();
    }

    @Test
    void aBackupRestoresIntoEmptyKeyspacesAndTheRestoredJournalAuditsClean(TestCassandra cassandra) {
        CassandraTarget restored = JournalTestSupport.target(cassandra, "backup_dst");
        JournalTestSupport.createSchema(restored);
        assertEquals(0, BackupTool.run(args("restore", restored, "new-node.state"), ENV));

        JournalScan.Result before = scan(source);
        JournalScan.Result after = scan(restored);
        assertEquals(SENSORS, after.sensors().size());
        before.sensors().forEach((id, s) -> assertEquals(s.record(), after.sensors().get(id).record(), id.toString()));
        // the new node's card now holds the backup's set digest: the audit of the restored journal is clean
        try (SoftwareCard newNode = SoftwareCard.open(dir.resolve("center.bcfks"), JournalTestSupport.CARD_PASSWORD,
                dir.resolve("new-node.state"))) {
            assertEquals(card.setDigest(), newNode.setDigest());
            JournalAudit.Report report = JournalAudit.audit(newNode, newNode.setDigest(), after);
            assertTrue(report.clean(), () -> String.join("\n", report.lines()));
        }
    }

    @Test
    void aCorruptedBackupIsRefusedAndNothingIsImported() throws IOException {
        byte[] bytes = Files.readAllBytes(backup);
        bytes[bytes.length / 2] ^= 0x40;
        Path corrupted = Files.write(dir.resolve("corrupted.backup"), bytes);
        assertRefused(corrupted, card, BackupException.Reason.CORRUPTED, BackupException.Reason.DIGEST_MISMATCH);
    }

    @Test
    void aTruncatedBackupIsRefusedAndNothingIsImported() throws IOException {
        byte[] bytes = Files.readAllBytes(backup);
        Path truncated = Files.write(dir.resolve("truncated.backup"), java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertRefused(truncated, card, BackupException.Reason.TRUNCATED, BackupException.Reason.CORRUPTED);
        Path half = Files.write(dir.resolve("half.backup"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertRefused(half, card, BackupException.Reason.TRUNCATED);
    }

    @Test
    void anotherCentersCardCannotRestoreTheBackup() {
        try (EncryptionCard other = JournalTestSupport.card(dir, "other-center")) {
            assertRefused(backup, other, BackupException.Reason.DIGEST_MISMATCH, BackupException.Reason.CORRUPTED);
        }
    }

    @Test
    void restoreRefusesANonEmptyKeyspace() {
        BackupException e = assertThrows(BackupException.class,
                () -> Backups.restore(session, system, source, card, backup, 100));
        assertEquals(BackupException.Reason.TARGET_NOT_EMPTY, e.reason());
    }

    @Test
    void aWriteFailureDuringRestoreIsOneErrorThatSaysWhatToDo(TestCassandra cassandra) {
        CassandraTarget broken = JournalTestSupport.target(cassandra, "backup_broken");
        JournalTestSupport.createSchema(broken);
        try (CqlSession s = broken.openSession()) {
            // every journal write names this column: each insert fails once writing has begun
            s.execute("ALTER TABLE " + broken.journalKeyspace() + ".messages DROP writer_uuid");
        }
        ActorSystem<Void> restoring = JournalTestSupport.system(broken, "restore-broken");
        try (CqlSession s = broken.openSession();
             SoftwareCard newNode = SoftwareCard.open(dir.resolve("center.bcfks"), JournalTestSupport.CARD_PASSWORD,
                     dir.resolve("broken-node.state"))) {
            SetDigest before = newNode.setDigest();
            BackupException e = assertThrows(BackupException.class,
                    () -> Backups.restore(s, restoring, broken, newNode, backup, 100, java.time.Duration.ofSeconds(5)));
            assertEquals(BackupException.Reason.IO, e.reason());
            assertTrue(e.getMessage().startsWith("restore failed after it began writing (a sensor's journal did not answer"
                    + " within 5 s"), e::getMessage);
            assertTrue(e.getMessage().endsWith("the journal may hold part of the backup and the card's set digest was not"
                    + " set: truncate the tables of keyspaces backup_broken_journal and backup_broken_snapshot (or use new"
                    + " empty keyspaces) and run restore again"), e::getMessage);
            assertEquals(before, newNode.setDigest(), "the card's digest is not set from a failed restore");
        } finally {
            restoring.terminate();
        }
    }

    @Test
    void backupRefusesAJournalThatFailsTheAudit() {
        BackupException e = assertThrows(BackupException.class,
                () -> Backups.backup(session, system, source, card, SetDigest.empty(), dir.resolve("never.backup")));
        assertEquals(BackupException.Reason.AUDIT_FAILED, e.reason());
        assertTrue(Files.notExists(dir.resolve("never.backup")));
    }

    @Test
    void aBackupOfATamperedJournalIsRefusedNamingTheExactSensor() {
        SensorId revoked = new SensorId(0xbac0_0000_0000_0000L + 400); // every 200th sensor was revoked by event 3
        String pid = org.microcert.persistence.sensor.SensorPersistence.persistenceId(revoked).id();
        String where = " WHERE persistence_id = ? AND partition_nr = 0 AND sequence_nr = 3";
        String saved = session.execute("SELECT JSON * FROM " + source.journalKeyspace() + ".messages" + where, pid).one().getString(0);
        session.execute("DELETE FROM " + source.journalKeyspace() + ".messages" + where, pid);
        try {
            Path never = dir.resolve("tampered.backup");
            BackupException e = assertThrows(BackupException.class, () -> Backups.backup(session, system, source, card,
                    card.setDigest(), card.references(), never));
            assertEquals(BackupException.Reason.AUDIT_FAILED, e.reason());
            assertTrue(e.getMessage().contains("ADDED sensor " + revoked), e::getMessage);
            assertTrue(Files.notExists(never));
        } finally {
            session.execute("INSERT INTO " + source.journalKeyspace() + ".messages JSON ?", saved);
        }
    }

    private static void assertRefused(Path file, EncryptionCard withCard, BackupException.Reason... allowed) {
        SetDigest before = withCard.setDigest();
        try (CqlSession s = refusals.openSession()) {
            BackupException e = assertThrows(BackupException.class, () -> Backups.restore(s, system, refusals, withCard, file, 100));
            assertTrue(List.of(allowed).contains(e.reason()), e.reason() + ": " + e.getMessage());
            assertNull(s.execute("SELECT persistence_id FROM " + refusals.journalKeyspace() + ".messages LIMIT 1").one(),
                    "nothing was imported");
        }
        assertEquals(before, withCard.setDigest(), "the card's digest is unchanged");
    }

    private static JournalScan.Result scan(CassandraTarget target) {
        try (CqlSession s = target.openSession()) {
            return JournalScan.scan(s, SerializationExtension.get(system), target.journalKeyspace(), target.snapshotKeyspace());
        }
    }

    private static String[] args(String command, CassandraTarget target, String cardState) {
        return new String[] {command, "--file", backup.toString(), "--contact-point", target.host() + ":" + target.port(),
            "--journal-keyspace", target.journalKeyspace(), "--snapshot-keyspace", target.snapshotKeyspace(),
            "--card-keystore", dir.resolve("center.bcfks").toString(), "--card-password-env", "CARD_PW",
            "--card-state", dir.resolve(cardState).toString(), "--state-files", dir.resolve("center.state").toString()};
    }
}
