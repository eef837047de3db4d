package org.microcert.persistence.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.card.SetDigestAudit;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.sensor.JournalTestSupport;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorPersistence;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SensorId;

/**
 * Tampering with real Cassandra rows, each case detected by the audit and named by its exact sensor
 * (the card's references): a record altered, removed, added back after revocation, rolled back to
 * its previous seed, copied to another sensor, and a snapshot swapped. Each test undoes its tampering
 * (rows are saved and re-inserted as JSON) and the audit is clean again afterwards. A crash between
 * persisting an event and telling the card is reported as UNCONFIRMED, not as tampering.
 */
@ExtendWith(CassandraExtension.class)
class JournalAuditTest {

    private static final int SENSORS = 30;
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    static Path dir;

    private static CassandraTarget target;
    private static CqlSession session;
    private static ActorSystem<Void> system;
    private static EncryptionCard card;
    private static final List<SensorId> sensors = new ArrayList<>();
    private final List<String> savedRows = new ArrayList<>();
    /** Sensors (and sealed records) the unconfirmed-crash tests add to the fleet. */
    private static int extraSensors;
    private static int extraSealed;

    @BeforeAll
    static void fleet(TestCassandra cassandra) {
        target = JournalTestSupport.target(cassandra, "audit_it");
        JournalTestSupport.createSchema(target);
        session = target.openSession();
        system = JournalTestSupport.system(target, "audit");
        card = JournalTestSupport.card(dir, "audit");
        Instant at = Instant.now();
        for (int i = 0; i < SENSORS; i++) {
            SensorId sensor = new SensorId(0xa0d1_7000_0000_0000L + i);
            sensors.add(sensor);
            SealedSeed first = seal(sensor, 1);
            List<SensorEvent> events = new ArrayList<>(List.of(
                    new SensorEvent.Provisioned(first, card.digest(first).toString(), at, "factory")));
            card.recordStored(first);
            if (i < 10) { // updated sensors: three events, a snapshot after them
                SealedSeed second = seal(sensor, 2);
                events.add(new SensorEvent.SeedUpdateStarted(2, at, "operator"));
                events.add(new SensorEvent.SeedUpdated(second, card.digest(second).toString(), at, "sensor"));
                card.recordReplaced(first, second);
            } else if (i == SENSORS - 1) {
                events.add(new SensorEvent.Revoked("decommissioned", at, "operator"));
                card.recordRevoked(first);
            }
            JournalTestSupport.append(system, sensor, events, 2);
        }
    }

    @AfterAll
    static void close() {
        session.close();
        card.close();
        system.terminate();
    }

    @AfterEach
    void undoTamperingThenTheAuditIsCleanAgain() {
        savedRows.forEach(json -> session.execute("INSERT INTO " + target.journalKeyspace() + ".messages JSON ?", json));
        savedRows.clear();
        assertTrue(audit().clean(), () -> String.join("\n", audit().lines()));
    }

    @Test
    void anUntouchedJournalAuditsCleanFromTheCommandLine() {
        JournalAudit.Report report = audit();
        assertTrue(report.clean(), () -> String.join("\n", report.lines()));
        assertEquals(SENSORS + extraSensors, report.sensors());
        assertEquals(SENSORS - 1 + extraSealed, report.sealedRecords());
        assertTrue(report.exact(), () -> String.join("\n", report.lines()));
        assertEquals(0, AuditTool.run(cliArgs(), Map.of("CARD_PW", new String(JournalTestSupport.CARD_PASSWORD))::get));
    }

    @Test
    void anAlteredCiphertextIsReportedForItsSensor() {
        SensorId victim = sensors.get(3);
        Row last = rows(victim).get(2);
        byte[] event = bytes(last.getByteBuffer("event"));
        event[event.length / 2] ^= 0x01; // inside the sealed seed's ciphertext (the bulk of the event)
        save(victim);
        session.execute("UPDATE " + target.journalKeyspace() + ".messages SET event = ? WHERE persistence_id = ? AND partition_nr = 0"
                + " AND sequence_nr = ? AND timestamp = ?", ByteBuffer.wrap(event), pid(victim), last.getLong("sequence_nr"),
                last.getUuid("timestamp"));

        JournalAudit.Report report = audit();
        assertEquals(List.of(SetDigestAudit.Kind.ALTERED + " " + victim), kinds(report), () -> String.join("\n", report.lines()));
        assertEquals(AuditTool.FINDINGS, AuditTool.run(cliArgs(), Map.of("CARD_PW", new String(JournalTestSupport.CARD_PASSWORD))::get));
    }

