package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.ops.cassandra.CassandraServer;
import org.microcert.protocol.SensorChip;

/**
 * Cassandra stops under a running node: the gateway answers 503 at once and reports the journal
 * down; Cassandra comes back: the same node serves again by itself (reads and writes).
 * Uses a Cassandra of its own (the shared one must stay up for the other tests).
 */
class CassandraOutageTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "outage-operator-token-0123456789";

    @TempDir
    Path dir;
    final TestNode.Client client = new TestNode.Client();

    JsonNode ready(TestNode node) throws Exception {
        return JSON.readTree(client.get(node.url("/health/ready"), null).body());
    }

    void awaitJournal(TestNode node, String state) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!ready(node).get("journal").asText().equals(state)) {
            assertTrue(System.nanoTime() < deadline, "journal never " + state);
            Thread.sleep(100);
        }
    }

    HttpResponse<String> provision(TestNode node, TestFleet fleet, SensorChip chip) {
        return client.postJson(node.url("/v1/sensors"),
                "{\"envelope\":\"" + Base64.getEncoder().encodeToString(fleet.transportEnvelope(chip)) + "\"}", TOKEN);
    }

    HttpResponse<String> authenticate(TestNode node, SensorChip chip) throws Exception {
        return client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                chip.authenticate(Instant.now()).encode(), null);
    }

    @Test
    void cassandraDownGivesFast503sAndServiceComesBackByItself() throws Exception {
        CassandraServer.Settings settings = CassandraServer.Settings.defaults(dir.resolve("cassandra"))
                .withPorts(NodeProcess.freePort(), NodeProcess.freePort(), NodeProcess.freePort())
                .withHeap("768m").withStopWithParent(true);
        CassandraServer cassandra = CassandraServer.start(settings);
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator olga\n");
        var config = ConfigFactory.parseString("""
                datastax-java-driver.basic.contact-points = ["127.0.0.1:%d"]
                datastax-java-driver.basic.load-balancing-policy.local-datacenter = "datacenter1"
                datastax-java-driver.basic.request.timeout = 30s
                pekko.persistence.cassandra.journal.keyspace = "outage_journal"
                pekko.persistence.cassandra.snapshot.keyspace = "outage_snapshot"
                microcert.http.tokens-file = "%s"
                microcert.http.journal-probe.interval = 300ms
                microcert.http.ask-timeout = 30s
                """.formatted(settings.cqlPort(), tokens)).withFallback(ConfigFactory.parseResources("persistence-dev.conf"));
        try (TestNode node = new TestNode("CassandraOutageTest", config, fleet.openCard("outage"))) {
            awaitJournal(node, "UP");
            SensorChip chip = TestFleet.chip(0xDEAD_0001L, Instant.now());
            assertEquals(201, provision(node, fleet, chip).statusCode());
            assertEquals(200, authenticate(node, chip).statusCode());

            cassandra.stop();
            awaitJournal(node, "DOWN");
            HttpResponse<String> down = authenticate(node, chip);
            assertEquals(503, down.statusCode(), down.body());
            assertEquals("UNAVAILABLE", JSON.readTree(down.body()).get("error").asText());
            assertTrue(down.headers().firstValue("Retry-After").isPresent());
            assertEquals(503, client.get(node.url("/health/ready"), null).statusCode());
            SensorChip late = TestFleet.chip(0xDEAD_0002L, Instant.now());
            assertEquals(503, provision(node, fleet, late).statusCode(), "key management refused too, not queued");
            assertEquals(200, client.get(node.url("/health/alive"), null).statusCode(), "the process itself is alive");

            cassandra = CassandraServer.start(settings);
            awaitJournal(node, "UP");
            assertEquals(201, provision(node, fleet, late).statusCode(), "writes work again");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int status;
            while ((status = authenticate(node, late).statusCode()) != 200) {
                assertTrue(System.nanoTime() < deadline, "the new sensor never authenticated: " + status);
                Thread.sleep(200);
            }
            assertEquals(200, authenticate(node, chip).statusCode(), "the sensor from before the outage too");
        } finally {
            cassandra.close();
        }
    }
}
