package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.microcert.cluster.KeyRotationCassandraTest.authenticate;
import static org.microcert.cluster.KeyRotationCassandraTest.b64;
import static org.microcert.cluster.KeyRotationCassandraTest.json;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.card.CardLoader;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.audit.JournalScan;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.protocol.SensorChip;

/**
 * The documented zero-downtime K_store rotation, on a cluster of two nodes (A and B, each with its
 * own software card made by the ceremony) on the real Cassandra: (1) the ceremony puts v2 on both
 * cards; (2) both nodes restart one by one with {@code microcert.card.key-version = 1}, holding v2
 * but still sealing under v1; (3) sealing switches to v2 node by node: while A seals under v2 and
 * B under v1, each new record carries its hosting node's version and every sensor authenticates;
 * (4) the fleet is rewrapped, after which no record in the journal uses v1 (so v1 can be retired).
 */
@ExtendWith(CassandraExtension.class)
class StepwiseRotationCassandraTest {

    static final String TOKEN = "stepwise-operator-token-0123456789";
    static final String CLUSTER = "StepwiseRotation";

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static Config config;
    static TestCassandra cassandra;
    static final TestNode.Client client = new TestNode.Client();
    static long nextId = 0x57E9_0001L;

    @BeforeAll
    static void setUp(TestCassandra c) throws Exception {
        cassandra = c;
        fleet = new TestFleet(dir.resolve("master"));
        Files.writeString(dir.resolve("card.pw"), new String(TestFleet.PASSWORD) + "\n");
        KeyCeremony.distribute(fleet.keystore(), TestFleet.PASSWORD.clone(), List.of(cardFile("a"), cardFile("b")));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator rita\n");
        config = ConfigFactory.parseString("""
                microcert.http.tokens-file = "%s"
                microcert.http.journal-probe.interval = 200ms
                microcert.http.ask-timeout = 40s
                pekko.http.server.request-timeout = 60s
                """.formatted(tokens)).withFallback(TestNode.cassandraJournal(c, "stepwise_it"));
    }

    static KeyCeremony.SoftwareFile cardFile(String node) {
        return new KeyCeremony.SoftwareFile(dir.resolve(node + ".bcfks"), TestFleet.PASSWORD.clone());
    }

    /** Node {@code node}'s card as the node opens it from microcert.card, sealing under {@code keyVersion}. */
    static EncryptionCard card(String node, int keyVersion) {
        return CardLoader.open(ConfigFactory.parseString("""
                keystore = "%s", password-file = "%s", state-file = "%s", key-version = %d
                """.formatted(dir.resolve(node + ".bcfks"), dir.resolve("card.pw"), dir.resolve(node + ".state"), keyVersion))
                .withFallback(ConfigFactory.load().getConfig("microcert.card")), java.util.Map.of());
    }

    /** Starts node {@code node} sealing under {@code keyVersion}, joining {@code seed} (null: alone), and waits until both are Up. */
    static TestNode start(String node, int keyVersion, TestNode seed) throws Exception {
        TestNode n = new TestNode(CLUSTER, config, card(node, keyVersion), null, seed);
        if (seed != null) {
            Poll.until(Duration.ofSeconds(30), "two members Up", () -> StreamSupport.stream(
                    Cluster.get(seed.system()).state().getMembers().spliterator(), false)
                    .filter(m -> m.status() == MemberStatus.up()).count() == 2);
        }
        CassandraIntegrationTest.awaitReady(n);
        return n;
    }

    static String address(TestNode node) {
        Address a = Cluster.get(node.system()).selfMember().address();
        return a.getHost().orElseThrow() + ":" + a.getPort().orElseThrow();
    }

    /** Provisions a new sensor through {@code via}; returns it with the key version its record got. */
    static SensorChip provision(TestNode via, List<SensorChip> fleetChips) throws Exception {
        SensorChip chip = TestFleet.chip(nextId++, Instant.now());
        HttpResponse<String> p = client.postJson(via.url("/v1/sensors"),
                "{\"envelope\":\"" + b64(fleet.transportEnvelope(chip)) + "\"}", TOKEN);
        assertEquals(201, p.statusCode(), p.body());
        fleetChips.add(chip);
        return chip;
    }

