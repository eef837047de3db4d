package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.card.CardLoader;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.cluster.node.NodeConfig;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.backup.BackupFile;
import org.microcert.persistence.backup.Backups;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.card.Pkcs11Card;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.schema.Replication;
import org.microcert.persistence.schema.Schema;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;

/**
 * A node whose card is a real SoftHSM2 token (opened from {@code --pkcs11}/{@code --pin-env}, as
 * {@code ops/bin/node} does), on the real Cassandra: it provisions (TRANSPORT envelopes opened with
 * K_trans on the token), authenticates, verifies a SIGN certificate, decrypts an ENC_UP payload,
 * signs (issues) an update command and completes the seed update, revokes; after the
 * ceremony rotates K_store on the token it rewraps the fleet to v2; its HTTP backup restores with
 * the token card and a node on the restored keyspaces authenticates the same sensors.
 */
@ExtendWith(CassandraExtension.class)
class Pkcs11NodeCassandraTest {

    static final String TOKEN = HttpBackupCassandraTest.TOKEN; // its backup() call sends that one
    static final String PIN_VARIABLE = "TEST_TOKEN_PIN";

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static TestCassandra cassandra;
    static Path tokens;
    static Path tokenConfig;
    static final TestNode.Client client = new TestNode.Client();

    @BeforeAll
    static void setUp(TestCassandra c) throws Exception {
        cassandra = c;
        fleet = new TestFleet(dir.resolve("card"));
        TestTokens.distribute(fleet, "node-1");
        tokenConfig = TestTokens.configFile(dir, "node-1");
        tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator hana\n");
    }

    /** The token card as the node opens it: from the flags (and the PIN's variable), through CardLoader. */
    static EncryptionCard tokenCard(String state) {
        Config node = NodeConfig.load(new String[] {"--pkcs11", tokenConfig.toString(), "--pin-env", PIN_VARIABLE},
                Map.of());
        Config card = ConfigFactory.parseString("state-file = \"" + dir.resolve(state) + "\"")
                .withFallback(node.getConfig("microcert.card"));
        return assertInstanceOf(Pkcs11Card.class, CardLoader.open(card, Map.of(PIN_VARIABLE, new String(TestTokens.PIN))));
    }

    static int keyVersion(TestNode node, SensorChip chip) throws Exception {
        return json(client.get(node.url("/v1/sensors/" + chip.sensorId()), TOKEN)).get("keyVersion").asInt();
    }

