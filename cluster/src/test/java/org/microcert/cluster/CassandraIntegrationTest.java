package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;

/**
 * A node on the real Cassandra (the ops module's fixture): key state, replay reservations and the
 * audit trail survive a node restart, recovered from the journal and snapshots.
 */
@ExtendWith(CassandraExtension.class)
class CassandraIntegrationTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "it-operator-token-0123456789";

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static Config config;
    static final TestNode.Client client = new TestNode.Client();

    @BeforeAll
    static void setUp(TestCassandra cassandra) throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        config = nodeConfig(cassandra, dir, TOKEN, "cluster_it");
    }

    /** A node on {@code cassandra} with operator {@code token} (olga), snapshots every 2 events. */
    static Config nodeConfig(TestCassandra cassandra, Path dir, String token, String keyspace) throws Exception {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(token) + " operator olga\n");
        return ConfigFactory.parseString("""
                microcert.http.tokens-file = "%s"
                microcert.persistence.snapshot-every-n-events = 2
                microcert.http.journal-probe.interval = 200ms
                # the first write creates the keyspaces and tables: slow on a busy machine
                microcert.http.ask-timeout = 40s
                """.formatted(tokens)).withFallback(TestNode.cassandraJournal(cassandra, keyspace));
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    /** Waits until the journal probe has answered (the node answers 503 until then). */
    static void awaitReady(TestNode node) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (client.get(node.url("/health/ready"), null).statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("node never became ready: " + client.get(node.url("/health/ready"), null).body());
            }
            Thread.sleep(100);
        }
    }

    @Test
    void keyStateReplayReservationAndAuditTrailSurviveANodeRestart() throws Exception {
        SensorChip chip = TestFleet.chip(0xC0FFEE01L, Instant.now());
        MicroCertificate accepted;
        String sensor = chip.sensorId().toString();
        try (TestNode node = new TestNode("CassandraIT1", config, fleet.openCard("it"))) {
            awaitReady(node);
            HttpResponse<String> p = client.postJson(node.url("/v1/sensors"),
                    "{\"envelope\":\"" + b64(fleet.transportEnvelope(chip)) + "\"}", TOKEN);
            assertEquals(201, p.statusCode(), p.body());
            // Two seed updates: five events, so recovery goes through a snapshot and later events.
            for (int version = 2; version <= 3; version++) {
                HttpResponse<String> start = client.send("POST", node.url("/v1/sensors/" + sensor + "/seed-update"),
                        null, null, TOKEN);
                assertEquals(200, start.statusCode(), start.body());
                chip.accept(MicroCertificate.decode(Base64.getDecoder().decode(json(start).get("command").asText())),
                        Instant.now());
                HttpResponse<String> done = client.postJson(node.url("/v1/sensors/" + sensor + "/seed-update/complete"),
                        "{\"envelope\":\"" + b64(chip.pendingUpdate().orElseThrow().encode()) + "\"}", TOKEN);
                assertEquals(200, done.statusCode(), done.body());
                chip.activatePendingSeed();
                // the sensor's first certificate under the new seed completes the update
                HttpResponse<String> proof = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                        chip.authenticate(Instant.now()).encode(), null);
                assertEquals(version, json(proof).get("seedVersion").asInt(), proof.body());
            }
            accepted = chip.authenticate(Instant.now());
            HttpResponse<String> a = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                    accepted.encode(), null);
            assertEquals(200, a.statusCode(), a.body());
            assertEquals(3, json(a).get("seedVersion").asInt());
        }

        try (TestNode node = new TestNode("CassandraIT2", config, fleet.openCard("it"))) {
            awaitReady(node);
            HttpResponse<String> again = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                    accepted.encode(), null);
            assertEquals(403, again.statusCode(), again.body());
            // the release listed it (a crash would have refused its whole second: REPLAY_WINDOW_RESET)
            assertEquals("REPLAY", json(again).get("reason").asText(),
                    "the certificate accepted before the restart is not accepted again");
            // The first node stopped gracefully, so its entity released the reservation down to what
            // it accepted: a fresh certificate, still inside the old reservation, is accepted at once.
            while (Instant.now().getEpochSecond() <= accepted.timestamp()) {
                Thread.sleep(50); // the next second: the same second is rightly refused
            }
            HttpResponse<String> fresh = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                    chip.authenticate(Instant.now()).encode(), null);
            assertEquals(200, fresh.statusCode(), fresh.body());
            JsonNode status = json(client.get(node.url("/v1/sensors/" + sensor), TOKEN));
            assertEquals("ACTIVE", status.get("status").asText());
            assertEquals(3, status.get("seedVersion").asInt());

            HttpResponse<String> audit = client.get(node.url("/v1/audit?sensorId=" + sensor), TOKEN);
            assertEquals(200, audit.statusCode(), audit.body());
            List<String> actions = new ArrayList<>();
            for (JsonNode r : json(audit).get("records")) {
                actions.add(r.get("action").asText() + ":" + r.get("result").asText() + ":" + r.get("actor").asText());
            }
            List<String> expected = new ArrayList<>();
            for (String action : List.of("SEED_UPDATE_COMPLETE", "SEED_UPDATE_START", "SEED_UPDATE_COMPLETE",
                    "SEED_UPDATE_START", "PROVISION")) {
                expected.add(action + ":OK:olga");
                expected.add(action + ":REQUESTED:olga");
            }
            assertEquals(expected, actions, "the audit trail (intent, then outcome of each call) is in Cassandra");
            assertTrue(json(client.get(node.url("/health/ready"), null)).get("journal").asText().equals("UP"));
        }
    }
}
