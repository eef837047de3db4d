package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.backup.BackupFile;
import org.microcert.persistence.backup.Backups;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.schema.Replication;
import org.microcert.persistence.schema.Schema;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;

/**
 * {@code POST /v1/backup} on a running node on the real Cassandra: the streamed file is the
 * persistence module's backup format, restores with its restore into empty keyspaces, and a node on
 * the restored keyspaces has the same sensors, which authenticate. After a journal row is removed
 * behind the node's back, the backup is refused with {@code 409 AUDIT_FAILED} instead of preserving it.
 */
@ExtendWith(CassandraExtension.class)
class HttpBackupCassandraTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "backup-operator-token-0123456789";

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static TestCassandra cassandra;
    static Path tokens;
    static final TestNode.Client client = new TestNode.Client();
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void setUp(TestCassandra c) throws Exception {
        cassandra = c;
        fleet = new TestFleet(dir.resolve("card"));
        tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator bob\n");
    }

    static Config config(String prefix) {
        return config(cassandra, tokens, prefix);
    }

    /** A node on {@code cassandra}'s keyspaces {@code prefix}_journal/_snapshot, operators from {@code tokens}, long calls allowed. */
    static Config config(TestCassandra cassandra, Path tokens, String prefix) {
        return ConfigFactory.parseString("""
                microcert.http.tokens-file = "%s"
                microcert.http.journal-probe.interval = 200ms
                microcert.http.ask-timeout = 40s
                pekko.http.server.request-timeout = 60s
                """.formatted(tokens)).withFallback(TestNode.cassandraJournal(cassandra, prefix));
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static HttpResponse<byte[]> backup(TestNode node) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.url("/v1/backup"))).timeout(Duration.ofSeconds(90))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The status fields that are key state (counters and hosting node are per incarnation). */
    static List<String> keyState(TestNode node, SensorChip chip) throws Exception {
        JsonNode s = json(client.get(node.url("/v1/sensors/" + chip.sensorId()), TOKEN));
        List<String> out = new ArrayList<>();
        for (String f : List.of("status", "seedVersion", "pendingSeedVersion", "keyVersion", "provisionedAt", "updatedAt")) {
            out.add(f + "=" + s.get(f));
        }
        return out;
    }

    @Test
    void aBackupTakenOverHttpRestoresAndATamperedJournalIsRefused() throws Exception {
        List<SensorChip> chips = new ArrayList<>();
        for (long id = 0xBAC0_0001L; id <= 0xBAC0_0003L; id++) {
            chips.add(TestFleet.chip(id, Instant.now()));
        }
        SensorChip revoked = chips.get(2);
        Path file = dir.resolve("fleet.backup");
        List<List<String>> before = new ArrayList<>();
        try (TestNode node = new TestNode("BackupIT1", config("backup_src"), fleet.openCard("backup-src"))) {
            CassandraIntegrationTest.awaitReady(node);
            for (SensorChip chip : chips) {
                assertEquals(201, client.postJson(node.url("/v1/sensors"),
                        "{\"envelope\":\"" + b64(fleet.transportEnvelope(chip)) + "\"}", TOKEN).statusCode());
            }
            HttpResponse<String> started = client.send("POST", node.url("/v1/sensors/" + chips.get(1).sensorId()
                    + "/seed-update"), null, null, TOKEN);
            assertEquals(200, started.statusCode(), started.body());
            assertEquals(200, client.postJson(node.url("/v1/sensors/" + revoked.sensorId() + "/revoke"), "{}", TOKEN)
                    .statusCode());
            for (SensorChip chip : chips) {
                before.add(keyState(node, chip));
            }

            HttpResponse<byte[]> r = backup(node);
            assertEquals(200, r.statusCode(), new String(r.body()));
            assertEquals("application/octet-stream", r.headers().firstValue("Content-Type").orElse(""));
            assertTrue(r.headers().firstValue("Content-Disposition").orElse("")
                    .matches("attachment; filename=\"microcert-\\d{8}T\\d{6}Z\\.backup\""), r.headers().toString());
            Files.write(file, r.body());
            JsonNode audit = json(client.get(node.url("/v1/audit?limit=2"), TOKEN));
            assertEquals("BACKUP:OK:bob", record(audit, 0));
            assertEquals("BACKUP:REQUESTED:bob", record(audit, 1));

            // Tamper behind the node's back: one sensor's events disappear from the journal.
            try (CqlSession session = session()) {
                session.execute("DELETE FROM backup_src_journal.messages WHERE persistence_id = ? AND partition_nr = 0",
                        "Sensor|" + chips.get(0).sensorId());
            }
            HttpResponse<byte[]> refused = backup(node);
            assertEquals(409, refused.statusCode(), new String(refused.body()));
            JsonNode error = JSON.readTree(refused.body());
            assertEquals("AUDIT_FAILED", error.get("error").asText());
            assertTrue(error.get("message").asText().contains("REMOVED"), error.get("message").asText());
            assertEquals("BACKUP:AUDIT_FAILED:bob", record(
                    json(client.get(node.url("/v1/audit?limit=1"), TOKEN)), 0));
        }

        // Disaster recovery with the persistence module's restore, into empty keyspaces.
        CassandraTarget restored = new CassandraTarget(cassandra.host(), cassandra.port(), TestCassandra.LOCAL_DATACENTER,
                "backup_dst_journal", "backup_dst_snapshot");
        try (CqlSession session = session()) {
            Schema.apply(session, restored.journalKeyspace(), restored.snapshotKeyspace(), Replication.simple(1));
            ActorSystem<Void> tool = ActorSystem.create(Behaviors.empty(), "restore", restored.pekkoConfig(""));
            try (SoftwareCard card = fleet.openCard("backup-dst")) {
                assertEquals(3, BackupFile.verify(file, card, SerializationExtension.get(tool)).records());
                assertEquals(3, Backups.restore(session, tool, restored, card, file, 100).records());
            } finally {
                tool.terminate();
                tool.getWhenTerminated().toCompletableFuture().join();
            }
        }
        try (TestNode node = new TestNode("BackupIT2", config("backup_dst"), fleet.openCard("backup-dst"))) {
            CassandraIntegrationTest.awaitReady(node);
            for (int i = 0; i < chips.size(); i++) {
                assertEquals(before.get(i), keyState(node, chips.get(i)), "restored state of " + chips.get(i).sensorId());
            }
            for (SensorChip chip : chips.subList(0, 2)) {
                MicroCertificate cert = chip.authenticate(Instant.now());
                HttpResponse<String> a = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                        cert.encode(), null);
                assertEquals(200, a.statusCode(), a.body());
            }
            HttpResponse<String> r = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                    revoked.authenticate(Instant.now()).encode(), null);
            assertEquals("REVOKED", json(r).get("reason").asText());
            // The restored card's set digest matches the restored journal: a backup of it goes through.
            HttpResponse<byte[]> again = backup(node);
            assertEquals(200, again.statusCode(), new String(again.body()));
        }
    }

    static CqlSession session() {
        return CqlSession.builder().addContactPoint(cassandra.contactPoint())
                .withLocalDatacenter(TestCassandra.LOCAL_DATACENTER).build();
    }

    /** Audit record i of a GET /v1/audit answer as action:result:actor. */
    static String record(JsonNode audit, int i) {
        JsonNode r = audit.get("records").get(i);
        return r.get("action").asText() + ":" + r.get("result").asText() + ":" + r.get("actor").asText();
    }
}
