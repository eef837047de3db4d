package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.protocol.SensorChip;

/**
 * On the real Cassandra: a sensor id answered UNKNOWN_SENSOR once is answered again without another
 * recovery (no more journal reads: counted by the node's recovery metric), and once provisioned it
 * authenticates at once, although it was cached as unknown.
 */
@ExtendWith(CassandraExtension.class)
class UnknownSensorCacheCassandraTest {

    static final String TOKEN = "unknown-cache-operator-token-0123";
    static final TestNode.Client client = new TestNode.Client();

    @TempDir
    static Path dir;

    static double metric(TestNode node, String line) {
        String text = client.get(node.url("/metrics"), null).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(line) + " (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void repeatedUnknownIdsCostOneRecoveryAndAProvisionedOneAuthenticatesAtOnce(TestCassandra cassandra) throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator olga\n");
        Config config = ConfigFactory.parseString("""
                microcert.http.tokens-file = "%s"
                microcert.http.ask-timeout = 40s
                """.formatted(tokens)).withFallback(TestNode.cassandraJournal(cassandra, "unknown_cache"));
        try (TestNode node = new TestNode("UnknownCache", config, fleet.openCard("unknown-cache"))) {
            CassandraIntegrationTest.awaitReady(node);
            SensorChip chip = TestFleet.chip(0x0bad_cafeL, Instant.now());
            double recoveriesBefore = metric(node, "microcert_sensor_recoveries_total");
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                        chip.authenticate(Instant.now()).encode(), null);
                assertEquals(404, r.statusCode(), r.body());
                assertTrue(r.body().contains("\"UNKNOWN_SENSOR\""), r.body());
            }
            assertEquals(1, metric(node, "microcert_sensor_recoveries_total") - recoveriesBefore,
                    "one recovery (journal and snapshot reads) for 20 requests naming the same unknown id");
            assertTrue(metric(node, "microcert_unknown_sensor_cache_total{result=\"hit\"}") >= 1);

            HttpResponse<String> p = client.postJson(node.url("/v1/sensors"),
                    "{\"envelope\":\"" + Base64.getEncoder().encodeToString(fleet.transportEnvelope(chip)) + "\"}", TOKEN);
            assertEquals(201, p.statusCode(), p.body());
            HttpResponse<String> a = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                    chip.authenticate(Instant.now()).encode(), null);
            assertEquals(200, a.statusCode(), "provisioned after being cached as unknown: " + a.body());
            assertEquals("ACCEPTED", new ObjectMapper().readTree(a.body()).get("outcome").asText());
        }
    }
}