    @Test
    void aRemovedSensorIsReported() {
        SensorId victim = sensors.get(15);
        save(victim);
        session.execute("DELETE FROM " + target.journalKeyspace() + ".messages WHERE persistence_id = ? AND partition_nr = 0", pid(victim));
        assertExactly(SetDigestAudit.Kind.REMOVED, victim);
    }

    @Test
    void aRevokedRecordPutBackIsReportedAsAdded() {
        SensorId revoked = sensors.get(SENSORS - 1);
        save(revoked);
        deleteEvent(revoked, 2);
        assertExactly(SetDigestAudit.Kind.ADDED, revoked);
    }

    @Test
    void aRollbackToThePreviousGenuineSeedIsReported() {
        SensorId victim = sensors.get(5);
        save(victim);
        deleteEvent(victim, 3);
        deleteEvent(victim, 2);
        assertExactly(SetDigestAudit.Kind.ROLLED_BACK, victim);
    }

    @Test
    void aRecordCopiedFromAnotherSensorIsReported() {
        SensorId victim = sensors.get(20);
        Row donor = rows(sensors.get(21)).get(0);
        Row target0 = rows(victim).get(0);
        save(victim);
        session.execute("UPDATE " + target.journalKeyspace() + ".messages SET event = ? WHERE persistence_id = ? AND partition_nr = 0"
                + " AND sequence_nr = 1 AND timestamp = ?", donor.getByteBuffer("event"), pid(victim), target0.getUuid("timestamp"));
        JournalAudit.Report report = audit();
        assertTrue(report.problems().stream().anyMatch(p -> p.kind() == JournalScan.Problem.Kind.FOREIGN_RECORD
                && p.persistenceId().equals(pid(victim))), () -> String.join("\n", report.lines()));
        assertExactly(SetDigestAudit.Kind.REMOVED, victim);
    }

    @Test
    void aSwappedSnapshotIsReported() {
        SensorId victim = sensors.get(1);
        // updated sensors got their snapshot after their three events (sequence number 3)
        String select = "SELECT snapshot_data FROM " + target.snapshotKeyspace() + ".snapshots WHERE persistence_id = ? AND sequence_nr = 3";
        String update = "UPDATE " + target.snapshotKeyspace() + ".snapshots SET snapshot_data = ? WHERE persistence_id = ? AND sequence_nr = 3";
        ByteBuffer own = session.execute(select, pid(victim)).one().getByteBuffer("snapshot_data");
        ByteBuffer other = session.execute(select, pid(sensors.get(2))).one().getByteBuffer("snapshot_data");
        session.execute(update, other, pid(victim));
        try {
            JournalAudit.Report report = audit();
            assertTrue(report.problems().stream().anyMatch(p -> p.kind() == JournalScan.Problem.Kind.SNAPSHOT_MISMATCH
                    && p.persistenceId().equals(pid(victim))), () -> String.join("\n", report.lines()));
        } finally {
            session.execute(update, own, pid(victim));
        }
    }

