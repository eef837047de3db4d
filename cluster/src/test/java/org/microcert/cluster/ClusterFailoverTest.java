package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
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
 * Three nodes in separate JVMs on the real Cassandra; one is SIGKILLed under traffic. Its sensors
 * answer again from the two others with their state recovered from Cassandra, nothing acknowledged
 * before the kill is lost, and no certificate is ever accepted twice, including one delivered just
 * before the kill and again after it.
 */
@ExtendWith(CassandraExtension.class)
class ClusterFailoverTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "failover-operator-token-0123456789";
    static final int SENSORS = 24;

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static final List<SensorChip> chips = new ArrayList<>();
    static final NodeProcess[] nodes = new NodeProcess[3];
    static final int[] remotePorts = new int[3];
    static final TestNode.Client client = new TestNode.Client(HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).build());

    @BeforeAll
    static void startCluster(TestCassandra cassandra) throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator otto\n");
        Path password = dir.resolve("card.pw");
        Files.writeString(password, new String(TestFleet.PASSWORD) + "\n");
        int[] httpPorts = new int[3];
        for (int i = 0; i < 3; i++) {
            remotePorts[i] = NodeProcess.freePort();
            httpPorts[i] = NodeProcess.freePort();
        }
        String common = cassandra.pekkoConfig("cluster3_journal", "cluster3_snapshot") + """
                pekko.cluster.seed-nodes = ["pekko://MicroCert@127.0.0.1:%d"]
                pekko.cluster.split-brain-resolver.stable-after = 3s
                pekko.cluster.failure-detector.acceptable-heartbeat-pause = 2s
                pekko.loglevel = INFO
                microcert.sensor.reservation-ahead = 2s
                microcert.http.ask-timeout = 8s
                microcert.http.interface = "127.0.0.1"
                microcert.http.journal-probe.interval = 500ms
                microcert.http.tokens-file = "%s"
                microcert.card.keystore = "%s"
                microcert.card.password-file = "%s"
                """.formatted(remotePorts[0], tokens, fleet.keystore(), password);
        for (int i = 0; i < 3; i++) {
            // Only the first node creates the schema (concurrent creation from several nodes breaks it).
            String autocreate = i == 0 ? devPersistence() : "";
            String config = common + autocreate + """
                    pekko.remote.artery.canonical.port = %d
                    microcert.http.port = %d
                    microcert.card.state-file = "%s"
                    """.formatted(remotePorts[i], httpPorts[i], dir.resolve("node" + (i + 1) + ".state"));
            nodes[i] = NodeProcess.start("node" + (i + 1), dir, config, httpPorts[i], Map.of());
            if (i == 0) {
                awaitReady(nodes[0], 1);
                importFleet();
            }
        }
        for (NodeProcess n : nodes) {
            awaitReady(n, 3);
        }
    }

    static String devPersistence() throws java.io.IOException {
        try (var in = ClusterFailoverTest.class.getResourceAsStream("/persistence-dev.conf")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
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

    /** Imports the fleet; re-runs the import (as an operator would) while lines fail (schema creation is slow). */
    static void importFleet() throws Exception {
        StringBuilder manifest = new StringBuilder();
        for (int i = 0; i < SENSORS; i++) {
            SensorChip chip = TestFleet.chip(0xF00D_0000L + i, Instant.now());
            chips.add(chip);
            manifest.append("{\"envelope\":\"").append(b64(fleet.transportEnvelope(chip))).append("\"}\n");
        }
        for (int attempt = 1; ; attempt++) {
            HttpResponse<String> r = client.send("POST", nodes[0].url("/v1/sensors/import"), "application/x-ndjson",
                    manifest.toString().getBytes(StandardCharsets.UTF_8), TOKEN);
            assertEquals(200, r.statusCode(), r.body());
            String[] lines = r.body().split("\n");
            JsonNode summary = JSON.readTree(lines[lines.length - 1]).get("summary");
            if (summary.get("failed").asInt() == 0) {
                assertEquals(SENSORS, summary.get("provisioned").asInt() + summary.get("alreadyProvisioned").asInt());
                return;
            }
            assertTrue(attempt < 5, r.body());
        }
    }

    /** Waits until the node is ready and sees {@code members} Up members. */
    static void awaitReady(NodeProcess node, int members) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            assertTrue(node.isAlive(), node::logTail);
            try {
                HttpResponse<String> r = client.get(node.url("/health/ready"), null);
                if (r.statusCode() == 200 && JSON.readTree(r.body()).get("upMembers").asInt() >= members) {
                    return;
                }
            } catch (IllegalStateException notListeningYet) {
                // the node has not bound its port yet
            }
            assertTrue(System.nanoTime() < deadline, node::logTail);
            Thread.sleep(200);
        }
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static HttpResponse<byte[]> backup(NodeProcess node) throws Exception {
        return HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.url("/v1/backup")))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + TOKEN)
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static String address(int node) {
        return "127.0.0.1:" + remotePorts[node];
    }

    /** Delivers a certificate until an answer that is not 503 (shard moving) or a connection failure. */
    static JsonNode deliver(byte[] cert, NodeProcess via, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try {
                HttpResponse<String> r = client.send("POST", via.url("/v1/authenticate"), "application/octet-stream",
                        cert, null);
                if (r.statusCode() != 503) {
                    return JSON.readTree(r.body());
                }
            } catch (IllegalStateException connectionFailed) {
                // retried below
            }
            assertTrue(System.nanoTime() < deadline, "no answer within " + within);
            Thread.sleep(100);
        }
    }

    /** Authenticates fresh certificates until one is accepted (after a failover: a few seconds). */
    static JsonNode freshUntil(SensorChip chip, NodeProcess via, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            JsonNode v = deliver(chip.authenticate(Instant.now()).encode(), via, Duration.ofSeconds(90));
            if (done.test(v)) {
                return v;
            }
            assertEquals("REPLAY_WINDOW_RESET", v.get("reason").asText(), v.toString());
            assertTrue(System.nanoTime() < deadline, "sensor " + chip.sensorId() + " never answered again");
            Thread.sleep(200);
        }
    }

    /** How many sensors joined {@code node}'s replay-ledger session (its metrics). */
    static double ledgerJoins(NodeProcess node) throws Exception {
        HttpResponse<String> m = client.send("GET", node.url("/metrics"), null, null, null);
        for (String line : m.body().split("\n")) {
            if (line.startsWith("microcert_replay_ledger_joins_total ")) {
                return Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        return 0;
    }

    /** The node hosting a sensor; retried while its shard is handed over (503), e.g. rebalancing after joins. */
    static String hostOf(SensorChip chip, NodeProcess via) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            HttpResponse<String> r = client.get(via.url("/v1/sensors/" + chip.sensorId()), TOKEN);
            if (r.statusCode() != 503) {
                assertEquals(200, r.statusCode(), r.body());
                return JSON.readTree(r.body()).get("hostedBy").asText();
            }
            assertTrue(System.nanoTime() < deadline, r.body());
            Thread.sleep(100);
        }
    }

    @Test
    void killedNodesSensorsAnswerAgainFromTheOthersWithNothingLostAndNoReplayAccepted() throws Exception {
        NodeProcess victim = nodes[2];
        // Shards allocated before the third node joined move to it only when the coordinator
        // rebalances (every few seconds): wait for that instead of assuming it already happened.
        List<SensorChip> onVictim = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            onVictim.clear();
            for (SensorChip chip : chips) {
                if (hostOf(chip, nodes[0]).equals(address(2))) {
                    onVictim.add(chip);
                }
            }
            if (!onVictim.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(1000);
        }
        assertFalse(onVictim.isEmpty(), "sharding placed no sensor on the third node");

        // A batch through node 0 fans out to entities on every node: the batch command and its
        // answer cross the wire (serialization), and each comes back at its own position.
        long batchDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            StringBuilder batch = new StringBuilder("{\"certificates\":[");
            for (int i = 0; i < chips.size(); i++) {
                batch.append(i == 0 ? "\"" : ",\"").append(b64(chips.get(i).authenticate(Instant.now()).encode())).append('"');
            }
            HttpResponse<String> answer = client.send("POST", nodes[0].url("/v1/authenticate/batch"), "application/json",
                    batch.append("]}").toString().getBytes(StandardCharsets.UTF_8), null);
            assertEquals(200, answer.statusCode(), answer.body());
            JsonNode results = JSON.readTree(answer.body()).get("results");
            if (answer.body().contains("\"UNAVAILABLE\"") && System.nanoTime() < batchDeadline) {
                // a shard still moving to the third node: again, with fresh certificates of a later second
                // (a handed-over sensor refuses timestamps up to the newest it accepted)
                Thread.sleep(1100);
                continue;
            }
            for (int i = 0; i < chips.size(); i++) {
                assertEquals("ACCEPTED", results.get(i).get("outcome").asText(), results.get(i).toString());
                assertEquals(chips.get(i).sensorId().toString(), results.get(i).get("sensorId").asText());
            }
            break;
        }

        // Acknowledged before the kill: a seed update of a sensor on the victim.
        SensorChip updated = onVictim.get(0);
        String base = nodes[0].url("/v1/sensors/" + updated.sensorId());
        HttpResponse<String> start = client.send("POST", base + "/seed-update", null, null, TOKEN);
        assertEquals(200, start.statusCode(), start.body());
        updated.accept(MicroCertificate.decode(Base64.getDecoder().decode(
                JSON.readTree(start.body()).get("command").asText())), Instant.now());
        HttpResponse<String> complete = client.postJson(base + "/seed-update/complete",
                "{\"envelope\":\"" + b64(updated.pendingUpdate().orElseThrow().encode()) + "\"}", TOKEN);
        assertEquals(200, complete.statusCode(), complete.body());
        updated.activatePendingSeed();
        // the sensor's first certificate under the new seed completes the update (two-phase, docs/cluster.md)
        HttpResponse<String> proof = client.send("POST", nodes[0].url("/v1/authenticate"), "application/octet-stream",
                updated.authenticate(Instant.now()).encode(), null);
        assertEquals(2, JSON.readTree(proof.body()).get("seedVersion").asInt(), proof.body());

        // A backup through node 1 needs every member's card share: the update above changed node 3's.
        // (Receptionist registrations spread asynchronously after a join: retry while one is missing.)
        HttpResponse<byte[]> backup = backup(nodes[0]);
        long backupDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (backup.statusCode() == 503 && System.nanoTime() < backupDeadline) {
            Thread.sleep(500);
            backup = backup(nodes[0]);
        }
        assertEquals(200, backup.statusCode(), new String(backup.body(), StandardCharsets.UTF_8));
        assertEquals("MCBACKUP", new String(backup.body(), 0, 8, StandardCharsets.US_ASCII));
        assertEquals(SENSORS, java.nio.ByteBuffer.wrap(backup.body()).getInt(18), "every sensor in the backup");

        // First delivery of one certificate per victim sensor, accepted by the victim.
        Map<SensorChip, byte[]> firstDelivery = new ConcurrentHashMap<>();
        List<byte[]> victimAccepted = new ArrayList<>();
        for (SensorChip chip : onVictim) {
            byte[] cert = chip.authenticate(Instant.now()).encode();
            assertEquals("ACCEPTED", deliver(cert, nodes[0], Duration.ofSeconds(20)).get("outcome").asText());
            firstDelivery.put(chip, cert);
        }

        // Traffic on every sensor through the two surviving gateways, replays mixed in.
        Map<String, AtomicInteger> acceptances = new ConcurrentHashMap<>();
        List<byte[]> acceptedCerts = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger acceptedAfterKill = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        List<Thread> traffic = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            NodeProcess via = nodes[t];
            Thread thread = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (running.get()) {
                    try {
                        byte[] cert;
                        if (rnd.nextInt(4) == 0 && !acceptedCerts.isEmpty()) {
                            cert = acceptedCerts.get(rnd.nextInt(acceptedCerts.size()));
                        } else {
                            cert = chips.get(rnd.nextInt(chips.size())).authenticate(Instant.now()).encode();
                        }
                        HttpResponse<String> r = client.send("POST", via.url("/v1/authenticate"),
                                "application/octet-stream", cert, null);
                        if (r.statusCode() == 200) {
                            acceptances.computeIfAbsent(b64(cert), k -> new AtomicInteger()).incrementAndGet();
                            acceptedCerts.add(cert);
                            if (killed.get()) {
                                acceptedAfterKill.incrementAndGet();
                            }
                        }
                        Thread.sleep(10); // pacing: leave the CPU to the nodes and Cassandra
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // a failed request is simply not counted
                    }
                }
            }, "traffic-" + t);
            thread.start();
            traffic.add(thread);
        }
        try {
            long before = System.nanoTime();
            while (acceptedCerts.size() < 20) {
                assertTrue(System.nanoTime() - before < Duration.ofSeconds(60).toNanos(), "no traffic accepted");
                Thread.sleep(50);
            }
            // Busy, the victim's sensors join its replay ledger: what they accept from then on is
            // bounded by the victim's session, not by reservations of their own.
            while (ledgerJoins(victim) < onVictim.size()) {
                assertTrue(System.nanoTime() - before < Duration.ofSeconds(90).toNanos(),
                        "the victim's sensors never joined its replay ledger: " + ledgerJoins(victim));
                Thread.sleep(200);
            }
            // past reservation-ahead (2 s here): their reservations of their own from before joining
            // have run out, so only the session bounds what the victim accepts next
            Thread.sleep(3000);
            Map<SensorChip, byte[]> lastDelivery = new ConcurrentHashMap<>();
            for (SensorChip chip : onVictim) {
                byte[] cert = chip.authenticate(Instant.now()).encode();
                assertEquals("ACCEPTED", deliver(cert, nodes[0], Duration.ofSeconds(20)).get("outcome").asText());
                lastDelivery.put(chip, cert);
            }
            victim.kill();
            killed.set(true);

            // Node 3 is still an Up member (not yet downed) but its card cannot answer: no backup without its share.
            HttpResponse<byte[]> refused = backup(nodes[0]);
            assertEquals(503, refused.statusCode());
            JsonNode error = JSON.readTree(refused.body());
            assertEquals("CARD_STATE_UNAVAILABLE", error.get("error").asText());
            assertTrue(error.get("message").asText().contains(address(2)), error.get("message").asText());

            // The victim's sensors answer again from the survivors, with the state of Cassandra.
            for (SensorChip chip : onVictim) {
                JsonNode v = freshUntil(chip, nodes[1], x -> "ACCEPTED".equals(x.path("outcome").asText()));
                assertEquals(chip == updated ? 2 : 1, v.get("seedVersion").asInt(), "seed version recovered");
                assertNotEquals(address(2), hostOf(chip, nodes[1]));
            }
            // Second delivery of the certificates the victim accepted (the last ones under its ledger
            // session only): refused.
            victimAccepted.addAll(firstDelivery.values());
            victimAccepted.addAll(lastDelivery.values());
            for (byte[] again : victimAccepted) {
                JsonNode v = deliver(again, nodes[1], Duration.ofSeconds(60));
                assertEquals("REJECTED", v.get("outcome").asText(), v.toString());
                assertTrue(List.of("REPLAY", "REPLAY_WINDOW_RESET").contains(v.get("reason").asText()), v.toString());
            }
            long waitStart = System.nanoTime();
            while (acceptedAfterKill.get() < 20) {
                assertTrue(System.nanoTime() - waitStart < Duration.ofSeconds(60).toNanos(),
                        "traffic did not resume after the kill");
                Thread.sleep(50);
            }
        } finally {
            running.set(false);
            for (Thread t : traffic) {
                t.join();
            }
        }
        for (Map.Entry<String, AtomicInteger> e : acceptances.entrySet()) {
            assertEquals(1, e.getValue().get(), "certificate accepted more than once: " + e.getKey());
        }
        for (byte[] first : victimAccepted) {
            assertFalse(acceptances.containsKey(b64(first)), "a victim-accepted certificate was accepted again");
        }
    }
}
