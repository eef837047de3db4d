package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.audit.JournalAudit;
import org.microcert.persistence.audit.JournalScan;
import org.microcert.persistence.card.CardReferences;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.protocol.SensorChip;

/**
 * The bulk import with many sensors in flight on the real Cassandra: every line answered
 * PROVISIONED is in the journal and in the card's ledger (the group-committed state file and
 * reference log, read back from disk), the tamper audit is exact sensor by sensor, and the same
 * manifest again is ALREADY_PROVISIONED line by line (the journal decides, not the node's memory);
 * the audit trail, written in batches under that load, holds every line's intent and outcome.
 */
@ExtendWith(CassandraExtension.class)
class BulkImportCassandraTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "import-operator-token-0123456789";
    static final int SENSORS = 400;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedLineIsInTheJournalAndTheLedgerAndTheAuditIsExact(TestCassandra cassandra) throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        Config config = TestNode.cassandraWithOperator(cassandra, "import_it", dir, TOKEN, "olga",
                "microcert.http.import-parallelism = 64");
        StringBuilder manifest = new StringBuilder();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < SENSORS; i++) {
            SensorChip chip = TestFleet.chip(0x1A0000L + i, Instant.now());
            ids.add(chip.sensorId().toString());
            manifest.append("{\"envelope\":\"").append(Base64.getEncoder().encodeToString(fleet.transportEnvelope(chip)))
                    .append("\"}\n");
        }
        byte[] body = manifest.toString().getBytes(StandardCharsets.US_ASCII);
        TestNode.Client client = new TestNode.Client();
        try (TestNode node = new TestNode("ImportIT", config, fleet.openCard("import"))) {
            CassandraIntegrationTest.awaitReady(node);
            assertEquals(List.of("PROVISIONED"), results(importManifest(client, node, body), ids));
            // the same sensors again: each entity recovers from the journal and refuses
            assertEquals(List.of("ALREADY_PROVISIONED"), results(importManifest(client, node, body), ids));

            try (CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                    .withLocalDatacenter(TestCassandra.LOCAL_DATACENTER).build();
                 SoftwareCard auditCard = fleet.openCard("import-audit")) {
                JournalScan.Result scan = JournalScan.scan(session, SerializationExtension.get(node.system()),
                        "import_it_journal", "import_it_snapshot");
                Path state = fleet.keystore().resolveSibling("import.state");
                CardReferences refs = auditCard.readReferences(state);
                assertEquals(SENSORS, refs.sensors().size(), "every acknowledged sensor is in the card's ledger on disk");
                JournalAudit.Report report = JournalAudit.audit(auditCard, auditCard.readStateFile(state), refs, scan);
                assertTrue(report.clean(), String.join("\n", report.lines()));
                assertEquals(SENSORS, report.sealedRecords());

                // the audit trail (group-committed in batches): each line's intent and outcome, twice
                java.util.Map<String, List<String>> audited = new java.util.TreeMap<>();
                java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
                for (var row : session.execute("SELECT action, result, sensor_id FROM import_it_journal.audit_trail "
                        + "WHERE day IN (?, ?)", today.minusDays(1), today)) {
                    if (row.getString("action").equals("IMPORT")) {
                        audited.computeIfAbsent(row.getString("sensor_id"), k -> new ArrayList<>()).add(row.getString("result"));
                    }
                }
                assertEquals(new java.util.TreeSet<>(ids), audited.keySet());
                for (var e : audited.entrySet()) {
                    List<String> results = new ArrayList<>(e.getValue());
                    java.util.Collections.sort(results);
                    assertEquals(List.of("ALREADY_PROVISIONED", "OK", "REQUESTED", "REQUESTED"), results, e.getKey());
                }
            }
        }
    }

    static List<JsonNode> importManifest(TestNode.Client client, TestNode node, byte[] body) throws Exception {
        HttpResponse<String> r = client.send("POST", node.url("/v1/sensors/import"), "application/x-ndjson", body, TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> lines = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            lines.add(JSON.readTree(line));
        }
        return lines;
    }

    /** The distinct results of the import's lines, after checking each line names its sensor in input order. */
    static List<String> results(List<JsonNode> lines, List<String> ids) {
        assertEquals(ids.size() + 1, lines.size(), "a result per line and the summary");
        List<String> distinct = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            JsonNode line = lines.get(i);
            assertEquals(i + 1, line.get("line").asInt());
            assertEquals(ids.get(i), line.get("sensorId").asText());
            String result = line.get("result").asText();
            if (!distinct.contains(result)) {
                distinct.add(result);
            }
        }
        return distinct;
    }
}
