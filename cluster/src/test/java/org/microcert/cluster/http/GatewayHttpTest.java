package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;
import com.typesafe.config.ConfigFactory;

/** The gateway over real HTTP (java.net.http) against a bound one-node cluster with an in-memory journal. */
class GatewayHttpTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String OPERATOR = "operator-token-0123456789abcdef";
    static final String AUDITOR = "auditor-token-0123456789abcdef";

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static TestNode node;
    static final TestNode.Client client = new TestNode.Client();
    static long nextSensor = 0x1000;

    @BeforeAll
    static void start() throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, "# test tokens\n" + BearerTokens.sha256Hex(OPERATOR) + " operator alice\n"
                + BearerTokens.sha256Hex(AUDITOR) + " auditor carol\n");
        node = new TestNode("GatewayHttpTest", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString(
                "microcert.http.tokens-file = \"" + tokens + "\"")), fleet.openCard("http-test"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    /** A chip provisioned through the operator API. */
    static synchronized SensorChip provisioned() throws Exception {
        SensorChip chip = TestFleet.chip(nextSensor++, Instant.now());
        HttpResponse<String> r = client.postJson(node.url("/v1/sensors"),
                "{\"envelope\":\"" + b64(fleet.transportEnvelope(chip)) + "\"}", OPERATOR);
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("/v1/sensors/" + chip.sensorId(), r.headers().firstValue("Location").orElseThrow());
        return chip;
    }

    static HttpResponse<String> authenticateBinary(byte[] cert) {
        return client.send("POST", node.url("/v1/authenticate"), "application/octet-stream", cert, null);
    }

    static void assertError(HttpResponse<String> r, int status, String code) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals(code, body.path("error").asText(), r.body());
        assertFalse(body.path("message").asText().isEmpty(), "every error has a message");
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    }

    @Test
    void authenticateAcceptsBinaryAndJsonAndRejectsTheReplay() throws Exception {
        SensorChip chip = provisioned();
        MicroCertificate cert = chip.authenticate(Instant.now());
        HttpResponse<String> ok = authenticateBinary(cert.encode());
        assertEquals(200, ok.statusCode(), ok.body());
        JsonNode v = json(ok);
        assertEquals("ACCEPTED", v.get("outcome").asText());
        assertEquals(chip.sensorId().toString(), v.get("sensorId").asText());
        assertEquals(cert.timestamp(), v.get("timestamp").asLong());
        assertTrue(ok.headers().firstValue("X-Request-Id").isPresent());

        HttpResponse<String> replay = client.postJson(node.url("/v1/authenticate"),
                "{\"certificate\":\"" + b64(cert.encode()) + "\"}", null);
        assertError(replay, 403, "REPLAY");
        assertEquals("REJECTED", json(replay).get("outcome").asText());
        assertEquals("REPLAY", json(replay).get("reason").asText());
        assertTrue(json(replay).get("serverTime").asLong() > 0);

        MicroCertificate fresh = chip.authenticate(Instant.now());
        assertEquals(200, client.postJson(node.url("/v1/authenticate"),
                "{\"certificate\":\"" + b64(fresh.encode()) + "\"}", null).statusCode());
    }

    @Test
    void badDeviceRequestsGetSpecificErrors() throws Exception {
        SensorChip chip = provisioned();
        byte[] forged = chip.authenticate(Instant.now()).encode();
        forged[forged.length - 1] ^= 1;
        assertError(authenticateBinary(forged), 403, "BAD_TAG");
        assertError(authenticateBinary(new byte[] {1, 2, 3}), 400, "MALFORMED");
        SensorChip stranger = TestFleet.chip(0x7777_0000L, Instant.now());
        HttpResponse<String> unknown = authenticateBinary(stranger.authenticate(Instant.now()).encode());
        assertError(unknown, 404, "UNKNOWN_SENSOR");
        assertEquals("REJECTED", json(unknown).get("outcome").asText());
        byte[] strangeSuite = chip.authenticate(Instant.now()).encode();
        strangeSuite[1] = 0x07; // names no suite: the protocol's reason, not a bare MALFORMED
        assertError(authenticateBinary(strangeSuite), 403, "UNSUPPORTED_SUITE");
        assertError(client.send("POST", node.url("/v1/authenticate"), "text/plain", new byte[32], null),
                415, "UNSUPPORTED_MEDIA_TYPE");
        assertError(client.postJson(node.url("/v1/authenticate"), "{\"certificate\":", null), 400, "BAD_JSON");
        assertError(client.postJson(node.url("/v1/authenticate"), "{\"certificat\":\"AAAA\"}", null), 400, "BAD_JSON");
        assertError(client.postJson(node.url("/v1/authenticate"), "{}", null), 400, "BAD_JSON");
        assertError(client.postJson(node.url("/v1/authenticate"), "{\"certificate\":\"not base64!\"}", null),
                400, "BAD_BASE64");
        assertError(client.postJson(node.url("/v1/authenticate"), "[1,2]", null), 400, "BAD_JSON");
        assertError(client.get(node.url("/v1/authenticate"), null), 405, "METHOD_NOT_ALLOWED");
        assertError(client.get(node.url("/v1/nothing-here"), null), 404, "NOT_FOUND");
    }

    @Test
    void aDeclaredLengthOverTheLimitIsRefusedBeforeTheBodyArrives() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", URI.create(node.url("/")).getPort())) {
            socket.setSoTimeout(15_000); // a server that waited for the 64 KiB would time this out
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/authenticate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: 65536\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // Only the headers are sent: the refusal must come from the declared length. (Sending the body too
            // races the server's close against the upload, and the client may see a reset instead of the 413.)
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertTrue(in.readLine().startsWith("HTTP/1.1 413 "));
            int length = -1;
            for (String h = in.readLine(); !h.isEmpty(); h = in.readLine()) {
                if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(h.substring(15).strip());
                }
            }
            char[] body = new char[length];
            for (int n = 0, r; n < length; n += r) {
                assertTrue((r = in.read(body, n, length - n)) > 0, "answer cut short");
            }
            assertEquals("BODY_TOO_LARGE", JSON.readTree(new String(body)).get("error").asText());
        }
    }

    @Test
    void numbersAndBooleansAreNotStrings() throws Exception {
        assertWrongType(client.postJson(node.url("/v1/authenticate"), "{\"certificate\":123}", null), "certificate");
        // "1234" would even be valid base64
        assertWrongType(client.postJson(node.url("/v1/authenticate"), "{\"certificate\":1234}", null), "certificate");
        assertWrongType(client.postJson(node.url("/v1/decrypt"), "{\"certificate\":12.5}", null), "certificate");
        assertWrongType(client.postJson(node.url("/v1/verify"), "{\"certificate\":\"AAAA\",\"data\":true}", null),
                "data");
        assertWrongType(client.postJson(node.url("/v1/authenticate/batch"), "{\"certificates\":[\"AAAA\",1]}", null),
                "certificates[1]");
        assertWrongType(client.postJson(node.url("/v1/sensors"), "{\"envelope\":true}", OPERATOR), "envelope");
        SensorChip chip = provisioned();
        String base = node.url("/v1/sensors/" + chip.sensorId());
        assertWrongType(client.postJson(base + "/revoke", "{\"reason\":5}", OPERATOR), "reason");
        assertWrongType(client.postJson(base + "/encrypt", "{\"plaintext\":false}", OPERATOR), "plaintext");
        assertEquals("ACTIVE", json(client.get(base, OPERATOR)).get("status").asText(), "nothing was changed");
    }

    static void assertWrongType(HttpResponse<String> r, String field) throws Exception {
        assertError(r, 400, "BAD_JSON");
        assertEquals("field '" + field + "' has the wrong type: expected a string", json(r).get("message").asText());
    }

    @Test
    void aBodyThatStallsIsARequestTimeoutNotAnUnavailableShard() throws Exception {
        URI uri = URI.create(node.url("/"));
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            // 10 of the announced 4,000 bytes, then nothing: longer than a body may take (10 s)
            out.write(("POST /v1/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 4000\r\n\r\n{\"certific").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String status = in.readLine();
            assertTrue(System.nanoTime() - start > 9_000_000_000L, "answered before the body timeout");
            assertEquals("HTTP/1.1 408 Request Timeout", status);
            int length = -1;
            boolean retryAfter = false;
            for (String h = in.readLine(); !h.isEmpty(); h = in.readLine()) {
                String name = h.substring(0, h.indexOf(':')).toLowerCase(Locale.ROOT);
                length = name.equals("content-length") ? Integer.parseInt(h.substring(h.indexOf(':') + 1).strip()) : length;
                retryAfter |= name.equals("retry-after");
            }
            assertFalse(retryAfter, "not a server-side condition to wait out");
            char[] body = new char[length];
            for (int n = 0, r; n < length; n += r) {
                r = in.read(body, n, length - n);
                assertTrue(r > 0, "the answer ended early");
            }
            JsonNode error = JSON.readTree(new String(body));
            assertEquals("BODY_TIMEOUT", error.get("error").asText());
            assertEquals("the request body did not arrive within 10 s", error.get("message").asText());
        }
    }

    @Test
    void aBodyWithoutContentTypeIsOctetStream() throws Exception {
        SensorChip chip = provisioned();
        HttpResponse<String> auth = client.send("POST", node.url("/v1/authenticate"), null,
                chip.authenticate(Instant.now()).encode(), null);
        assertEquals(200, auth.statusCode(), auth.body());
        byte[] up = "no content type".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> dec = client.send("POST", node.url("/v1/decrypt"), null,
                chip.encrypt(up, Instant.now()).encode(), null);
        assertEquals(200, dec.statusCode(), dec.body());
        assertArrayEquals(up, Base64.getDecoder().decode(json(dec).get("plaintext").asText()));
        // JSON without its Content-Type is judged as certificate bytes, and refused by JSON-only endpoints
        String body = "{\"certificate\":\"" + b64(chip.authenticate(Instant.now()).encode()) + "\"}";
        assertError(client.send("POST", node.url("/v1/authenticate"), null, body.getBytes(StandardCharsets.UTF_8),
                null), 400, "MALFORMED");
        HttpResponse<String> verify = client.send("POST", node.url("/v1/verify"), null,
                body.getBytes(StandardCharsets.UTF_8), null);
        assertError(verify, 415, "UNSUPPORTED_MEDIA_TYPE");
        assertEquals("Content-Type must be application/json", json(verify).get("message").asText());
    }

    @Test
    void signaturesAndPayloadsTravelBothWays() throws Exception {
        SensorChip chip = provisioned();
        byte[] data = "temperature=21.5".getBytes(StandardCharsets.UTF_8);
        MicroCertificate sign = chip.sign(data, Instant.now());
        HttpResponse<String> ok = client.postJson(node.url("/v1/verify"),
                "{\"certificate\":\"" + b64(sign.encode()) + "\",\"data\":\"" + b64(data) + "\"}", null);
        assertEquals(200, ok.statusCode(), ok.body());
        MicroCertificate sign2 = chip.sign(data, Instant.now());
        assertError(client.postJson(node.url("/v1/verify"), "{\"certificate\":\"" + b64(sign2.encode())
                + "\",\"data\":\"" + b64("temperature=99".getBytes(StandardCharsets.UTF_8)) + "\"}", null), 403, "BAD_TAG");

        byte[] up = "hello".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> dec = client.send("POST", node.url("/v1/decrypt"), "application/octet-stream",
                chip.encrypt(up, Instant.now()).encode(), null);
        assertEquals(200, dec.statusCode(), dec.body());
        assertArrayEquals(up, Base64.getDecoder().decode(json(dec).get("plaintext").asText()));

        byte[] down = "to the sensor".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> enc = client.postJson(node.url("/v1/sensors/" + chip.sensorId() + "/encrypt"),
                "{\"plaintext\":\"" + b64(down) + "\"}", OPERATOR);
        assertEquals(200, enc.statusCode(), enc.body());
        byte[] cert = Base64.getDecoder().decode(json(enc).get("certificate").asText());
        assertArrayEquals(down, chip.decrypt(MicroCertificate.decode(cert), Instant.now()));
    }

    @Test
    void signAndEncUpBatchesAnswerEachItemInOrder() throws Exception {
        SensorChip a = provisioned();
        SensorChip b = provisioned();
        byte[] data = "t=21.5".getBytes(StandardCharsets.UTF_8);
        byte[] signed = a.sign(data, Instant.now()).encode();
        String items = "{\"items\":[{\"certificate\":\"" + b64(signed) + "\",\"data\":\"" + b64(data) + "\"},"
                + "{\"certificate\":\"" + b64(b.sign(data, Instant.now()).encode()) + "\",\"data\":\""
                + b64("t=99".getBytes(StandardCharsets.UTF_8)) + "\"},"
                + "{\"certificate\":\"" + b64(signed) + "\",\"data\":\"" + b64(data) + "\"},"
                + "{\"certificate\":\"%%%\",\"data\":\"\"},"
                + "null,"
                + "{\"certificate\":\"" + b64(a.authenticate(Instant.now()).encode()) + "\",\"data\":\"\"}]}";
        HttpResponse<String> r = client.postJson(node.url("/v1/verify/batch"), items, null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode results = json(r).get("results");
        assertEquals(1, json(r).get("accepted").asInt(), r.body());
        assertEquals(List.of("ACCEPTED", "BAD_TAG", "REPLAY", "MALFORMED", "MALFORMED", "WRONG_TYPE"),
                List.of(results.get(0).get("outcome").asText(), results.get(1).get("reason").asText(),
                        results.get(2).get("reason").asText(), results.get(3).get("reason").asText(),
                        results.get(4).get("reason").asText(), results.get(5).get("reason").asText()), r.body());
        assertEquals(a.sensorId().toString(), results.get(0).get("sensorId").asText());

        byte[] up = "from a".getBytes(StandardCharsets.UTF_8);
        byte[] fromA = a.encrypt(up, Instant.now()).encode();
        byte[] tampered = b.encrypt("from b".getBytes(StandardCharsets.UTF_8), Instant.now()).encode();
        tampered[tampered.length - 1] ^= 1;
        HttpResponse<String> d = client.postJson(node.url("/v1/decrypt/batch"), "{\"certificates\":[\"" + b64(fromA)
                + "\",\"" + b64(tampered) + "\",\"" + b64(fromA) + "\"]}", null);
        assertEquals(200, d.statusCode(), d.body());
        JsonNode dr = json(d).get("results");
        assertArrayEquals(up, Base64.getDecoder().decode(dr.get(0).get("plaintext").asText()));
        assertEquals("BAD_TAG", dr.get(1).get("reason").asText(), d.body());
        assertFalse(dr.get(1).has("plaintext"));
        assertEquals("REPLAY", dr.get(2).get("reason").asText(), d.body());

        assertError(client.postJson(node.url("/v1/decrypt/batch"), "{\"certificates\":[]}", null), 400, "BAD_JSON");
        assertError(client.postJson(node.url("/v1/verify/batch"), "{\"certificates\":[]}", null), 400, "BAD_JSON");
        StringBuilder big = new StringBuilder("{\"certificates\":[\"AAAA\"");
        big.append(",\"AAAA\"".repeat(ApiLimits.MAX_BATCH));
        assertError(client.postJson(node.url("/v1/decrypt/batch"), big.append("]}").toString(), null), 400,
                "BATCH_TOO_LARGE");
    }

    @Test
    void batchAnswersEachCertificateInOrder() throws Exception {
        SensorChip a = provisioned();
        SensorChip b = provisioned();
        byte[] good = a.authenticate(Instant.now()).encode();
        byte[] forged = b.authenticate(Instant.now()).encode();
        forged[forged.length - 1] ^= 1;
        byte[] strangeSuite = a.authenticate(Instant.now()).encode();
        strangeSuite[1] = 0x07;
        String body = "{\"certificates\":[\"" + b64(good) + "\",\"" + b64(forged) + "\",\"%%%\",\"" + b64(good)
                + "\",\"" + b64(strangeSuite) + "\"]}";
        HttpResponse<String> r = client.postJson(node.url("/v1/authenticate/batch"), body, null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode results = json(r).get("results");
        assertEquals(1, json(r).get("accepted").asInt());
        assertEquals(4, json(r).get("rejected").asInt());
        assertEquals("UNSUPPORTED_SUITE", results.get(4).get("reason").asText());
        assertEquals("ACCEPTED", results.get(0).get("outcome").asText());
        assertEquals("BAD_TAG", results.get(1).get("reason").asText());
        assertEquals("MALFORMED", results.get(2).get("reason").asText());
        assertEquals("REPLAY", results.get(3).get("reason").asText());
        for (int i = 0; i < 4; i++) {
            assertEquals(i, results.get(i).get("index").asInt());
        }

        StringBuilder big = new StringBuilder("{\"certificates\":[");
        for (int i = 0; i < 1001; i++) {
            big.append(i == 0 ? "" : ",").append("\"AAAA\"");
        }
        assertError(client.postJson(node.url("/v1/authenticate/batch"), big.append("]}").toString(), null),
                400, "BATCH_TOO_LARGE");
        assertError(client.postJson(node.url("/v1/authenticate/batch"), "{\"certificates\":[]}", null), 400, "BAD_JSON");
    }

    @Test
    void operatorApiNeedsATokenWithTheRightRole() throws Exception {
        SensorChip chip = provisioned();
        String status = node.url("/v1/sensors/" + chip.sensorId());
        HttpResponse<String> none = client.get(status, null);
        assertError(none, 401, "UNAUTHENTICATED");
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertError(client.get(status, "wrong-token"), 401, "UNAUTHENTICATED");
        HttpResponse<String> byAuditor = client.get(status, AUDITOR);
        assertEquals(200, byAuditor.statusCode(), byAuditor.body());
        assertEquals("ACTIVE", json(byAuditor).get("status").asText());
        assertError(client.postJson(status + "/revoke", "{}", AUDITOR), 403, "FORBIDDEN");
        assertError(client.get(node.url("/v1/sensors/not-a-sensor-id"), OPERATOR), 400, "BAD_SENSOR_ID");
        assertError(client.get(node.url("/v1/sensors/00000000deadbeef"), OPERATOR), 404, "UNKNOWN_SENSOR");
        // upper case is another spelling of that id: refused, never a second journal for one sensor
        assertError(client.get(node.url("/v1/sensors/00000000DEADBEEF"), OPERATOR), 400, "BAD_SENSOR_ID");
    }

    @Test
    void statusNeverShowsSecretsAndProvisioningTwiceConflicts() throws Exception {
        SensorChip chip = provisioned();
        JsonNode s = json(client.get(node.url("/v1/sensors/" + chip.sensorId()), OPERATOR));
        List<String> fields = new ArrayList<>();
        s.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("sensorId", "status", "seedVersion", "pendingSeedVersion", "suite", "epochYear",
                "keyVersion", "provisionedAt", "updatedAt", "counters", "hostedBy"), fields);
        assertError(client.postJson(node.url("/v1/sensors"),
                "{\"envelope\":\"" + b64(fleet.transportEnvelope(chip)) + "\"}", OPERATOR), 409, "ALREADY_PROVISIONED");
        assertError(client.postJson(node.url("/v1/sensors"), "{\"envelope\":\"AAAA\"}", OPERATOR), 400, "BAD_ENVELOPE");
    }

    @Test
    void revokeAndSeedUpdateAnswerCommandsTheSensorAccepts() throws Exception {
        SensorChip chip = provisioned();
        String base = node.url("/v1/sensors/" + chip.sensorId());
        HttpResponse<String> started = client.send("POST", base + "/seed-update", null, null, OPERATOR);
        assertEquals(200, started.statusCode(), started.body());
        assertEquals(2, json(started).get("pendingSeedVersion").asInt());
        byte[] command = Base64.getDecoder().decode(json(started).get("command").asText());
        assertInstanceOf(CommandOrder.SeedUpdate.class, chip.accept(MicroCertificate.decode(command), Instant.now()));
        HttpResponse<String> done = client.postJson(base + "/seed-update/complete",
                "{\"envelope\":\"" + b64(chip.pendingUpdate().orElseThrow().encode()) + "\"}", OPERATOR);
        assertEquals(200, done.statusCode(), done.body());
        assertEquals("UPDATE_PENDING", json(done).get("status").asText(), "until the sensor proves the new seed");
        chip.activatePendingSeed();
        HttpResponse<String> proof = authenticateBinary(chip.authenticate(Instant.now()).encode());
        assertEquals(200, proof.statusCode());
        assertEquals(2, json(proof).get("seedVersion").asInt());

        HttpResponse<String> revoked = client.postJson(base + "/revoke", "{\"reason\":\"stolen\"}", OPERATOR);
        assertEquals(200, revoked.statusCode(), revoked.body());
        assertEquals("REVOKED", json(revoked).get("status").asText());
        byte[] revoke = Base64.getDecoder().decode(json(revoked).get("command").asText());
        assertInstanceOf(CommandOrder.Revoke.class, chip.accept(MicroCertificate.decode(revoke), Instant.now()));
        assertError(client.postJson(base + "/revoke", "{}", OPERATOR), 409, "REVOKED");

        HttpResponse<String> audit = client.get(node.url("/v1/audit?sensorId=" + chip.sensorId()), AUDITOR);
        assertEquals(200, audit.statusCode(), audit.body());
        List<String> actions = new ArrayList<>();
        for (JsonNode r : json(audit).get("records")) {
            actions.add(r.get("action").asText() + ":" + r.get("result").asText() + ":" + r.get("actor").asText());
        }
        // Every call leaves its intent (REQUESTED) before the operation, then its outcome.
        assertEquals(List.of("REVOKE:REVOKED:alice", "REVOKE:REQUESTED:alice", "REVOKE:OK:alice",
                "REVOKE:REQUESTED:alice", "SEED_UPDATE_COMPLETE:OK:alice", "SEED_UPDATE_COMPLETE:REQUESTED:alice",
                "SEED_UPDATE_START:OK:alice", "SEED_UPDATE_START:REQUESTED:alice", "PROVISION:OK:alice",
                "PROVISION:REQUESTED:alice"), actions);
        assertError(client.get(node.url("/v1/audit?limit=abc"), AUDITOR), 400, "BAD_PARAMETER");
        // Fleet-wide calls need the Cassandra journal (this node runs on the in-memory one).
        assertError(client.send("POST", node.url("/v1/rewrap"), null, null, OPERATOR), 501, "NOT_AVAILABLE");
        assertError(client.send("POST", node.url("/v1/backup"), null, null, OPERATOR), 501, "NOT_AVAILABLE");
        assertEquals("BACKUP:NOT_AVAILABLE", actionOf(json(client.get(node.url("/v1/audit?limit=1"), AUDITOR))));
    }

    static String actionOf(JsonNode audit) {
        JsonNode r = audit.get("records").get(0);
        return r.get("action").asText() + ":" + r.get("result").asText();
    }

    @Test
    void bulkImportStreamsOneResultPerLine() throws Exception {
        SensorChip a = TestFleet.chip(0x5000_0001L, Instant.now());
        SensorChip b = TestFleet.chip(0x5000_0002L, Instant.now());
        String lineA = "{\"envelope\":\"" + b64(fleet.transportEnvelope(a)) + "\"}";
        String body = lineA + "\n\n" + "{\"envelope\":\"" + b64(fleet.transportEnvelope(b)) + "\"}\n"
                + "this is not json\n" + lineA + "\n" + "{\"envelope\":\"" + "A".repeat(70_000) + "\"}";
        HttpResponse<String> r = client.send("POST", node.url("/v1/sensors/import"), "application/x-ndjson",
                body.getBytes(StandardCharsets.UTF_8), OPERATOR);
        assertEquals(200, r.statusCode(), r.body());
        String[] lines = r.body().split("\n");
        assertEquals(6, lines.length, r.body());
        assertEquals("PROVISIONED", JSON.readTree(lines[0]).get("result").asText());
        assertEquals(1, JSON.readTree(lines[0]).get("line").asInt());
        assertEquals(3, JSON.readTree(lines[1]).get("line").asInt(), "blank lines keep their number");
        assertEquals("PROVISIONED", JSON.readTree(lines[1]).get("result").asText());
        assertEquals("BAD_JSON", JSON.readTree(lines[2]).get("error").asText());
        assertEquals("ALREADY_PROVISIONED", JSON.readTree(lines[3]).get("result").asText());
        assertEquals("BODY_TOO_LARGE", JSON.readTree(lines[4]).get("error").asText());
        JsonNode summary = JSON.readTree(lines[5]).get("summary");
        assertEquals(5, summary.get("lines").asInt());
        assertEquals(2, summary.get("provisioned").asInt());
        assertEquals(1, summary.get("alreadyProvisioned").asInt());
        assertEquals(2, summary.get("failed").asInt());
        assertEquals(200, authenticateBinary(b.authenticate(Instant.now()).encode()).statusCode());
        assertError(client.send("POST", node.url("/v1/sensors/import"), "application/json", new byte[] {'{', '}'},
                OPERATOR), 415, "UNSUPPORTED_MEDIA_TYPE");
    }

    @Test
    void healthMetricsAndOpenApiAreServed() throws Exception {
        HttpResponse<String> alive = client.get(node.url("/health/alive"), null);
        assertEquals(200, alive.statusCode());
        HttpResponse<String> ready = client.get(node.url("/health/ready"), null);
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("Up", json(ready).get("cluster").asText());
        SensorChip chip = provisioned();
        authenticateBinary(chip.authenticate(Instant.now()).encode());
        HttpResponse<String> metrics = client.get(node.url("/metrics"), null);
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertTrue(metrics.body().contains(
                "microcert_verdicts_total{operation=\"authenticate\",outcome=\"ACCEPTED\",reason=\"\"}"), metrics.body());
        assertTrue(metrics.body().contains("microcert_request_seconds_bucket{route=\"/v1/authenticate\""));
        assertTrue(metrics.body().contains("microcert_sensor_entities_active"));
        JsonNode api = json(client.get(node.url("/openapi.json"), null));
        assertEquals("3.0.3", api.get("openapi").asText());
        assertTrue(api.get("paths").has("/v1/authenticate/batch"));
        assertTrue(api.get("paths").has("/v1/sensors/{sensorId}/seed-update/complete"));
        assertTrue(api.get("paths").has("/v1/sensors/{sensorId}/rewrap"));
        assertTrue(api.get("paths").has("/v1/rewrap"));
    }
}