    static JsonNode status(TestNode via, SensorChip chip) throws Exception {
        return json(client.get(via.url("/v1/sensors/" + chip.sensorId()), TOKEN));
    }

    static void everySensorAuthenticates(TestNode via, List<SensorChip> chips) throws Exception {
        for (SensorChip chip : chips) {
            HttpResponse<String> a = authenticate(via, chip);
            assertEquals(200, a.statusCode(), chip.sensorId() + ": " + a.body());
        }
    }

    @Test
    void sealingSwitchesToTheNewVersionNodeByNodeAndRewrapLeavesNoRecordUnderTheOldOne() throws Exception {
        List<SensorChip> chips = new ArrayList<>();
        TestNode a = start("a", 0, null);
        TestNode b = start("b", 0, a);
        try {
            for (int i = 0; i < 3; i++) {
                assertEquals(1, status(a, provision(a, chips)).get("keyVersion").asInt());
            }

            // (1) v2 on every card; the running nodes still hold only v1.
            assertEquals(2, KeyCeremony.rotate(fleet.keystore(), TestFleet.PASSWORD.clone(), List.of(cardFile("a"), cardFile("b"))));

            // (2) restart node by node pinned to v1: the cards hold v2, nobody seals under it yet.
            b.close();
            b = start("b", 1, a);
            a.close();
            a = start("a", 1, b);
            for (int i = 0; i < 3; i++) {
                assertEquals(1, status(a, provision(b, chips)).get("keyVersion").asInt(), "pinned to v1");
            }

            // (3) switch sealing to v2 node by node: A seals under v2 while B still seals under v1.
            a.close();
            a = start("a", 0, b);
            String onA = address(a);
            int sealedByA = 0;
            int sealedByB = 0;
            for (int i = 0; i < 40 && (sealedByA < 2 || sealedByB < 2); i++) {
                JsonNode s = status(b, provision(b, chips));
                boolean hostedByA = s.get("hostedBy").asText().equals(onA);
                assertEquals(hostedByA ? 2 : 1, s.get("keyVersion").asInt(), s.toString());
                if (hostedByA) {
                    sealedByA++;
                } else {
                    sealedByB++;
                }
            }
            assertTrue(sealedByA >= 2 && sealedByB >= 2, "new records on both nodes: A " + sealedByA + ", B " + sealedByB);
            everySensorAuthenticates(b, chips); // v1 and v2 records side by side, wherever they are hosted
            b.close();
            b = start("b", 0, a);

            // (4) rewrap the fleet; afterwards nothing uses v1, so it can be retired.
            HttpResponse<String> rewrap = client.send("POST", a.url("/v1/rewrap"), null, null, TOKEN);
            assertEquals(200, rewrap.statusCode(), rewrap.body());
            String[] lines = rewrap.body().split("\n");
            JsonNode summary = KeyRotationCassandraTest.JSON.readTree(lines[lines.length - 1]).get("summary");
            assertEquals(0, summary.get("failed").asInt(), rewrap.body());
            assertEquals(chips.size(), summary.get("rewrapped").asInt() + summary.get("alreadyCurrent").asInt(), rewrap.body());
            everySensorAuthenticates(a, chips);
            try (CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                    .withLocalDatacenter(TestCassandra.LOCAL_DATACENTER).build()) {
                JournalScan.Result scan = JournalScan.scan(session, SerializationExtension.get(a.system()),
                        "stepwise_it_journal", "stepwise_it_snapshot");
                assertEquals(chips.size(), scan.sensors().size());
                for (JournalScan.SensorState s : scan.sensors().values()) {
                    assertEquals(2, s.record().seed().keyVersion(), s.sensor() + " still under K_store v1");
                }
            }
        } finally {
            b.close();
            a.close();
        }
    }
}
