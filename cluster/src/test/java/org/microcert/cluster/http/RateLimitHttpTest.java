package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.protocol.SensorChip;

/**
 * The device endpoints' per-client rate limit on a bound node: a batch counts its items, the client
 * beyond its bucket gets 429 TOO_MANY_REQUESTS as a JSON error with Retry-After and a request id,
 * counted in the metrics; operator and health endpoints are not limited.
 */
class RateLimitHttpTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestNode node;
    static final TestNode.Client client = new TestNode.Client();

    @BeforeAll
    static void start() {
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        // one certificate an hour after a burst of 1,000: nothing refills during the test
        node = new TestNode("RateLimitHttpTest", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString("""
                microcert.http.device-rate-limit { certificates-per-second = 0.000277, burst = 1000 }
                """)), fleet.openCard("rate-limit"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void aBatchSpendsTheBucketByItsItemsAndTheNextRequestIs429WithRetryAfter() throws Exception {
        SensorChip chip = TestFleet.chip(0x5000, Instant.now());
        StringJoiner items = new StringJoiner("\",\"", "{\"certificates\":[\"", "\"]}");
        for (int i = 0; i < 1000; i++) { // unknown sensor: judged (404 items) without a provisioning
            items.add(Base64.getEncoder().encodeToString(chip.authenticate(Instant.now()).encode()));
        }
        HttpResponse<String> batch = client.postJson(node.url("/v1/authenticate/batch"), items.toString(), null);
        assertEquals(200, batch.statusCode(), batch.body());
        assertEquals(1000, JSON.readTree(batch.body()).get("rejected").asInt());

        HttpResponse<String> single = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                chip.authenticate(Instant.now()).encode(), null);
        assertEquals(429, single.statusCode(), single.body());
        JsonNode error = JSON.readTree(single.body());
        assertEquals("TOO_MANY_REQUESTS", error.get("error").asText());
        assertTrue(error.get("message").asText().contains("rate limit"), single.body());
        long retryAfter = Long.parseLong(single.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 3000 && retryAfter <= 3700, "one certificate at 1/3600 s: about an hour, " + retryAfter);
        assertTrue(single.headers().firstValue("X-Request-Id").isPresent());

        HttpResponse<String> again = client.postJson(node.url("/v1/authenticate/batch"), items.toString(), null);
        assertEquals(429, again.statusCode(), again.body());
        assertEquals(429, client.postJson(node.url("/v1/verify"), "{}", null).statusCode());
        assertEquals(429, client.send("POST", node.url("/v1/decrypt"), "application/octet-stream", new byte[8], null)
                .statusCode());

        // not device endpoints: not limited
        assertEquals(200, client.get(node.url("/health/alive"), null).statusCode());
        assertEquals(401, client.get(node.url("/v1/sensors/0000000000005000"), null).statusCode());
        String metrics = client.get(node.url("/metrics"), null).body();
        assertTrue(metrics.contains("microcert_rate_limited_total{route=\"/v1/authenticate\"} 1.0"), metrics);
        assertTrue(metrics.contains("microcert_rate_limited_total{route=\"/v1/authenticate/batch\"} 1.0"), metrics);
        assertTrue(metrics.contains("microcert_rate_limit_clients 1"), metrics);
    }
}