    @Test
    void aNodeOnATokenProvisionsSignsRevokesRotatesAndBacksUpWhatRestores() throws Exception {
        List<SensorChip> chips = new ArrayList<>();
        for (long id = 0x70CE_0001L; id <= 0x70CE_0003L; id++) {
            chips.add(TestFleet.chip(id, Instant.now()));
        }
        SensorChip updated = chips.get(1);
        SensorChip revoked = chips.get(2);
        try (TestNode node = new TestNode("Pkcs11IT1", HttpBackupCassandraTest.config(cassandra, tokens, "pkcs11_src"), tokenCard("node.state"))) {
            CassandraIntegrationTest.awaitReady(node);
            for (SensorChip chip : chips) {
                HttpResponse<String> p = client.postJson(node.url("/v1/sensors"),
                        "{\"envelope\":\"" + b64(fleet.transportEnvelope(chip)) + "\"}", TOKEN);
                assertEquals(201, p.statusCode(), p.body());
                assertEquals(1, json(p).get("keyVersion").asInt());
            }
            assertEquals(200, authenticate(node, chips.get(0)).statusCode());
            // A signature over data and a payload to the center, both keyed from the seed the token opened.
            byte[] data = "reading=42".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            HttpResponse<String> signed = client.postJson(node.url("/v1/verify"), "{\"certificate\":\""
                    + b64(chips.get(0).sign(data, Instant.now()).encode()) + "\",\"data\":\"" + b64(data) + "\"}", null);
            assertEquals("ACCEPTED", json(signed).get("outcome").asText(), signed.body());
            HttpResponse<String> opened = client.send("POST", node.url("/v1/decrypt"), "application/octet-stream",
                    chips.get(0).encrypt(data, Instant.now()).encode(), null);
            assertEquals(b64(data), json(opened).get("plaintext").asText(), opened.body());
            // A seed update: the command the node signs with the sensor's key, the new seed sealed on the token.
            String sensor = updated.sensorId().toString();
            HttpResponse<String> start = client.send("POST", node.url("/v1/sensors/" + sensor + "/seed-update"), null, null, TOKEN);
            assertEquals(200, start.statusCode(), start.body());
            updated.accept(MicroCertificate.decode(Base64.getDecoder().decode(json(start).get("command").asText())), Instant.now());
            HttpResponse<String> done = client.postJson(node.url("/v1/sensors/" + sensor + "/seed-update/complete"),
                    "{\"envelope\":\"" + b64(updated.pendingUpdate().orElseThrow().encode()) + "\"}", TOKEN);
            assertEquals(200, done.statusCode(), done.body());
            updated.activatePendingSeed();
            HttpResponse<String> a = authenticate(node, updated);
            assertEquals(200, a.statusCode(), a.body());
            assertEquals(2, json(a).get("seedVersion").asInt());
            assertEquals(200, client.postJson(node.url("/v1/sensors/" + revoked.sensorId() + "/revoke"), "{}", TOKEN)
                    .statusCode());
            assertEquals("REVOKED", json(authenticate(node, revoked)).get("reason").asText());
        }

        // The ceremony adds K_store v2 to the master and to the token.
        assertEquals(2, KeyCeremony.rotate(fleet.keystore(), TestFleet.PASSWORD.clone(), List.of(TestTokens.ceremonyCard("node-1"))));

        Path file = dir.resolve("fleet.backup");
        try (TestNode node = new TestNode("Pkcs11IT2", HttpBackupCassandraTest.config(cassandra, tokens, "pkcs11_src"), tokenCard("node.state"))) {
            CassandraIntegrationTest.awaitReady(node);
            HttpResponse<String> rewrap = client.send("POST", node.url("/v1/rewrap"), null, null, TOKEN);
            assertEquals(200, rewrap.statusCode(), rewrap.body());
            String[] lines = rewrap.body().split("\n");
            JsonNode summary = KeyRotationCassandraTest.JSON.readTree(lines[lines.length - 1]).get("summary");
            assertEquals(2, summary.get("rewrapped").asInt(), rewrap.body());
            assertEquals(1, summary.get("skipped").asInt(), rewrap.body());
            assertEquals(0, summary.get("failed").asInt(), rewrap.body());
            for (SensorChip chip : chips.subList(0, 2)) {
                assertEquals(2, keyVersion(node, chip));
                assertEquals(200, authenticate(node, chip).statusCode());
            }
            HttpResponse<byte[]> r = HttpBackupCassandraTest.backup(node);
            assertEquals(200, r.statusCode(), new String(r.body()));
            Files.write(file, r.body());
        }

        // Disaster recovery into empty keyspaces, with the token card (its own state file for the restored center).
        CassandraTarget restored = new CassandraTarget(cassandra.host(), cassandra.port(), TestCassandra.LOCAL_DATACENTER,
                "pkcs11_dst_journal", "pkcs11_dst_snapshot");
        try (CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                .withLocalDatacenter(TestCassandra.LOCAL_DATACENTER).build()) {
            Schema.apply(session, restored.journalKeyspace(), restored.snapshotKeyspace(), Replication.simple(1));
            ActorSystem<Void> tool = ActorSystem.create(Behaviors.empty(), "restore", restored.pekkoConfig(""));
            try (EncryptionCard card = tokenCard("restored.state")) {
                assertEquals(3, BackupFile.verify(file, card, SerializationExtension.get(tool)).records());
                assertEquals(3, Backups.restore(session, tool, restored, card, file, 100).records());
            } finally {
                tool.terminate();
                tool.getWhenTerminated().toCompletableFuture().join();
            }
        }
        try (TestNode node = new TestNode("Pkcs11IT3", HttpBackupCassandraTest.config(cassandra, tokens, "pkcs11_dst"), tokenCard("restored.state"))) {
            CassandraIntegrationTest.awaitReady(node);
            for (SensorChip chip : chips.subList(0, 2)) {
                assertEquals(2, keyVersion(node, chip));
                // The restored state refuses timestamps up to the source node's reservation (reservation-ahead,
                // 5 s): a certificate beyond it and within the clock skew (120 s) is accepted.
                HttpResponse<String> a = client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                        chip.authenticate(Instant.now().plusSeconds(60)).encode(), null);
                assertEquals(200, a.statusCode(), a.body());
            }
            assertEquals("REVOKED", json(authenticate(node, revoked)).get("reason").asText());
            HttpResponse<byte[]> again = HttpBackupCassandraTest.backup(node);
            assertEquals(200, again.statusCode(), new String(again.body()));
        }
    }
}
