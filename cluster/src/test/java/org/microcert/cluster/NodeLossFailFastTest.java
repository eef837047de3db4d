package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.protocol.SensorChip;

/**
 * Nodes in separate JVMs on the real Cassandra. First a third node joins and leaves gracefully under
 * traffic: its sensors move both ways with no request failed or refused (the fail-fast path must
 * not block a graceful move). Then the second is SIGKILLed and, with a long
 * {@code stable-after}, stays an unreachable member. The gateway of the first answers the dead
 * node's sensors {@code 503 UNAVAILABLE} with {@code Retry-After} (alone and per batch item) while
 * its own sensors are accepted, also for a request sent before the failure detector noticed. The
 * ask timeout (120 s) is beyond the HTTP client's (30 s): an answer at all is the fail-fast one.
 */
@ExtendWith(CassandraExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeLossFailFastTest {

    static final int SENSORS = 16;

    @TempDir
    static Path dir;
    static final NodeProcess[] nodes = new NodeProcess[2];
    static final int[] remotePorts = new int[2];
    static final int[] httpPorts = new int[2];
    static final List<SensorChip> chips = new ArrayList<>();
    static final TestNode.Client client = ClusterFailoverTest.client;

    @BeforeAll
    static void startCluster(TestCassandra cassandra) throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(ClusterFailoverTest.TOKEN) + " operator otto\n");
        Path password = dir.resolve("card.pw");
        Files.writeString(password, new String(TestFleet.PASSWORD) + "\n");
        for (int i = 0; i < 2; i++) {
            remotePorts[i] = NodeProcess.freePort();
            httpPorts[i] = NodeProcess.freePort();
        }
        String common = cassandra.pekkoConfig("failfast_journal", "failfast_snapshot") + """
                pekko.cluster.seed-nodes = ["pekko://MicroCert@127.0.0.1:%d"]
                pekko.cluster.split-brain-resolver.stable-after = 10m
                microcert.http.ask-timeout = 120s
                microcert.http.interface = "127.0.0.1"
                microcert.http.tokens-file = "%s"
                microcert.card.keystore = "%s"
                microcert.card.password-file = "%s"
                """.formatted(remotePorts[0], tokens, fleet.keystore(), password);
        for (int i = 0; i < 2; i++) {
            String config = common + (i == 0 ? ClusterFailoverTest.devPersistence() : "") + """
                    pekko.remote.artery.canonical.port = %d
                    microcert.http.port = %d
                    microcert.card.state-file = "%s"
                    """.formatted(remotePorts[i], httpPorts[i], dir.resolve("node" + (i + 1) + ".state"));
            nodes[i] = NodeProcess.start("node" + (i + 1), dir, config, httpPorts[i], Map.of());
            if (i == 0) {
                ClusterFailoverTest.awaitReady(nodes[0], 1);
                importFleet(fleet);
            }
        }
        for (NodeProcess n : nodes) {
            ClusterFailoverTest.awaitReady(n, 2);
        }
    }

    @AfterAll
    static void stopCluster() {
        for (NodeProcess n : nodes) {
            if (n != null) {
                n.close();
            }
        }
    }

    static void importFleet(TestFleet fleet) throws Exception {
        StringBuilder manifest = new StringBuilder();
        for (int i = 0; i < SENSORS; i++) {
            SensorChip chip = TestFleet.chip(0xFA57_0000L + i, Instant.now());
            chips.add(chip);
            manifest.append("{\"envelope\":\"").append(ClusterFailoverTest.b64(fleet.transportEnvelope(chip))).append("\"}\n");
        }
        for (int attempt = 1; ; attempt++) { // lines fail while the schema is being created
            HttpResponse<String> r = client.send("POST", nodes[0].url("/v1/sensors/import"), "application/x-ndjson",
                    manifest.toString().getBytes(StandardCharsets.UTF_8), ClusterFailoverTest.TOKEN);
            assertEquals(200, r.statusCode(), r.body());
            String[] lines = r.body().split("\n");
            if (ClusterFailoverTest.JSON.readTree(lines[lines.length - 1]).get("summary").get("failed").asInt() == 0) {
                return;
            }
            assertTrue(attempt < 5, r.body());
        }
    }

    static HttpResponse<String> authenticate(SensorChip chip) throws Exception {
        return client.send("POST", nodes[0].url("/v1/authenticate"), "application/octet-stream",
                chip.authenticate(Instant.now()).encode(), null);
    }

    static double unreachableSeenByFirst() throws Exception {
        for (String line : client.get(nodes[0].url("/metrics"), null).body().split("\n")) {
            if (line.startsWith("microcert_cluster_members{state=\"unreachable\"}")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
            }
        }
        return 0;
    }

    /** The node hosting each chip, as the first node sees it. */
    static Map<SensorChip, String> hosts() throws Exception {
        Map<SensorChip, String> out = new java.util.HashMap<>();
        for (SensorChip chip : chips) {
            out.put(chip, ClusterFailoverTest.hostOf(chip, nodes[0]));
        }
        return out;
    }

    @Test
    @Order(1)
    void aNodeJoiningAndLeavingGracefullyMovesItsSensorsWithNoRequestFailedOrRefused() throws Exception {
        int remote = NodeProcess.freePort();
        int http = NodeProcess.freePort();
        String config = Files.readString(dir.resolve("node2.conf"))
                .replace("canonical.port = " + remotePorts[1], "canonical.port = " + remote)
                .replace("microcert.http.port = " + httpPorts[1], "microcert.http.port = " + http)
                .replace("node2.state", "node3.state");
        NodeProcess third = NodeProcess.start("node3", dir, config, http, Map.of());
        try {
            ClusterFailoverTest.awaitReady(third, 3);
            String address = "127.0.0.1:" + remote;
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!hosts().containsValue(address)) { // scale-out: the coordinator rebalances shards to it
                assertTrue(System.nanoTime() < deadline, "sharding moved no sensor to the third node");
                Thread.sleep(1000);
            }
            // scale-in: it leaves (SIGTERM: coordinated shutdown hands its shards off) under traffic
            java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
            Thread leaving = new Thread(() -> {
                third.close();
                stopped.set(true);
            });
            leaving.start();
            int answered = 0;
            while (!stopped.get() || answered < 3 * SENSORS) {
                for (SensorChip chip : chips) {
                    HttpResponse<String> r = authenticate(chip);
                    assertEquals(200, r.statusCode(), "a graceful move failed or refused a good request: " + r.body());
                    answered++;
                }
            }
            leaving.join();
            assertFalse(hosts().containsValue(address));
        } finally {
            third.close();
        }
    }

    @Test
    @Order(2)
    void theDeadNodesSensorsAre503AtOnceWhileTheOthersAreAccepted() throws Exception {
        // Shards allocated before the second node joined move to it when the coordinator rebalances.
        SensorChip onDead = null;
        SensorChip onLive = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (onDead == null || onLive == null) {
            assertTrue(System.nanoTime() < deadline, "sharding placed no sensor on each node");
            for (SensorChip chip : chips) {
                String host = ClusterFailoverTest.hostOf(chip, nodes[0]);
                if (host.equals("127.0.0.1:" + remotePorts[1])) {
                    onDead = chip;
                } else {
                    onLive = chip;
                }
            }
            Thread.sleep(1000);
        }
        // both answer through the first gateway; its shard-home poll (every second) has seen both homes
        assertEquals(200, authenticate(onDead).statusCode());
        assertEquals(200, authenticate(onLive).statusCode());
        Thread.sleep(1500);

        nodes[1].kill();
        // sent before the failure detector noticed: answered once it does, not at the ask timeout
        HttpResponse<String> inFlight = authenticate(onDead);
        assertEquals(503, inFlight.statusCode(), inFlight.body());
        assertEquals("UNAVAILABLE", ClusterFailoverTest.JSON.readTree(inFlight.body()).get("error").asText());
        assertTrue(unreachableSeenByFirst() >= 1, "answered before the node was even unreachable?");

        HttpResponse<String> refused = authenticate(onDead);
        assertEquals(503, refused.statusCode(), refused.body());
        assertTrue(refused.headers().firstValue("Retry-After").isPresent());
        HttpResponse<String> accepted = authenticate(onLive);
        assertEquals(200, accepted.statusCode(), accepted.body());

        String batch = "{\"certificates\":[\"" + ClusterFailoverTest.b64(onLive.authenticate(Instant.now()).encode())
                + "\",\"" + ClusterFailoverTest.b64(onDead.authenticate(Instant.now()).encode()) + "\"]}";
        HttpResponse<String> answer = client.send("POST", nodes[0].url("/v1/authenticate/batch"), "application/json",
                batch.getBytes(StandardCharsets.UTF_8), null);
        assertEquals(200, answer.statusCode(), answer.body());
        JsonNode results = ClusterFailoverTest.JSON.readTree(answer.body()).get("results");
        assertEquals("ACCEPTED", results.get(0).get("outcome").asText(), answer.body());
        assertEquals("UNAVAILABLE", results.get(1).get("reason").asText(), answer.body());
        assertFalse(nodes[1].isAlive());
    }
}
