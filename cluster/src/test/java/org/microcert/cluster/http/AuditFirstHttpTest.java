package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.trail.AuditRecord;
import org.microcert.cluster.trail.AuditTrail;
import org.microcert.cluster.trail.InMemoryAuditTrail;
import org.microcert.protocol.SensorChip;

/**
 * No key-management change without an audit record: with an audit trail that refuses the intent,
 * operator calls answer 503 AUDIT_UNAVAILABLE and change nothing; with one that refuses only the
 * outcome, the change happens and the answer says so, with a warning.
 */
class AuditFirstHttpTest {

    static final String OPERATOR = "operator-token-audit-first-0123456789";

    /** An audit trail that can be told to fail intents ({@code REQUESTED}) or outcomes. */
    static final class FlakyAuditTrail implements AuditTrail {
        final InMemoryAuditTrail stored = new InMemoryAuditTrail();
        volatile boolean failIntents;
        volatile boolean failOutcomes;

        @Override
        public CompletionStage<Void> record(AuditRecord r) {
            boolean intent = r.result().equals("REQUESTED");
            if ((intent && failIntents) || (!intent && failOutcomes)) {
                return CompletableFuture.failedFuture(new IllegalStateException("audit store unavailable"));
            }
            return stored.record(r);
        }

        @Override
        public CompletionStage<List<AuditRecord>> query(Instant since, Instant until, String sensorId, int limit) {
            return stored.query(since, until, sensorId, limit);
        }
    }

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static TestNode node;
    static final FlakyAuditTrail audit = new FlakyAuditTrail();
    static final TestNode.Client client = new TestNode.Client();
    static long nextSensor = 0xA0D1_0000L;

