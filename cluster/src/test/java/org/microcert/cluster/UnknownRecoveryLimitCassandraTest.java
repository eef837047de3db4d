package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.protocol.SensorChip;

/**
 * On the real Cassandra, after a node restart (so that every sensor needs a recovery): a batch that
 * names 600 random unknown ids and 5 provisioned sensors gets the 5 accepted, while the random ids'
 * recoveries never exceed the configured limit (2 at once); the ones that found no permit are answered
 * UNAVAILABLE without any read, each UNKNOWN_SENSOR answer cost exactly one recovery, and a refused id
 * asked again later is answered UNKNOWN_SENSOR: the limit never says "unknown" itself.
 */
@ExtendWith(CassandraExtension.class)
class UnknownRecoveryLimitCassandraTest {

    static final String TOKEN = "unknown-recovery-operator-token-01";
    static final TestNode.Client client = new TestNode.Client();

    @TempDir
    static Path dir;

    @Test
    void aRandomIdFloodIsHeldToItsPermitsWhileProvisionedSensorsRecoverAtOnce(TestCassandra cassandra) throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator olga\n");
        Config config = ConfigFactory.parseString("""
                microcert.http.tokens-file = "%s"
                microcert.http.ask-timeout = 40s
                microcert.sensor.unknown-recoveries { max-concurrent = 2, max-waiting = 4, max-wait = 2s }
                """.formatted(tokens)).withFallback(TestNode.cassandraJournal(cassandra, "unknown_limit"));
        List<SensorChip> provisioned = new ArrayList<>();
        try (TestNode node = new TestNode("UnknownLimit1", config, fleet.openCard("limit"))) {
            CassandraIntegrationTest.awaitReady(node);
            for (int i = 0; i < 5; i++) {
                SensorChip chip = TestFleet.chip(0x5e50_0000L + i, Instant.now());
                HttpResponse<String> p = client.postJson(node.url("/v1/sensors"),
                        "{\"envelope\":\"" + CassandraIntegrationTest.b64(fleet.transportEnvelope(chip)) + "\"}", TOKEN);
                assertEquals(201, p.statusCode(), p.body());
                provisioned.add(chip);
            }
        }

        try (TestNode node = new TestNode("UnknownLimit2", config, fleet.openCard("limit"))) {
            CassandraIntegrationTest.awaitReady(node);
            Poll.until(Duration.ofSeconds(30), "the journal's sensor listing loaded",
                    () -> UnknownSensorCacheCassandraTest.metric(node, "microcert_provisioned_ids_listed") >= 5);
            double recoveriesBefore = UnknownSensorCacheCassandraTest.metric(node, "microcert_sensor_recoveries_total");

            // 600 random ids with the 5 sensors among them, every 120th item
            SplittableRandom random = new SplittableRandom(2026);
            StringBuilder batch = new StringBuilder("{\"certificates\":[");
            Map<Integer, SensorChip> genuineAt = new HashMap<>();
            Map<Integer, SensorChip> randomAt = new HashMap<>();
            for (int i = 0; i < 605; i++) {
                SensorChip chip;
                if (i % 121 == 0) {
                    chip = provisioned.get(i / 121);
                    genuineAt.put(i, chip);
                } else {
                    chip = TestFleet.chip(0x1_0000_0000L + random.nextLong(1L << 40), Instant.now());
                    randomAt.put(i, chip);
                }
                batch.append(i == 0 ? "\"" : ",\"").append(CassandraIntegrationTest.b64(chip.authenticate(Instant.now()).encode())).append('"');
            }
            HttpResponse<String> answer = client.send("POST", node.url("/v1/authenticate/batch"), "application/json",
                    batch.append("]}").toString().getBytes(StandardCharsets.UTF_8), null);
            assertEquals(200, answer.statusCode(), answer.body());
            JsonNode results = new ObjectMapper().readTree(answer.body()).get("results");

            int unknown = 0;
            List<SensorChip> refused = new ArrayList<>();
            for (JsonNode r : results) {
                int i = r.get("index").asInt();
                if (genuineAt.containsKey(i)) {
                    assertEquals("ACCEPTED", r.get("outcome").asText(), "provisioned sensor in the flood: " + r);
                    continue;
                }
                String reason = r.get("reason").asText();
                if (reason.equals("UNKNOWN_SENSOR")) {
                    unknown++;
                } else {
                    assertEquals("UNAVAILABLE", reason, "a random id is either looked up or asked to retry: " + r);
                    refused.add(randomAt.get(i));
                }
            }
            assertEquals(600, unknown + refused.size());
            assertTrue(!refused.isEmpty(), "600 random ids at once must exceed 2 permits and 4 places in the queue");
            assertEquals(unknown + 5, UnknownSensorCacheCassandraTest.metric(node, "microcert_sensor_recoveries_total")
                    - recoveriesBefore, "one recovery per UNKNOWN_SENSOR answer and per genuine sensor, none for a refusal");
            assertEquals(2, UnknownSensorCacheCassandraTest.metric(node, "microcert_unknown_recovery_permits{state=\"peak\"}"),
                    "never more than max-concurrent unknown-id recoveries at once (and the limit was reached)");
            double refusedMetric = UnknownSensorCacheCassandraTest.metric(node,
                    "microcert_unknown_recoveries_total{result=\"refused\"}")
                    + UnknownSensorCacheCassandraTest.metric(node, "microcert_unknown_recoveries_total{result=\"gave_up\"}");
            assertEquals(refused.size(), refusedMetric);

            // Without the flood, a refused id gets its true answer: the limit never claims an id unknown.
            for (SensorChip chip : refused.subList(0, 3)) {
                HttpResponse<String> r = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                        chip.authenticate(Instant.now()).encode(), null);
                assertEquals(404, r.statusCode(), r.body());
                assertTrue(r.body().contains("\"UNKNOWN_SENSOR\""), r.body());
            }
        }
    }
}
