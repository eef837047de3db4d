package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
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
 * A node on the real Cassandra that may keep only 2 seeds open: many sensors, talking in turn, each
 * evicting another's seed, are all still judged right (every genuine certificate accepted, every
 * altered one refused), and the node's metrics show the bound at work.
 */
@ExtendWith(CassandraExtension.class)
class SeedCacheCassandraTest {

    static final String TOKEN = "seed-cache-operator-token-0123456789";
    static final int SENSORS = 12;
    static final int ROUNDS = 3;

    @TempDir
    static Path dir;

    @Test
    void aNodeThatKeepsTwoSeedsOpenAuthenticatesManySensorsCorrectly(TestCassandra cassandra) throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator olga\n");
        Config config = ConfigFactory.parseString("""
                microcert.http.tokens-file = "%s"
                microcert.sensor.max-open-seeds = 2
                # the first write creates the keyspaces and tables: slow on a busy machine
                microcert.http.ask-timeout = 40s
                """.formatted(tokens)).withFallback(TestNode.cassandraJournal(cassandra, "seed_cache"));
        TestNode.Client client = new TestNode.Client();
        try (TestNode node = new TestNode("SeedCacheIT", config, fleet.openCard("seed-cache"))) {
            CassandraIntegrationTest.awaitReady(node);
            List<SensorChip> chips = new ArrayList<>();
            for (int i = 0; i < SENSORS; i++) {
                SensorChip chip = TestFleet.chip(0x5EED0000L + i, Instant.now());
                HttpResponse<String> p = client.postJson(node.url("/v1/sensors"), "{\"envelope\":\""
                        + Base64.getEncoder().encodeToString(fleet.transportEnvelope(chip)) + "\"}", TOKEN);
                assertEquals(201, p.statusCode(), p.body());
                chips.add(chip);
            }
            for (int round = 0; round < ROUNDS; round++) {
                for (SensorChip chip : chips) {
                    byte[] genuine = chip.authenticate(Instant.now()).encode();
                    byte[] altered = chip.authenticate(Instant.now()).encode();
                    altered[altered.length - 1] ^= 1; // the tag: only the right seed tells
                    assertEquals(403, authenticate(client, node, altered).statusCode(), "altered, " + chip.sensorId());
                    HttpResponse<String> ok = authenticate(client, node, genuine);
                    assertEquals(200, ok.statusCode(), chip.sensorId() + ": " + ok.body());
                }
            }
            String metrics = client.get(node.url("/metrics"), null).body();
            int uses = 2 * SENSORS * ROUNDS;
            double hits = sample(metrics, "microcert_seed_cache_hits_total");
            double misses = sample(metrics, "microcert_seed_cache_misses_total");
            assertEquals(uses, hits + misses, metrics);
            assertEquals(misses, sample(metrics, "microcert_seed_opens_total"));
            // round robin over 12 sensors with 2 places: at least the first use of each sensor in a
            // round misses, so the card opened a seed at least once per sensor per round
            assertTrue(misses >= SENSORS * ROUNDS, "misses " + misses);
            assertTrue(sample(metrics, "microcert_seed_cache_evictions_total{reason=\"bound\"}")
                    >= SENSORS * ROUNDS - 2, metrics);
            assertTrue(sample(metrics, "microcert_seed_cache_open_seeds") <= 2, metrics);
            assertEquals(2.0, sample(metrics, "microcert_seed_cache_capacity"));
        }
    }

    static HttpResponse<String> authenticate(TestNode.Client client, TestNode node, byte[] cert) {
        return client.send("POST", node.url("/v1/authenticate"), "application/octet-stream", cert, null);
    }

    static double sample(String text, String sample) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(text);
        assertTrue(m.find(), sample + " missing");
        return Double.parseDouble(m.group(1));
    }
}