    @BeforeAll
    static void start() throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(OPERATOR) + " operator alice\n");
        node = new TestNode("AuditFirstHttpTest", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString(
                "microcert.http.tokens-file = \"" + tokens + "\"")), fleet.openCard("audit-first"), audit);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @AfterEach
    void auditWorksAgain() {
        audit.failIntents = false;
        audit.failOutcomes = false;
    }

    static SensorChip chip() {
        return TestFleet.chip(nextSensor++, Instant.now());
    }

    HttpResponse<String> provision(SensorChip chip) {
        return client.postJson(node.url("/v1/sensors"),
                "{\"envelope\":\"" + GatewayHttpTest.b64(fleet.transportEnvelope(chip)) + "\"}", OPERATOR);
    }

    JsonNode status(SensorChip chip) throws Exception {
        return GatewayHttpTest.json(client.get(node.url("/v1/sensors/" + chip.sensorId()), OPERATOR));
    }

    List<String> auditOf(SensorChip chip) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode r : GatewayHttpTest.json(client.get(node.url("/v1/audit?sensorId=" + chip.sensorId()), OPERATOR))
                .get("records")) {
            out.add(r.get("action").asText() + ":" + r.get("result").asText());
        }
        return out;
    }

    HttpResponse<String> authenticate(SensorChip chip) throws Exception {
        return client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                chip.authenticate(Instant.now()).encode(), null);
    }

    @Test
    void whenTheIntentCannotBeRecordedNothingChanges() throws Exception {
        SensorChip chip = chip();
        assertEquals(201, provision(chip).statusCode());
        audit.failIntents = true;

        String base = node.url("/v1/sensors/" + chip.sensorId());
        GatewayHttpTest.assertError(client.postJson(base + "/revoke", "{\"reason\":\"stolen\"}", OPERATOR), 503,
                "AUDIT_UNAVAILABLE");
        GatewayHttpTest.assertError(client.send("POST", base + "/seed-update", null, null, OPERATOR), 503,
                "AUDIT_UNAVAILABLE");
        GatewayHttpTest.assertError(client.postJson(base + "/encrypt", "{\"plaintext\":\"AAAA\"}", OPERATOR), 503,
                "AUDIT_UNAVAILABLE");
        GatewayHttpTest.assertError(client.send("POST", base + "/rewrap", null, null, OPERATOR), 503,
                "AUDIT_UNAVAILABLE");
        GatewayHttpTest.assertError(client.send("POST", node.url("/v1/backup"), null, null, OPERATOR), 503,
                "AUDIT_UNAVAILABLE");
        SensorChip fresh = chip();
        HttpResponse<String> refused = provision(fresh);
        GatewayHttpTest.assertError(refused, 503, "AUDIT_UNAVAILABLE");
        assertTrue(refused.headers().firstValue("Retry-After").isPresent());

        audit.failIntents = false;
        JsonNode s = status(chip);
        assertEquals("ACTIVE", s.get("status").asText(), "the refused revoke changed nothing");
        assertTrue(s.get("pendingSeedVersion").isNull(), "the refused seed update changed nothing");
        assertEquals(200, authenticate(chip).statusCode());
        GatewayHttpTest.assertError(client.get(node.url("/v1/sensors/" + fresh.sensorId()), OPERATOR), 404,
                "UNKNOWN_SENSOR");
        assertEquals(List.of("PROVISION:OK", "PROVISION:REQUESTED"), auditOf(chip));
        assertTrue(client.get(node.url("/metrics"), null).body().contains(
                "microcert_key_operations_total{action=\"REVOKE\",result=\"AUDIT_UNAVAILABLE\"} 1"));
    }

    HttpResponse<String> importManifest(SensorChip... chips) {
        StringBuilder body = new StringBuilder();
        for (SensorChip c : chips) {
            body.append("{\"envelope\":\"").append(GatewayHttpTest.b64(fleet.transportEnvelope(c))).append("\"}\n");
        }
        return client.send("POST", node.url("/v1/sensors/import"), "application/x-ndjson",
                body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), OPERATOR);
    }

    @Test
    void aBulkImportLineIsProvisionedOnlyAfterItsIntentIsRecorded() throws Exception {
        SensorChip refused = chip();
        SensorChip accepted = chip();
        audit.failIntents = true;
        HttpResponse<String> r = importManifest(refused);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode line = GatewayHttpTest.JSON.readTree(r.body().split("\n")[0]);
        assertEquals("FAILED", line.get("result").asText(), r.body());
        assertEquals("AUDIT_UNAVAILABLE", line.get("error").asText(), r.body());

        audit.failIntents = false;
        GatewayHttpTest.assertError(client.get(node.url("/v1/sensors/" + refused.sensorId()), OPERATOR), 404,
                "UNKNOWN_SENSOR");
        assertTrue(auditOf(refused).isEmpty(), "nothing was recorded for the refused line: " + auditOf(refused));
        r = importManifest(accepted);
        assertEquals("PROVISIONED", GatewayHttpTest.JSON.readTree(r.body().split("\n")[0]).get("result").asText(), r.body());
        assertEquals(List.of("IMPORT:OK", "IMPORT:REQUESTED"), auditOf(accepted));
        assertEquals(200, authenticate(accepted).statusCode());
    }

    @Test
    void whenOnlyTheOutcomeCannotBeRecordedTheAnswerStillTellsWhatHappened() throws Exception {
        SensorChip chip = chip();
        assertEquals(201, provision(chip).statusCode());
        audit.failOutcomes = true;

        HttpResponse<String> revoked = client.postJson(node.url("/v1/sensors/" + chip.sensorId() + "/revoke"),
                "{\"reason\":\"lost\"}", OPERATOR);
        assertEquals(200, revoked.statusCode(), revoked.body());
        JsonNode body = GatewayHttpTest.json(revoked);
        assertEquals("REVOKED", body.get("status").asText());
        assertEquals("AUDIT_OUTCOME_NOT_RECORDED", body.get("auditWarning").asText());
        assertTrue(revoked.headers().firstValue("Warning").orElse("").startsWith("199 "));
        assertFalse(revoked.body().contains("Exception"));

        audit.failOutcomes = false;
        assertEquals("REVOKED", status(chip).get("status").asText());
        GatewayHttpTest.assertError(authenticate(chip), 403, "REVOKED");
        assertEquals(List.of("REVOKE:REQUESTED", "PROVISION:OK", "PROVISION:REQUESTED"), auditOf(chip),
                "the intent is in the trail even though the outcome is not");
        assertTrue(client.get(node.url("/metrics"), null).body().contains(
                "microcert_audit_outcome_unrecorded_total{action=\"REVOKE\"} 1"));
    }
}