    @Test
    void aJournalUnderAnotherSpellingOfASensorIdIsReportedAndDoesNotReplaceTheRealOne() {
        SensorId victim = sensors.get(7); // updated: three events, seed version 2
        String upper = "Sensor|" + victim.toString().toUpperCase(Locale.ROOT);
        String garbage = "Sensor|nonsense\naudit: clean"; // not a sensor id, and a forged output line
        // the victim's first event only (seed version 1, a rollback) under both ids
        String json = session.execute("SELECT JSON * FROM " + target.journalKeyspace() + ".messages WHERE persistence_id = ?"
                + " AND partition_nr = 0 AND sequence_nr = 1", pid(victim)).one().getString(0);
        for (String fake : List.of(upper, garbage)) {
            session.execute("INSERT INTO " + target.journalKeyspace() + ".messages JSON ?",
                    json.replace("\"" + pid(victim) + "\"", "\"" + fake.replace("\n", "\\n") + "\""));
        }
        try {
            JournalScan.Result scan = JournalScan.scan(session, SerializationExtension.get(system), target.journalKeyspace(),
                    target.snapshotKeyspace());
            assertEquals(2, scan.sensors().get(victim).record().seedVersion(), "the canonical journal is the sensor's");
            assertEquals(3, scan.sensors().get(victim).lastSequenceNr());
            JournalAudit.Report report = audit();
            assertEquals(List.of(JournalScan.Problem.Kind.NON_CANONICAL_ID, JournalScan.Problem.Kind.NON_CANONICAL_ID),
                    report.problems().stream().map(JournalScan.Problem::kind).toList(), () -> String.join("\n", report.lines()));
            assertEquals(java.util.Set.of(upper, garbage),
                    report.problems().stream().map(JournalScan.Problem::persistenceId).collect(java.util.stream.Collectors.toSet()));
            assertEquals(List.of(), kinds(report), "the card's digest matches the canonical journals");
            assertEquals(SENSORS + extraSensors, report.sensors());
            assertTrue(report.tampered());
            assertTrue(report.lines().stream().noneMatch(l -> l.contains("\n")), () -> String.join("\n", report.lines()));
            assertTrue(report.lines().contains("NON_CANONICAL_ID Sensor|nonsense\\u000aaudit: clean: 1 event(s) and 0 snapshot(s)"
                    + " under a persistence id that is not Sensor|<16 lower-case hex digits>; the entity never reads them,"
                    + " nor does this scan"), () -> String.join("\n", report.lines()));
            assertEquals(AuditTool.FINDINGS, AuditTool.run(cliArgs(), Map.of("CARD_PW", new String(JournalTestSupport.CARD_PASSWORD))::get));
        } finally {
            for (String fake : List.of(upper, garbage)) {
                session.execute("DELETE FROM " + target.journalKeyspace() + ".messages WHERE persistence_id = ? AND partition_nr = 0", fake);
            }
        }
    }

    @Test
    void anUpdatePersistedButNotConfirmedToTheCardIsUnconfirmedNotTampering() {
        SensorId sensor = new SensorId(0xa0d1_7000_0000_1000L);
        SealedSeed first = seal(sensor, 1);
        SealedSeed second = seal(sensor, 2);
        Instant at = Instant.now();
        card.recordStored(first);
        // the node persisted the update, then died before recordReplaced
        extraSensors++;
        extraSealed++;
        JournalTestSupport.append(system, sensor, List.of(
                new SensorEvent.Provisioned(first, card.digest(first).toString(), at, "factory"),
                new SensorEvent.SeedUpdateStarted(2, at, "operator"),
                new SensorEvent.SeedUpdated(second, card.digest(second).toString(), at, "sensor")));
        assertUnconfirmedThenConfirm(sensor, () -> card.recordReplaced(first, second));
    }

    @Test
    void aProvisioningAndARevocationNotConfirmedToTheCardAreUnconfirmed() {
        SensorId provisioned = new SensorId(0xa0d1_7000_0000_2000L);
        SensorId revoked = new SensorId(0xa0d1_7000_0000_2001L);
        SealedSeed p = seal(provisioned, 1);
        SealedSeed r = seal(revoked, 1);
        Instant at = Instant.now();
        extraSensors += 2;
        extraSealed++;
        JournalTestSupport.append(system, provisioned, List.of(new SensorEvent.Provisioned(p, card.digest(p).toString(), at, "factory")));
        card.recordStored(r);
        JournalTestSupport.append(system, revoked, List.of(new SensorEvent.Provisioned(r, card.digest(r).toString(), at, "factory"),
                new SensorEvent.Revoked("lost", at, "operator")));
        JournalAudit.Report report = audit();
        assertEquals(List.of(SetDigestAudit.Kind.UNCONFIRMED + " " + provisioned, SetDigestAudit.Kind.UNCONFIRMED + " " + revoked),
                kinds(report), () -> String.join("\n", report.lines()));
        card.recordStored(p);
        card.recordRevoked(r);
    }

