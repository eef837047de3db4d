package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.microcert.cluster.CassandraIntegrationTest.awaitReady;
import static org.microcert.cluster.CassandraIntegrationTest.b64;
import static org.microcert.cluster.CassandraIntegrationTest.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;

/**
 * The downlink queue and the two-phase seed update on the real Cassandra: what is pending, the
 * offered seed and a revocation being delivered survive node restarts (journal and snapshots).
 */
@ExtendWith(CassandraExtension.class)
class DownlinkCassandraTest {

    static final String TOKEN = "dl-operator-token-0123456789";
    static final TestNode.Client client = new TestNode.Client();

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static Config config;

    @BeforeAll
    static void setUp(TestCassandra cassandra) throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        config = CassandraIntegrationTest.nodeConfig(cassandra, dir, TOKEN, "downlink_it");
    }

    static HttpResponse<String> poll(TestNode node, SensorChip chip) throws Exception {
        return client.send("POST", node.url("/v1/downlink"), "application/octet-stream",
                chip.authenticate(Instant.now()).encode(), null);
    }

    static MicroCertificate onlyCommand(HttpResponse<String> answer) throws Exception {
        JsonNode commands = json(answer).get("commands");
        assertEquals(1, commands.size(), answer.body());
        return MicroCertificate.decode(Base64.getDecoder().decode(commands.get(0).asText()));
    }

    static void nextSecond(long after) throws InterruptedException {
        while (Instant.now().getEpochSecond() <= after) {
            Thread.sleep(50); // a restarted entity refuses the second it last accepted in (REPLAY_WINDOW_RESET)
        }
    }

    @Test
    void theQueueTheOfferedSeedAndARevocationBeingDeliveredSurviveRestarts() throws Exception {
        SensorChip chip = TestFleet.chip(0xD0D0_0001L, Instant.now());
        String sensor = "/v1/sensors/" + chip.sensorId();
        long last;
        try (TestNode node = new TestNode("DownlinkIT1", config, fleet.openCard("dl"))) {
            awaitReady(node);
            assertEquals(201, client.postJson(node.url("/v1/sensors"),
                    "{\"envelope\":\"" + b64(fleet.transportEnvelope(chip)) + "\"}", TOKEN).statusCode());
            assertEquals(200, client.send("POST", node.url(sensor + "/seed-update"), null, null, TOKEN).statusCode());
            HttpResponse<String> woke = poll(node, chip);
            assertEquals(new CommandOrder.SeedUpdate(2), chip.accept(onlyCommand(woke), Instant.now()));
            HttpResponse<String> offered = client.postJson(node.url("/v1/downlink/seed-update"),
                    "{\"envelope\":\"" + b64(chip.pendingUpdate().orElseThrow().encode()) + "\"}", null);
            assertEquals(200, offered.statusCode(), offered.body());
            last = Instant.now().getEpochSecond();
        }
        // the answer reached the chip; the node restarted before the chip's first certificate under seed 2
        chip.activatePendingSeed();
        try (TestNode node = new TestNode("DownlinkIT2", config, fleet.openCard("dl"))) {
            awaitReady(node);
            JsonNode before = json(client.get(node.url(sensor), TOKEN));
            assertEquals("UPDATE_PENDING", before.get("status").asText());
            assertEquals(1, before.get("seedVersion").asInt());
            nextSecond(last);
            HttpResponse<String> proof = poll(node, chip);
            assertEquals(200, proof.statusCode(), proof.body());
            assertEquals(2, json(proof).get("seedVersion").asInt(), "the offered seed was recovered from Cassandra");
            assertEquals(0, json(proof).get("commands").size());
            assertEquals("ACTIVE", json(client.get(node.url(sensor), TOKEN)).get("status").asText());
            assertEquals(200, client.postJson(node.url(sensor + "/revoke"), "{\"reason\":\"stolen\"}", TOKEN).statusCode());
            last = Instant.now().getEpochSecond();
        }
        try (TestNode node = new TestNode("DownlinkIT3", config, fleet.openCard("dl"))) {
            awaitReady(node);
            nextSecond(last);
            HttpResponse<String> asleep = poll(node, chip);
            assertEquals(403, asleep.statusCode(), asleep.body());
            assertEquals("REVOKED", json(asleep).get("reason").asText());
            assertEquals(new CommandOrder.Revoke(2), chip.accept(onlyCommand(asleep), Instant.now()),
                    "the revoke is tagged under the seed the sensor proved, kept through the restart");
            HttpResponse<String> ended = client.postJson(node.url(sensor + "/downlink/cancel"), "{}", TOKEN);
            assertEquals(200, ended.statusCode(), ended.body());
        }
    }
}
