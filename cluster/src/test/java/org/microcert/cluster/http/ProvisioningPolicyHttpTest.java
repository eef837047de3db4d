package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.microcert.cluster.http.GatewayHttpTest.AUDITOR;
import static org.microcert.cluster.http.GatewayHttpTest.OPERATOR;
import static org.microcert.cluster.http.GatewayHttpTest.assertError;
import static org.microcert.cluster.http.GatewayHttpTest.b64;
import static org.microcert.cluster.http.GatewayHttpTest.client;
import static org.microcert.cluster.http.GatewayHttpTest.fleet;
import static org.microcert.cluster.http.GatewayHttpTest.json;
import static org.microcert.cluster.http.GatewayHttpTest.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;

/** The provisioning policy over HTTP: version 1, the present covered, the audited legacy exception, revoked ids. */
class ProvisioningPolicyHttpTest extends OnGatewayNode {

    private static long next = 0x7000;

    static SensorChip chip(int version, int epochYear) {
        SecureRandom rng = new SecureRandom();
        return SensorChip.withSeed(new SensorId(next++), CipherSuite.AES128, KeySeed.generate(rng, version, epochYear),
                rng, Duration.ofMinutes(5));
    }

    static String body(SensorChip chip) {
        return "{\"envelope\":\"" + b64(fleet.transportEnvelope(chip)) + "\"}";
    }

    @Test
    void oddFirstSeedsAreRefusedUnlessTheOperatorAsksForTheAuditedLegacyException() throws Exception {
        int year = Instant.now().atZone(ZoneOffset.UTC).getYear();
        SensorChip expired = chip(1, year - KeySeed.LIFETIME_YEARS);
        SensorChip second = chip(2, year);
        assertError(client.postJson(node.url("/v1/sensors"), body(expired), OPERATOR), 400, "BAD_SEED");
        assertError(client.postJson(node.url("/v1/sensors"), body(second), OPERATOR), 400, "BAD_SEED");
        assertError(client.postJson(node.url("/v1/sensors?legacy-seeds=yes"), body(second), OPERATOR), 400, "BAD_PARAMETER");
        assertError(client.postJson(node.url("/v1/sensors?legacy-seeds=accept"), body(chip(1, year + 1)), OPERATOR),
                400, "BAD_SEED");
        HttpResponse<String> legacy = client.postJson(node.url("/v1/sensors?legacy-seeds=accept"), body(second), OPERATOR);
        assertEquals(201, legacy.statusCode(), legacy.body());

        String manifest = body(expired) + "\n";
        HttpResponse<String> refused = client.send("POST", node.url("/v1/sensors/import"), "application/x-ndjson",
                manifest.getBytes(StandardCharsets.UTF_8), OPERATOR);
        assertTrue(refused.body().contains("\"error\":\"BAD_SEED\""), refused.body());
        HttpResponse<String> imported = client.send("POST", node.url("/v1/sensors/import?legacy-seeds=accept"),
                "application/x-ndjson", manifest.getBytes(StandardCharsets.UTF_8), OPERATOR);
        assertTrue(imported.body().contains("\"result\":\"PROVISIONED\""), imported.body());

        JsonNode audit = json(client.get(node.url("/v1/audit?sensorId=" + expired.sensorId()), AUDITOR));
        boolean marked = false;
        for (JsonNode r : audit.get("records")) {
            marked |= r.path("detail").asText().contains("legacy-seeds=accept") && r.get("result").asText().equals("OK");
        }
        assertTrue(marked, "the exception is in the audit trail: " + audit);
    }

    @Test
    void aRevokedIdCannotBeProvisionedAgain() throws Exception {
        SensorChip chip = chip(1, Instant.now().atZone(ZoneOffset.UTC).getYear());
        assertEquals(201, client.postJson(node.url("/v1/sensors"), body(chip), OPERATOR).statusCode());
        assertEquals(200, client.postJson(node.url("/v1/sensors/" + chip.sensorId() + "/revoke"), "{}", OPERATOR)
                .statusCode());
        SensorChip again = SensorChip.manufacture(chip.sensorId(), CipherSuite.AES128, Instant.now());
        assertError(client.postJson(node.url("/v1/sensors"), body(again), OPERATOR), 409, "REVOKED");
    }
}
