package org.microcert.persistence.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.backup.BackupTool;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.card.Pkcs11Card;
import org.microcert.persistence.card.Pkcs11Config;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.card.SoftHsm;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.sensor.JournalTestSupport;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorPersistence;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SensorId;

/**
 * {@code ops/bin/audit}, {@code backup} and {@code restore} with {@code --pkcs11 CONFIG --pin-env VAR}
 * on a real SoftHSM2 token, run in process with the arguments a user types: sensors sealed by the
 * token card audit clean, a tampered row is reported, a backup restores into empty keyspaces and
 * audits clean there. A wrong PIN, a missing PIN variable and a configuration naming a missing
 * token or library give one clear line, a non-zero exit, no stack trace and no PIN.
 */
@ExtendWith(CassandraExtension.class)
class Pkcs11ToolsTest {

    private static final int SENSORS = 40;
    private static final String PIN = new String(SoftHsm.PIN);
    private static final Function<String, String> ENV = Map.of("HSM_PIN", PIN)::get;

    @TempDir
    static Path dir;

    private static CassandraTarget source;
    private static CqlSession session;
    private static Path config;
    private static final List<SensorId> sensors = new ArrayList<>();

    /** What a tool run printed and returned. */
    private record Run(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    @BeforeAll
    static void fleetSealedByTheToken(TestCassandra cassandra) throws IOException {
        Pkcs11Config token = SoftHsm.token("tools");
        Path master = dir.resolve("master.bcfks");
        char[] masterPassword = "master password".toCharArray();
        KeyCeremony.create(master, masterPassword);
        KeyCeremony.distribute(master, masterPassword, List.of(new KeyCeremony.Token(token, SoftHsm.PIN)));
        config = Files.writeString(dir.resolve("hsm.properties"),
                "library = " + token.library() + "\nslot = " + token.slot() + "\n");

        source = JournalTestSupport.target(cassandra, "p11tools_src");
        JournalTestSupport.createSchema(source);
        JournalTestSupport.createSchema(JournalTestSupport.target(cassandra, "p11tools_dst"));
        JournalTestSupport.createSchema(JournalTestSupport.target(cassandra, "p11tools_refused"));
        session = source.openSession();
        ActorSystem<Void> system = JournalTestSupport.system(source, "p11tools");
        SecureRandom random = new SecureRandom();
        Instant at = Instant.now();
        Map<SensorId, List<SensorEvent>> fleet = new LinkedHashMap<>();
        // the card is closed before any tool runs, so every tool logs in to the token itself
        try (Pkcs11Card card = Pkcs11Card.open(Pkcs11Config.load(config), SoftHsm.PIN, dir.resolve("node.state"), 0)) {
            for (int i = 0; i < SENSORS; i++) {
                SensorId sensor = new SensorId(0x9c11_0000_0000_0000L + i);
                sensors.add(sensor);
                KeySeed seed = KeySeed.generate(random, 1, 2026);
                SealedSeed sealed;
                try {
                    sealed = card.seal(sensor, CipherSuite.AES128, seed);
                } finally {
                    seed.destroy();
                }
                fleet.put(sensor, List.of(new SensorEvent.Provisioned(sealed, card.digest(sealed).toString(), at, "factory")));
                card.recordStored(sealed);
            }
            JournalTestSupport.appendAll(system, fleet);
        } finally {
            system.terminate();
        }
    }

    @AfterAll
    static void close() {
        session.close();
    }

    @Test
    void theAuditOnATokenCardIsCleanThenReportsTheTamperedSensor() {
        Run clean = run("audit", ENV, cassandra(source) + " --pkcs11 " + config + " --pin-env HSM_PIN --card-state "
                + dir.resolve("node.state"));
        assertEquals(0, clean.exit(), clean::all);
        assertTrue(clean.out().contains("sensors read: " + SENSORS) && clean.out().contains("audit: clean"), clean::all);

        SensorId victim = sensors.get(7);
        String pid = SensorPersistence.persistenceId(victim).id();
        Row row = session.execute("SELECT timestamp, event FROM " + source.journalKeyspace()
                + ".messages WHERE persistence_id = ? AND partition_nr = 0 AND sequence_nr = 1", pid).one();
        ByteBuffer original = row.getByteBuffer("event");
        byte[] altered = new byte[original.remaining()];
        original.duplicate().get(altered);
        altered[altered.length / 2] ^= 0x01; // inside the sealed seed's ciphertext
        String update = "UPDATE " + source.journalKeyspace() + ".messages SET event = ? WHERE persistence_id = ?"
                + " AND partition_nr = 0 AND sequence_nr = 1 AND timestamp = ?";
        session.execute(update, ByteBuffer.wrap(altered), pid, row.getUuid("timestamp"));
        try {
            Run tampered = run("audit", ENV, cassandra(source) + " --pkcs11 " + config + " --pin-env HSM_PIN --card-state "
                    + dir.resolve("node.state"));
            assertEquals(AuditTool.FINDINGS, tampered.exit(), tampered::all);
            assertTrue(tampered.out().contains("ALTERED") && tampered.out().contains("sensor " + victim), tampered::all);
        } finally {
            session.execute(update, original, pid, row.getUuid("timestamp"));
        }
    }

    @Test
    void aBackupOnATokenCardRestoresIntoEmptyKeyspacesThatAuditClean(TestCassandra cassandra) {
        Path file = dir.resolve("fleet.backup");
        Run backup = run("backup", ENV, "--file " + file + " " + cassandra(source) + " --pkcs11 " + config
                + " --pin-env HSM_PIN --card-state " + dir.resolve("backup-run.state") + " --state-files " + dir.resolve("node.state"));
        assertEquals(0, backup.exit(), backup::all);
        assertTrue(backup.out().contains(SENSORS + " sensors"), backup::all);

        CassandraTarget restored = JournalTestSupport.target(cassandra, "p11tools_dst");
        Run restore = run("restore", ENV, "--file " + file + " " + cassandra(restored) + " --pkcs11 " + config
                + " --pin-env HSM_PIN --card-state " + dir.resolve("new-node.state"));
        assertEquals(0, restore.exit(), restore::all);
        assertTrue(restore.out().contains("restored " + SENSORS + " sensors"), restore::all);

        Run audit = run("audit", ENV, cassandra(restored) + " --pkcs11 " + config + " --pin-env HSM_PIN --card-state "
                + dir.resolve("new-node.state"));
        assertEquals(0, audit.exit(), audit::all);
        assertTrue(audit.out().contains("sensors read: " + SENSORS) && audit.out().contains("audit: clean"), audit::all);
        assertTrue(audit.out().contains("card references: complete"), audit::all); // restore set them with the digest
    }

    @Test
    void aWrongPinIsOneClearLineFromEveryTool() {
        Function<String, String> wrong = Map.of("HSM_PIN", "wrong-pin-8642")::get;
        for (String tool : List.of("audit", "backup", "restore")) {
            Run r = runWithCard(tool, wrong, "--pkcs11 " + config + " --pin-env HSM_PIN");
            assertOneLineError(tool, r, 1, "refused the PIN");
            assertFalse(r.all().contains("wrong-pin-8642"), r::all);
        }
    }

    @Test
    void aMissingPinVariableIsOneClearLineFromEveryTool() {
        for (String tool : List.of("audit", "backup", "restore")) {
            Run r = runWithCard(tool, Map.<String, String>of()::get, "--pkcs11 " + config + " --pin-env HSM_PIN");
            assertOneLineError(tool, r, 2, "environment variable HSM_PIN (--pin-env) is not set");
        }
    }

    @Test
    void aConfigurationNamingAMissingTokenLibraryOrFileIsOneClearLineFromEveryTool() throws IOException {
        Path noSlot = Files.writeString(dir.resolve("no-slot.properties"),
                "library = " + Pkcs11Config.SOFTHSM2_LIBRARY + "\nslot = 987654321\n");
        Path noLibrary = Files.writeString(dir.resolve("no-library.properties"),
                "library = /nonexistent/libpkcs11.so\nslot = 1\n");
        Path noFile = dir.resolve("absent.properties");
        for (String tool : List.of("audit", "backup", "restore")) {
            assertOneLineError(tool, runWithCard(tool, ENV, "--pkcs11 " + noSlot + " --pin-env HSM_PIN"), 1,
                    "microcert-slot-987654321 failed to initialise");
            assertOneLineError(tool, runWithCard(tool, ENV, "--pkcs11 " + noLibrary + " --pin-env HSM_PIN"), 1,
                    "no PKCS#11 library at /nonexistent/libpkcs11.so");
            assertOneLineError(tool, runWithCard(tool, ENV, "--pkcs11 " + noFile + " --pin-env HSM_PIN"), 1,
                    "no PKCS#11 card configuration at " + noFile);
        }
    }

    /** Runs a tool against the keyspaces it must not touch: refusals change nothing there. */
    private Run runWithCard(String tool, Function<String, String> env, String cardOptions) {
        CassandraTarget refused = new CassandraTarget(source.host(), source.port(), TestCassandra.LOCAL_DATACENTER,
                "p11tools_refused_journal", "p11tools_refused_snapshot");
        String file = tool.equals("audit") ? "" : "--file " + dir.resolve(tool.equals("backup") ? "refused.backup" : "fleet.backup") + " ";
        Run r = run(tool, env, file + cassandra(tool.equals("restore") ? refused : source) + " " + cardOptions
                + " --card-state " + dir.resolve(tool + "-refused.state"));
        assertTrue(Files.notExists(dir.resolve("refused.backup")), "no backup written");
        try (CqlSession s = refused.openSession()) {
            assertNull(s.execute("SELECT persistence_id FROM " + refused.journalKeyspace() + ".messages LIMIT 1").one(),
                    "nothing restored");
        }
        return r;
    }

    private static void assertOneLineError(String tool, Run r, int exit, String expected) {
        assertEquals(exit, r.exit(), r::all);
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), r::all);
        assertTrue(lines.get(0).startsWith(tool + ": ") && lines.get(0).contains(expected), r::all);
        assertFalse(r.all().contains("Exception") || r.all().contains("\tat "), r::all);
        assertFalse(r.all().contains(PIN), r::all);
    }

    private static String cassandra(CassandraTarget target) {
        return "--contact-point " + target.host() + ":" + target.port() + " --journal-keyspace " + target.journalKeyspace()
                + " --snapshot-keyspace " + target.snapshotKeyspace();
    }

    /** Runs {@code ops/bin/TOOL COMMAND-LINE} in process (the line split at spaces, as a shell does) and captures its output. */
    private static synchronized Run run(String tool, Function<String, String> env, String commandLine) {
        String[] args = commandLine.trim().split(" +");
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
            exit = switch (tool) {
                case "audit" -> AuditTool.run(args, env);
                case "backup", "restore" -> {
                    String[] withCommand = new String[args.length + 1];
                    withCommand[0] = tool;
                    System.arraycopy(args, 0, withCommand, 1, args.length);
                    yield BackupTool.run(withCommand, env);
                }
                default -> throw new IllegalArgumentException(tool);
            };
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Run(exit, outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
    }
}
