package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.StringJoiner;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.protocol.SensorChip;

/**
 * With gateway client certificates, the device rate limit is per gateway (its certificate's CN), not
 * per source address: two gateways on the same address have a bucket each, so one that spent its
 * bucket does not starve the other. Real TLS sockets, one node.
 */
class GatewayRateLimitTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        Path passwordFile = GatewayClientCertificateTest.certificates(dir, "a", "b");
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        // a burst of 1,000, then one certificate an hour: nothing refills during the test
        node = new TestNode("GatewayRateLimitTest", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString("""
                microcert.http.device-rate-limit { certificates-per-second = 0.000277, burst = 1000 }
                microcert.http.tls {
                  enabled = on
                  keystore = "%s"
                  password-file = "%s"
                  gateway-trust = "%s"
                }
                """.formatted(dir.resolve("server.p12"), passwordFile, dir.resolve("gateway-ca.crt")))),
                fleet.openCard("gateway-rate-limit"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static int authenticate(SSLContext gateway, SensorChip chip) throws Exception {
        return GatewayClientCertificateTest.send(gateway, "POST", node.url("/v1/authenticate"),
                chip.authenticate(Instant.now()).encode(), null).statusCode();
    }

    @Test
    void eachGatewayHasItsOwnBucketWhateverAddressItComesFrom() throws Exception {
        SensorChip chip = TestFleet.chip(0x6a7e_0a01L, Instant.now()); // never provisioned: items judged 404
        StringJoiner items = new StringJoiner("\",\"", "{\"certificates\":[\"", "\"]}");
        for (int i = 0; i < 1000; i++) {
            items.add(Base64.getEncoder().encodeToString(chip.authenticate(Instant.now()).encode()));
        }
        SSLContext a = GatewayClientCertificateTest.gateway(dir, "a.p12");
        SSLContext b = GatewayClientCertificateTest.gateway(dir, "b.p12");
        HttpResponse<String> batch = HttpClient.newBuilder().sslContext(a).build().send(
                HttpRequest.newBuilder(URI.create(node.url("/v1/authenticate/batch"))).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(items.toString(), StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(200, batch.statusCode(), batch.body());
        assertEquals(1000, JSON.readTree(batch.body()).get("rejected").asInt(), batch.body());

        assertEquals(429, authenticate(a, chip), "gw-a spent its bucket");
        // same source address (loopback), another verified gateway: its own, full bucket
        assertEquals(404, authenticate(b, chip), "gw-b is not limited by gw-a's traffic");
        assertEquals(429, authenticate(GatewayClientCertificateTest.gateway(dir, "a.p12"), chip),
                "gw-a on a new connection is still gw-a");
    }
}
