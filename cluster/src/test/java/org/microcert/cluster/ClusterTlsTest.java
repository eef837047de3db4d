package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.cluster.node.NodeConfig;
import org.microcert.cluster.sensor.SensorMessages;
import org.microcert.cluster.sensor.SensorSharding;
import org.microcert.cluster.tls.ClusterCertificates;
import org.microcert.cluster.tls.ClusterCertificates.Authority;
import org.microcert.cluster.tls.ClusterCertificates.Purpose;
import org.microcert.protocol.SensorChip;

/**
 * Node-to-node TLS on real sockets: three node JVMs with certificates of one cluster CA form a
 * cluster and serve (certificates judged by entities on all three nodes, so commands and verdicts
 * cross Artery's TLS). Actor systems without the cluster's certificate (plain TCP, a certificate of
 * another CA, a gateway certificate of the cluster's own CA) can neither join nor get a message to a
 * sensor entity, while a system holding a node certificate of the cluster CA, sending the same message
 * the same way, gets the entity's answer (the positive control: the probe itself works).
 */
class ClusterTlsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "cluster-tls-operator-token-0123456789";
    static final int SENSORS = 30;
    static final char[] PASSWORD = "cluster keystore password".toCharArray();

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static final List<SensorChip> chips = new ArrayList<>();
    /** The sensor outsiders try to reach, and the one the control revokes. */
    static SensorChip outsiderTarget;
    static SensorChip controlTarget;
    static final NodeProcess[] nodes = new NodeProcess[3];
    static final int[] remotePorts = new int[3];
    static Path passwordFile;
    static Path trust;
    static final TestNode.Client client = new TestNode.Client(HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).build());

    @BeforeAll
    static void startCluster() throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        passwordFile = Files.writeString(dir.resolve("cluster-tls.pw"), new String(PASSWORD) + "\n");
        Authority ca = ClusterCertificates.newAuthority("Test cluster CA", Duration.ofDays(2));
        trust = dir.resolve("cluster-ca.crt");
        ClusterCertificates.writePem(trust, List.of(ca.certificate()));
        for (int i = 1; i <= 3; i++) {
            ca.issue("node" + i, List.of("127.0.0.1"), Purpose.NODE, Duration.ofDays(1))
                    .writePkcs12(dir.resolve("node" + i + ".p12"), PASSWORD);
        }
        ca.issue("control", List.of("127.0.0.1"), Purpose.NODE, Duration.ofDays(1)).writePkcs12(dir.resolve("control.p12"), PASSWORD);
        ca.issue("gateway", List.of(), Purpose.GATEWAY, Duration.ofDays(1)).writePkcs12(dir.resolve("gateway.p12"), PASSWORD);
        ClusterCertificates.newAuthority("Another CA", Duration.ofDays(2))
                .issue("node1", List.of("127.0.0.1"), Purpose.NODE, Duration.ofDays(1)).writePkcs12(dir.resolve("foreign.p12"), PASSWORD);

        Path tokens = Files.writeString(dir.resolve("tokens"), BearerTokens.sha256Hex(TOKEN) + " operator otto\n");
        Path cardPassword = Files.writeString(dir.resolve("card.pw"), new String(TestFleet.PASSWORD) + "\n");
        int[] httpPorts = new int[3];
        for (int i = 0; i < 3; i++) {
            remotePorts[i] = NodeProcess.freePort();
            httpPorts[i] = NodeProcess.freePort();
        }
        String journal = TestNode.inMemoryJournal().root().render(ConfigRenderOptions.defaults().setJson(false)
                .setOriginComments(false));
        for (int i = 0; i < 3; i++) {
            String config = journal + """

                    pekko.cluster.seed-nodes = ["pekko://MicroCert@127.0.0.1:%d"]
                    pekko.remote.artery.canonical.port = %d
                    microcert.http.port = %d
                    microcert.http.ask-timeout = 8s
                    microcert.http.tokens-file = "%s"
                    microcert.card.keystore = "%s"
                    microcert.card.password-file = "%s"
                    microcert.card.state-file = "%s"
                    microcert.cluster-tls {
                      enabled = on
                      keystore = "%s"
                      password-file = "%s"
                      trust = "%s"
                    }
                    """.formatted(remotePorts[0], remotePorts[i], httpPorts[i], tokens, fleet.keystore(), cardPassword,
                    dir.resolve("node" + (i + 1) + ".state"), dir.resolve("node" + (i + 1) + ".p12"), passwordFile, trust);
            nodes[i] = NodeProcess.start("node" + (i + 1), dir, config, httpPorts[i], Map.of());
            if (i == 0) {
                awaitReady(nodes[0], 1);
            }
        }
        for (NodeProcess n : nodes) {
            awaitReady(n, 3);
        }
        importFleet();
    }

    @AfterAll
    static void stopCluster() {
        for (NodeProcess n : nodes) {
            if (n != null) {
                n.close();
            }
        }
    }

    @Test
    void aClusterWithItsCertificatesFormsAndItsEntitiesAnswerAcrossNodes() throws Exception {
        for (NodeProcess n : nodes) {
            assertTrue(n.log().contains("cluster traffic: TLS, both ends authenticated, as O=MicroCert,CN=" + n.name() + " "), n.logTail());
        }
        // every sensor through node 2's gateway: the shards are spread over the three nodes
        for (SensorChip chip : chips) {
            HttpResponse<String> r = client.send("POST", nodes[1].url("/v1/authenticate"), "application/octet-stream",
                    chip.authenticate(Instant.now()).encode(), null);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("ACCEPTED", JSON.readTree(r.body()).get("outcome").asText());
        }
        for (NodeProcess n : nodes) {
            assertTrue(activeEntities(n) > 0, n.name() + " holds no sensor: nothing crossed the wire to it");
        }
    }

    @Test
    void systemsWithoutTheClustersCertificateCanNeitherJoinNorReachAnEntity() throws Exception {
        String sensor = outsiderTarget.sensorId().toString();
        Map<String, ActorSystem<Void>> outsiders = new LinkedHashMap<>();
        ActorSystem<Void> control = outsider("control", tls("control.p12"), false);
        try {
            // the positive control: a non-member holding a node certificate of the cluster CA reaches the entity
            TestProbe<SensorMessages.OperatorReply> controlProbe = TestProbe.create(control);
            Poll.until(Duration.ofSeconds(30), "the control's GetStatus answered", () -> {
                askStatus(control, sensor, controlProbe);
                return reply(controlProbe, Duration.ofSeconds(1)) instanceof SensorMessages.Done;
            });
            // and a one-way command of the control takes effect (its sensor is revoked), as seen over HTTP
            revoke(control, controlTarget.sensorId().toString(), controlProbe);
            Poll.until(Duration.ofSeconds(30), "the control's revoke taking effect",
                    () -> "REVOKED".equals(verdict(controlTarget).path("reason").asText()));

            outsiders.put("plain TCP", outsider("plain", "microcert.cluster-tls.enabled = off", true));
            outsiders.put("a certificate of another CA", outsider("foreign", tls("foreign.p12"), true));
            outsiders.put("a gateway certificate of the cluster CA", outsider("gateway", tls("gateway.p12"), true));
            Map<String, TestProbe<SensorMessages.OperatorReply>> probes = new LinkedHashMap<>();
            outsiders.forEach((what, system) -> probes.put(what, TestProbe.create(system)));

            // For longer than the control needed, every outsider keeps trying (joining through the seed node
            // and sending the entity the control's message); none gets an answer or a membership.
            long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (System.nanoTime() < until) {
                for (var e : outsiders.entrySet()) {
                    // a one-way command (a system that could send but not receive would still revoke it)
                    revoke(e.getValue(), sensor, probes.get(e.getKey()));
                    askStatus(e.getValue(), sensor, probes.get(e.getKey()));
                    assertNull(reply(probes.get(e.getKey()), Duration.ofMillis(200)),
                            "an entity answered a system with " + e.getKey());
                    assertFalse(knowsANode(e.getValue()), "a system with " + e.getKey() + " sees a cluster node as a member");
                }
                for (NodeProcess n : nodes) {
                    assertEquals(3, upMembers(n), n.name() + " counts a member too many or too few");
                }
                assertEquals("ACCEPTED", verdict(outsiderTarget).path("outcome").asText(), "an outsider's revoke arrived");
            }
            for (NodeProcess n : nodes) {
                assertTrue(n.isAlive(), n.logTail());
            }
        } finally {
            outsiders.values().forEach(ClusterTlsTest::stop);
            stop(control);
        }
    }

    /** The TLS settings of an outsider with {@code keystore}, trusting the cluster CA (so it would accept the nodes). */
    static String tls(String keystore) {
        return """
                microcert.cluster-tls { enabled = on, keystore = "%s", password-file = "%s", trust = "%s" }
                """.formatted(dir.resolve(keystore), passwordFile, trust);
    }

    /** An actor system named like the cluster's, on a free port; with {@code join}, node 1 is its seed node. */
    static ActorSystem<Void> outsider(String name, String settings, boolean join) {
        Config config = NodeConfig.layered(ConfigFactory.parseString(settings + "\n" + """
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.seed-nodes = %s
                pekko.coordinated-shutdown.exit-jvm = off
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.remote.artery.advanced.handshake-timeout = 5s
                """.formatted(join ? "[\"pekko://MicroCert@127.0.0.1:" + remotePorts[0] + "\"]" : "[]")));
        return ActorSystem.create(Behaviors.empty(), "MicroCert", config);
    }

    /** GetStatus of {@code sensor} sent from {@code from} to node 1's shard region, as a member's EntityRef would. */
    static void askStatus(ActorSystem<Void> from, String sensor, TestProbe<SensorMessages.OperatorReply> replyTo) {
        Adapter.toClassic(from).actorSelection("pekko://MicroCert@127.0.0.1:" + remotePorts[0] + "/system/sharding/"
                + SensorSharding.TYPE_KEY.name()).tell(new ShardingEnvelope<>(sensor,
                new SensorMessages.GetStatus(replyTo.getRef())), org.apache.pekko.actor.ActorRef.noSender());
    }

    static void revoke(ActorSystem<Void> from, String sensor, TestProbe<SensorMessages.OperatorReply> replyTo) {
        Adapter.toClassic(from).actorSelection("pekko://MicroCert@127.0.0.1:" + remotePorts[0] + "/system/sharding/"
                + SensorSharding.TYPE_KEY.name()).tell(new ShardingEnvelope<>(sensor,
                new SensorMessages.Revoke("sent from outside", "outsider", replyTo.getRef())),
                org.apache.pekko.actor.ActorRef.noSender());
    }

    /** A fresh certificate of {@code chip} judged through node 2's gateway. */
    static JsonNode verdict(SensorChip chip) throws Exception {
        return JSON.readTree(client.send("POST", nodes[1].url("/v1/authenticate"), "application/octet-stream",
                chip.authenticate(Instant.now()).encode(), null).body());
    }

    /** A reply that arrives at {@code probe} within {@code within}, or null. */
    static SensorMessages.OperatorReply reply(TestProbe<SensorMessages.OperatorReply> probe, Duration within) {
        try {
            return probe.receiveSeveralMessages(1, within).get(0);
        } catch (AssertionError none) {
            return null;
        }
    }

    static boolean knowsANode(ActorSystem<Void> system) {
        for (Member m : Cluster.get(system).state().getMembers()) {
            if (m.address().getPort().isPresent() && List.of(remotePorts[0], remotePorts[1], remotePorts[2])
                    .contains((Integer) m.address().getPort().get())) {
                return true;
            }
        }
        return Cluster.get(system).selfMember().status() == MemberStatus.up();
    }

    static void stop(ActorSystem<Void> system) {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("an outsider did not stop", e);
        }
    }

    static void importFleet() throws Exception {
        StringBuilder manifest = new StringBuilder();
        outsiderTarget = TestFleet.chip(0x7150_1000L, Instant.now());
        controlTarget = TestFleet.chip(0x7150_1001L, Instant.now());
        for (int i = 0; i < SENSORS + 2; i++) {
            SensorChip chip = i == SENSORS ? outsiderTarget : i == SENSORS + 1 ? controlTarget
                    : TestFleet.chip(0x7150_0000L + i, Instant.now());
            if (i < SENSORS) {
                chips.add(chip);
            }
            manifest.append("{\"envelope\":\"").append(Base64.getEncoder().encodeToString(fleet.transportEnvelope(chip)))
                    .append("\"}\n");
        }
        HttpResponse<String> r = client.send("POST", nodes[0].url("/v1/sensors/import"), "application/x-ndjson",
                manifest.toString().getBytes(StandardCharsets.UTF_8), TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        String[] lines = r.body().split("\n");
        JsonNode summary = JSON.readTree(lines[lines.length - 1]).get("summary");
        assertEquals(SENSORS + 2, summary.get("provisioned").asInt(), r.body());
    }

    static int upMembers(NodeProcess node) throws Exception {
        HttpResponse<String> r = client.get(node.url("/health/ready"), null);
        return JSON.readTree(r.body()).get("upMembers").asInt();
    }

    static long activeEntities(NodeProcess node) {
        HttpResponse<String> m = client.get(node.url("/metrics"), null);
        return m.body().lines().filter(l -> l.startsWith("microcert_sensor_entities_active "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(0);
    }

    /** Waits until the node is ready and sees {@code members} Up members. */
    static void awaitReady(NodeProcess node, int members) throws Exception {
        Poll.until(Duration.ofSeconds(120), node.name() + " ready with " + members + " Up members", () -> {
            assertTrue(node.isAlive(), node::logTail);
            HttpResponse<String> r = client.get(node.url("/health/ready"), null);
            return r.statusCode() == 200 && JSON.readTree(r.body()).get("upMembers").asInt() >= members;
        });
    }
}