    private static void assertUnconfirmedThenConfirm(SensorId sensor, Runnable confirm) {
        JournalAudit.Report report = audit();
        assertEquals(List.of(SetDigestAudit.Kind.UNCONFIRMED + " " + sensor), kinds(report), () -> String.join("\n", report.lines()));
        assertFalse(report.tampered(), () -> String.join("\n", report.lines()));
        assertEquals(AuditTool.UNCONFIRMED, AuditTool.run(cliArgs(), Map.of("CARD_PW", new String(JournalTestSupport.CARD_PASSWORD))::get));
        confirm.run(); // what the entity's next confirmation or an operator does; the audit after the test is clean
    }

    /** The one finding is {@code kind} for exactly {@code sensor}, and the tool agrees. */
    private static void assertExactly(SetDigestAudit.Kind kind, SensorId sensor) {
        JournalAudit.Report report = audit();
        assertTrue(report.exact(), () -> String.join("\n", report.lines()));
        assertEquals(List.of(kind + " " + sensor), kinds(report), () -> String.join("\n", report.lines()));
        assertTrue(report.lines().stream().anyMatch(l -> l.startsWith(kind + " sensor " + sensor)), () -> String.join("\n", report.lines()));
        assertEquals(AuditTool.FINDINGS, AuditTool.run(cliArgs(), Map.of("CARD_PW", new String(JournalTestSupport.CARD_PASSWORD))::get));
    }

    private static List<String> kinds(JournalAudit.Report report) {
        return report.findings().stream().map(f -> f.kind() + " " + f.sensor().map(Object::toString).orElse("bucket " + f.bucket())).toList();
    }

    private static JournalAudit.Report audit() {
        org.apache.pekko.serialization.Serialization serialization = SerializationExtension.get(system);
        return JournalAudit.audit(card, card.setDigest(), card.references(),
                JournalScan.scan(session, serialization, target.journalKeyspace(), target.snapshotKeyspace()));
    }

    private static String[] cliArgs() {
        return new String[] {"--contact-point", target.host() + ":" + target.port(),
            "--journal-keyspace", target.journalKeyspace(), "--snapshot-keyspace", target.snapshotKeyspace(),
            "--card-keystore", dir.resolve("audit.bcfks").toString(), "--card-password-env", "CARD_PW",
            "--state-files", dir.resolve("audit.state").toString(), "--card-state", dir.resolve("audit-cli.state").toString()};
    }

    private void save(SensorId sensor) {
        for (Row r : session.execute("SELECT JSON * FROM " + target.journalKeyspace()
                + ".messages WHERE persistence_id = ? AND partition_nr = 0", pid(sensor))) {
            savedRows.add(r.getString(0));
        }
    }

    private static void deleteEvent(SensorId sensor, long sequenceNr) {
        Row r = rows(sensor).stream().filter(x -> x.getLong("sequence_nr") == sequenceNr).findFirst().orElseThrow();
        session.execute("DELETE FROM " + target.journalKeyspace() + ".messages WHERE persistence_id = ? AND partition_nr = 0"
                + " AND sequence_nr = ? AND timestamp = ?", pid(sensor), sequenceNr, r.getUuid("timestamp"));
    }

    private static List<Row> rows(SensorId sensor) {
        return session.execute("SELECT sequence_nr, timestamp, event FROM " + target.journalKeyspace()
                + ".messages WHERE persistence_id = ? AND partition_nr = 0", pid(sensor)).all();
    }

    private static String pid(SensorId sensor) {
        return SensorPersistence.persistenceId(sensor).id();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static SealedSeed seal(SensorId sensor, int version) {
        KeySeed seed = KeySeed.generate(RANDOM, version, 2026);
        try {
            return card.seal(sensor, CipherSuite.AES128, seed);
        } finally {
            seed.destroy();
        }
    }
}
