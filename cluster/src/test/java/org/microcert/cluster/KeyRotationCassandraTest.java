package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.audit.JournalAudit;
import org.microcert.persistence.audit.JournalScan;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.protocol.SensorChip;

/**
 * K_store rotation on the real Cassandra: sensors provisioned under K_store v1, the card rotated to
 * v2, then one sensor rewrapped alone and the rest by the fleet-wide call. Afterwards no record in
 * the journal uses v1, the journal audit against both nodes' set digests is clean, and every sensor
 * still authenticates.
 */
@ExtendWith(CassandraExtension.class)
class KeyRotationCassandraTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "rotation-operator-token-0123456789";

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static Config config;
    static TestCassandra cassandra;
    static final TestNode.Client client = new TestNode.Client();

    @BeforeAll
    static void setUp(TestCassandra c) throws Exception {
        cassandra = c;
        fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator olga\n");
        config = ConfigFactory.parseString("""
                microcert.http.tokens-file = "%s"
                microcert.http.journal-probe.interval = 200ms
                microcert.http.ask-timeout = 40s
                """.formatted(tokens)).withFallback(TestNode.cassandraJournal(c, "rotation_it"));
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static HttpResponse<String> authenticate(TestNode node, SensorChip chip) throws Exception {
        return client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                chip.authenticate(Instant.now()).encode(), null);
    }

    @Test
    void afterRotationAndRewrapNoRecordUsesTheOldKeyVersionAndSensorsStillAuthenticate() throws Exception {
        List<SensorChip> chips = new ArrayList<>();
        for (long id = 0x5EA1_0001L; id <= 0x5EA1_0004L; id++) {
            chips.add(TestFleet.chip(id, Instant.now()));
        }
        SensorChip revoked = chips.get(3);
        try (TestNode node = new TestNode("RotationIT1", config, fleet.openCard("rotation-1"))) {
            CassandraIntegrationTest.awaitReady(node);
            for (SensorChip chip : chips) {
                HttpResponse<String> p = client.postJson(node.url("/v1/sensors"),
                        "{\"envelope\":\"" + b64(fleet.transportEnvelope(chip)) + "\"}", TOKEN);
                assertEquals(201, p.statusCode(), p.body());
                assertEquals(1, json(p).get("keyVersion").asInt());
            }
            assertEquals(200, client.postJson(node.url("/v1/sensors/" + revoked.sensorId() + "/revoke"), "{}", TOKEN)
                    .statusCode());
        }

        assertEquals(2, KeyCeremony.rotate(fleet.keystore(), TestFleet.PASSWORD.clone(), List.of()));

        try (TestNode node = new TestNode("RotationIT2", config, fleet.openCard("rotation-2"))) {
            CassandraIntegrationTest.awaitReady(node);
            SensorChip first = chips.get(0);
            HttpResponse<String> one = client.send("POST", node.url("/v1/sensors/" + first.sensorId() + "/rewrap"),
                    null, null, TOKEN);
            assertEquals(200, one.statusCode(), one.body());
            assertTrue(json(one).get("rewrapped").asBoolean());
            assertEquals(1, json(one).get("previousKeyVersion").asInt());
            assertEquals(2, json(one).get("keyVersion").asInt());

            HttpResponse<String> fleetWide = client.send("POST", node.url("/v1/rewrap"), null, null, TOKEN);
            assertEquals(200, fleetWide.statusCode(), fleetWide.body());
            assertTrue(fleetWide.headers().firstValue("Content-Type").orElse("").startsWith("application/x-ndjson"));
            String[] lines = fleetWide.body().split("\n");
            assertEquals(chips.size() + 1, lines.length, fleetWide.body());
            Map<String, String> results = new HashMap<>();
            for (int i = 0; i < chips.size(); i++) {
                JsonNode line = JSON.readTree(lines[i]);
                results.put(line.get("sensorId").asText(), line.get("result").asText());
            }
            assertEquals(Map.of(first.sensorId().toString(), "ALREADY_CURRENT",
                    chips.get(1).sensorId().toString(), "REWRAPPED",
                    chips.get(2).sensorId().toString(), "REWRAPPED",
                    revoked.sensorId().toString(), "SKIPPED"), results);
            JsonNode summary = JSON.readTree(lines[chips.size()]).get("summary");
            assertEquals(4, summary.get("sensors").asInt());
            assertEquals(2, summary.get("rewrapped").asInt());
            assertEquals(1, summary.get("alreadyCurrent").asInt());
            assertEquals(1, summary.get("skipped").asInt());
            assertEquals(0, summary.get("failed").asInt());

            for (SensorChip chip : chips.subList(0, 3)) {
                HttpResponse<String> a = authenticate(node, chip);
                assertEquals(200, a.statusCode(), a.body());
                assertEquals(2, json(client.get(node.url("/v1/sensors/" + chip.sensorId()), TOKEN))
                        .get("keyVersion").asInt());
            }
            JsonNode last = json(client.get(node.url("/v1/audit?limit=1"), TOKEN)).get("records").get(0);
            assertEquals("REWRAP_ALL:OK", last.get("action").asText() + ":" + last.get("result").asText());

            // What is stored: read the journal and snapshot tables directly, as the audit tool does.
            try (CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                    .withLocalDatacenter(TestCassandra.LOCAL_DATACENTER).build();
                 SoftwareCard auditCard = fleet.openCard("rotation-audit")) {
                JournalScan.Result scan = JournalScan.scan(session, SerializationExtension.get(node.system()),
                        "rotation_it_journal", "rotation_it_snapshot");
                int sealed = 0;
                for (JournalScan.SensorState s : scan.sensors().values()) {
                    if (s.record().seed() != null) {
                        sealed++;
                        assertEquals(2, s.record().seed().keyVersion(), s.sensor() + " still under K_store v1");
                    }
                }
                assertEquals(3, sealed);
                var expected = auditCard.readStateFile(fleet.keystore().resolveSibling("rotation-1.state"))
                        .combine(auditCard.readStateFile(fleet.keystore().resolveSibling("rotation-2.state")));
                JournalAudit.Report report = JournalAudit.audit(auditCard, expected, scan);
                assertTrue(report.clean(), String.join("\n", report.lines()));
            }
        }
    }
}
