package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.microcert.cluster.http.GatewayHttpTest.OPERATOR;
import static org.microcert.cluster.http.GatewayHttpTest.assertError;
import static org.microcert.cluster.http.GatewayHttpTest.b64;
import static org.microcert.cluster.http.GatewayHttpTest.client;
import static org.microcert.cluster.http.GatewayHttpTest.json;
import static org.microcert.cluster.http.GatewayHttpTest.node;
import static org.microcert.cluster.http.GatewayHttpTest.provisioned;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;

/** The downlink endpoints over HTTP: poll, batch poll, the sensor's envelope upload, operator cancel. */
class DownlinkHttpTest extends OnGatewayNode {

    static HttpResponse<String> poll(SensorChip chip) throws Exception {
        return client.send("POST", node.url("/v1/downlink"), "application/octet-stream",
                chip.authenticate(Instant.now()).encode(), null);
    }

    static List<MicroCertificate> commands(JsonNode answer) throws Exception {
        List<MicroCertificate> out = new ArrayList<>();
        for (JsonNode c : answer.get("commands")) {
            out.add(MicroCertificate.decode(Base64.getDecoder().decode(c.asText())));
        }
        return out;
    }

    @Test
    void aSensorPollsForItsUpdateHandsInItsEnvelopeAndProvesTheNewSeed() throws Exception {
        SensorChip chip = provisioned();
        String base = node.url("/v1/sensors/" + chip.sensorId());
        HttpResponse<String> idle = poll(chip);
        assertEquals(200, idle.statusCode(), idle.body());
        assertEquals(0, json(idle).get("commands").size());
        assertEquals(200, client.send("POST", base + "/seed-update", null, null, OPERATOR).statusCode());

        HttpResponse<String> woke = poll(chip);
        assertEquals(200, woke.statusCode(), woke.body());
        List<MicroCertificate> pending = commands(json(woke));
        assertEquals(1, pending.size());
        assertEquals(new CommandOrder.SeedUpdate(2), chip.accept(pending.get(0), Instant.now()));
        String upload = "{\"envelope\":\"" + b64(chip.pendingUpdate().orElseThrow().encode()) + "\"}";
        HttpResponse<String> offered = client.postJson(node.url("/v1/downlink/seed-update"), upload, null);
        assertEquals(200, offered.statusCode(), offered.body());
        assertTrue(json(offered).get("received").asBoolean());
        assertEquals(2, json(offered).get("pendingSeedVersion").asInt());
        assertEquals(List.of("sensorId", "received", "seedVersion", "pendingSeedVersion"),
                fields(json(offered)), "nothing else to a caller without a token");
        assertEquals(200, client.postJson(node.url("/v1/downlink/seed-update"), upload, null).statusCode(),
                "a repeated upload (its answer was lost) is answered the same");
        chip.activatePendingSeed();

        HttpResponse<String> proof = poll(chip);
        assertEquals(200, proof.statusCode(), proof.body());
        assertEquals(2, json(proof).get("seedVersion").asInt());
        assertEquals(0, json(proof).get("commands").size());
        JsonNode status = json(client.get(base, OPERATOR));
        assertEquals("ACTIVE", status.get("status").asText());
        assertEquals(2, status.get("seedVersion").asInt());
        assertError(client.postJson(node.url("/v1/downlink/seed-update"), upload, null), 409, "NO_UPDATE_PENDING");
        assertError(client.postJson(node.url("/v1/downlink/seed-update"), "{\"envelope\":\"AAAA\"}", null),
                400, "BAD_ENVELOPE");
        assertError(client.postJson(base + "/downlink/cancel", "{}", OPERATOR), 409, "NOTHING_PENDING");
    }

    @Test
    void aGatewayPollsForManySensorsAndARevokedOneGetsItsRevokeUntilCancelled() throws Exception {
        SensorChip quiet = provisioned();
        SensorChip revoked = provisioned();
        assertEquals(200, client.postJson(node.url("/v1/sensors/" + revoked.sensorId() + "/revoke"), "{}", OPERATOR)
                .statusCode());
        String body = "{\"certificates\":[\"" + b64(quiet.authenticate(Instant.now()).encode()) + "\",\""
                + b64(revoked.authenticate(Instant.now()).encode()) + "\",\"!\"]}";
        HttpResponse<String> r = client.postJson(node.url("/v1/downlink/batch"), body, null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode results = json(r).get("results");
        assertEquals(1, json(r).get("accepted").asInt());
        assertEquals("ACCEPTED", results.get(0).get("outcome").asText());
        assertEquals(0, results.get(0).get("commands").size());
        assertEquals("REVOKED", results.get(1).get("reason").asText());
        assertInstanceOf(CommandOrder.Revoke.class, revoked.accept(commands(results.get(1)).get(0), Instant.now()));
        assertTrue(revoked.isRevoked());
        assertEquals("MALFORMED", results.get(2).get("reason").asText());

        SensorChip other = provisioned();
        assertEquals(200, client.postJson(node.url("/v1/sensors/" + other.sensorId() + "/revoke"), "{}", OPERATOR)
                .statusCode());
        byte[] asleep = other.authenticate(Instant.now()).encode();
        HttpResponse<String> single = client.send("POST", node.url("/v1/downlink"), "application/octet-stream", asleep, null);
        assertEquals(403, single.statusCode());
        assertEquals(1, json(single).get("commands").size());
        HttpResponse<String> cancelled = client.postJson(node.url("/v1/sensors/" + other.sensorId() + "/downlink/cancel"),
                "{}", OPERATOR);
        assertEquals(200, cancelled.statusCode(), cancelled.body());
        assertEquals("REVOKED", json(cancelled).get("status").asText());
        HttpResponse<String> after = client.send("POST", node.url("/v1/downlink"), "application/octet-stream",
                other.authenticate(Instant.now()).encode(), null);
        assertEquals(0, json(after).get("commands").size(), "delivery ended");
    }

    private static List<String> fields(JsonNode n) {
        List<String> f = new ArrayList<>();
        n.fieldNames().forEachRemaining(f::add);
        return f;
    }
}
