package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;

/**
 * Issue 21 item 6: what a hostile client sends, over a raw socket to a bound node. Every answer is a
 * documented JSON error with a request id, never a 5xx for the client's own mistakes.
 */
class HostileClientTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String OPERATOR = "operator-token-0123456789abcdef";

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(OPERATOR) + " operator alice\n");
        node = new TestNode("HostileClientTest", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString(
                "microcert.http.tokens-file = \"" + tokens + "\"\nmicrocert.http.import-body-timeout = 2s\n"
                // its wrong tokens are hostile input, not the failure limit under test (AuthFailureLimitHttpTest)
                + "microcert.http.operator-auth-failures.max-failures = 1000000")),
                fleet.openCard("hostile-test"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    /** An answer read off the socket: status line, headers (lower-case names), body. */
    record Answer(int status, Map<String, String> headers, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    static int port() {
        return URI.create(node.url("/")).getPort();
    }

    /** Sends {@code request} as is and reads one answer (at most 15 s). */
    static Answer raw(byte[] request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            return read(socket.getInputStream());
        }
    }

    static Answer raw(String request) throws IOException {
        return raw(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Answer read(InputStream in) throws IOException {
        String status = line(in);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            headers.put(h.substring(0, h.indexOf(':')).toLowerCase(Locale.ROOT), h.substring(h.indexOf(':') + 1).strip());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headers.containsKey("content-length")) {
            int length = Integer.parseInt(headers.get("content-length"));
            body.write(in.readNBytes(length));
        } else if ("chunked".equals(headers.get("transfer-encoding"))) {
            for (int n = Integer.parseInt(line(in), 16); n > 0; n = Integer.parseInt(line(in), 16)) {
                body.write(in.readNBytes(n));
                line(in);
            }
        }
        return new Answer(Integer.parseInt(status.split(" ")[1]), headers, body.toString(StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed mid-answer after '" + b + "'");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    /** A documented JSON error: the status, the code, a message, and a request id. */
    static JsonNode assertError(Answer a, int status, String code) throws IOException {
        assertEquals(status, a.status(), a.body());
        assertTrue(a.headers().getOrDefault("content-type", "").startsWith("application/json"), a.headers().toString());
        JsonNode body = a.json();
        assertEquals(code, body.path("error").asText(), a.body());
        assertFalse(body.path("message").asText().isEmpty(), a.body());
        assertTrue(a.headers().getOrDefault("x-request-id", "").matches("[A-Za-z0-9._-]{1,64}"), a.headers().toString());
        return body;
    }

    static String post(String path, String contentType, String extraHeaders, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + OPERATOR
                + "\r\nContent-Type: " + contentType + "\r\n" + extraHeaders + "Content-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    // 1. client errors that were 500s

    @Test
    void aMalformedChunkedBodyIsABadRequest() throws Exception {
        Answer a = raw("POST /v1/verify HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
        assertError(a, 400, "BAD_BODY");
    }

    @Test
    void aChunkedBodyOverTheLimitIsTooLarge() throws Exception {
        StringBuilder b = new StringBuilder("POST /v1/authenticate HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        String chunk = "x".repeat(1024);
        for (int i = 0; i < 8; i++) { // 8 KiB, the limit is 4 KiB
            b.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        b.append("0\r\n\r\n");
        assertError(raw(b.toString()), 413, "BODY_TOO_LARGE");
    }

    @Test
    void anAuditQueryOutOfTheTimestampRangeIsABadParameter() throws Exception {
        Answer a = raw("GET /v1/audit?since=-999999999-01-01T00:00:00Z HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + OPERATOR + "\r\n\r\n");
        assertEquals("'since' must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
                assertError(a, 400, "BAD_PARAMETER").get("message").asText());
    }

    // 2. a revoke reason that is no text

    @Test
    void anUnpairedSurrogateInAReasonIsBadJson() throws Exception {
        Answer a = raw(post("/v1/sensors/00000000000a0001/revoke", "application/json", "", "{\"reason\":\"\\ud800\"}"));
        assertEquals("field 'reason' is not valid text (an unpaired UTF-16 surrogate)",
                assertError(a, 400, "BAD_JSON").get("message").asText());
    }

    @Test
    void aControlCharacterInAReasonIsBadJson() throws Exception {
        Answer a = raw(post("/v1/sensors/00000000000a0001/revoke", "application/json", "", "{\"reason\":\"a\\nFORGED\"}"));
        assertEquals("'reason' must not contain control characters", assertError(a, 400, "BAD_JSON").get("message").asText());
    }

    // 3. what Pekko HTTP answers before routing

    @Test
    void parsingErrorsAreJsonErrorsWithARequestId() throws Exception {
        assertError(raw("GET /v1/audit HTTP/1.2\r\nHost: localhost\r\n\r\n"), 505, "HTTP_VERSION_NOT_SUPPORTED");
        assertError(raw("GET /v1/audit HTTP/2.0\r\nHost: localhost\r\n\r\n"), 505, "HTTP_VERSION_NOT_SUPPORTED");
        assertError(raw("FOO /v1/audit HTTP/1.1\r\nHost: localhost\r\n\r\n"), 501, "NOT_IMPLEMENTED");
        assertError(raw("get /v1/audit HTTP/1.1\r\nHost: localhost\r\n\r\n"), 501, "NOT_IMPLEMENTED");
        assertError(raw("GET /" + "a".repeat(3000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n"), 414, "URI_TOO_LONG");
        assertError(raw("GET /v1/audit HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n"),
                431, "HEADERS_TOO_LARGE");
        assertError(raw("GET /v1/au<dit HTTP/1.1\r\nHost: localhost\r\n\r\n"), 400, "BAD_REQUEST");
        assertError(raw("GET /v1/audit HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n"), 400, "BAD_REQUEST");
        // Pekko's own 422 for these: a body where none can be
        assertError(raw("CONNECT /v1/audit HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}"), 400, "UNEXPECTED_BODY");
        assertError(raw("HEAD /v1/audit HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}"), 400, "UNEXPECTED_BODY");
        assertError(raw("GET /v1/\0audit HTTP/1.1\r\nHost: localhost\r\n\r\n"), 400, "BAD_REQUEST");
    }

    // 4. a manifest upload that never ends

    @Test
    void aDrippingImportIsABodyTimeout() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/sensors/import HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + OPERATOR
                    + "\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            InputStream in = socket.getInputStream();
            // a byte every 300 ms (never idle for 10 s) until the answer comes; the test config's total is 2 s
            for (int i = 0; i < 30 && in.available() == 0; i++) {
                out.write("1\r\n{\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(300);
            }
            Answer a = read(in);
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertTrue(seconds >= 2 && seconds < 8, "answered after " + seconds + " s");
            assertEquals("the manifest did not arrive within 2 s", assertError(a, 408, "BODY_TIMEOUT").get("message").asText());
        }
    }

    // 6. messages in API terms

    @Test
    void badJsonMessagesNameNoJavaOrJacksonInternals() throws Exception {
        Map<String, String> expected = Map.of(
                "{", "not valid JSON: unexpected end of input",
                "[1,", "not valid JSON: Unexpected end-of-input within/between Array entries",
                "{\"certificate\":\"a\"} {}", "data after the JSON object",
                "[]", "expected a JSON object",
                "{\"certificate\":{}}", "field 'certificate' has the wrong type: expected a string",
                "{\"certificate\":\"AAAA\",\"x\":1}", "unknown field 'x'");
        for (var e : expected.entrySet()) {
            Answer a = raw(post("/v1/authenticate", "application/json", "", e.getKey()));
            assertEquals(e.getValue(), assertError(a, 400, "BAD_JSON").get("message").asText(), e.getKey());
        }
        Answer a = raw(post("/v1/sensors/import", "application/x-ndjson", "", "{\n[]\n{\"envelope\":1}\n"));
        assertEquals(200, a.status(), a.body());
        String[] lines = a.body().split("\n");
        assertEquals("not valid JSON: unexpected end of input", JSON.readTree(lines[0]).get("message").asText());
        assertEquals("expected a JSON object", JSON.readTree(lines[1]).get("message").asText());
        assertEquals("field 'envelope' has the wrong type: expected a string", JSON.readTree(lines[2]).get("message").asText());
        assertFalse(a.body().matches("(?s).*(org\\.|com\\.fasterxml|\\$|`|Source:|Feature).*"), a.body());
    }

    // 5. secrets and control bytes in the log

    @Test
    void noTokenOrControlByteReachesTheLog() throws Exception {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        root.addAppender(logged);
        try {
            String secret = "s3cret-operator-token-9f8e7d6c5b4a";
            // a non-ASCII byte makes the Authorization header illegal: Pekko warned with its whole value
            raw(("GET /v1/audit HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + secret + "\u00e9\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            raw("GET /v1/\u0001\u001b[31mred HTTP/1.1\r\nHost: localhost\r\n\r\n");
            // a marker: once it is logged, so is everything the requests above made the node log
            Answer marker = raw("GET /v1/<marker HTTP/1.1\r\nHost: localhost\r\n\r\n");
            String markerId = marker.headers().get("x-request-id");
            org.microcert.cluster.Poll.until(java.time.Duration.ofSeconds(10), "the marker in the log",
                    () -> lines(logged).stream().anyMatch(l -> l.contains(markerId)));
            for (String line : lines(logged)) {
                assertFalse(line.contains(secret), "the token was logged: " + line);
                assertFalse(line.chars().anyMatch(c -> c < 0x20 && c != '\n' && c != '\t'), "a control byte was logged: " + line);
            }
        } finally {
            root.detachAppender(logged);
        }
    }

    @Test
    void aRefusedCallsAuditRecordHoldsNoControlCharacter() throws Exception {
        // from an address of its own: failed authentications are audited once per address and window
        Answer refused;
        try (Socket socket = new Socket("127.0.0.1", port(), java.net.InetAddress.getByName("127.0.0.3"), 0)) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(("POST /v1/sensors/%0Aforged%00%1b/revoke HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer wrong\r\nX-Request-Id: audit-ctl-1\r\nContent-Length: 0\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            refused = read(socket.getInputStream());
        }
        assertError(refused, 401, "UNAUTHENTICATED");
        Answer audit = raw("GET /v1/audit?limit=1000 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + OPERATOR
                + "\r\n\r\n");
        JsonNode record = null;
        for (JsonNode r : audit.json().get("records")) {
            record = r.get("requestId").asText().equals("audit-ctl-1") ? r : record;
        }
        assertTrue(record != null, audit.body());
        String detail = record.get("detail").asText();
        assertFalse(detail.chars().anyMatch(Character::isISOControl), "control character in the audit detail: " + detail);
        assertTrue(detail.startsWith("source 127.0.0.3: POST /v1/sensors/"), detail);
    }

    private static java.util.List<String> lines(
            ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged) {
        synchronized (logged.list) {
            return logged.list.stream().map(e -> e.getFormattedMessage()
                    + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage())).toList();
        }
    }

    // 7. leniency

    @Test
    void dotSegmentsAreRefusedBeforeRouting() throws Exception {
        for (String path : new String[] {"/v1/sensors/../rewrap", "/v1/sensors/%2e%2e/rewrap", "/v1/sensors/%2E./rewrap",
                "/v1/./rewrap", "/v1/sensors/00000000000a0001/revoke/.."}) {
            JsonNode e = assertError(raw(post(path, "application/json", "", "")), 400, "BAD_PATH");
            assertTrue(e.get("message").asText().contains("'..'"), path);
        }
        assertError(raw("GET /v1/../v1/audit?x=/../ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + OPERATOR
                + "\r\n\r\n"), 400, "BAD_PATH");
        // dots inside a segment are no dot segments
        assertError(raw(post("/v1/sensors/..x/revoke", "application/json", "", "")), 400, "BAD_SENSOR_ID");
    }

    @Test
    void jsonMustBeUtf8() throws Exception {
        byte[] utf16 = "{\"certificate\":\"AAAA\"}".getBytes(StandardCharsets.UTF_16BE);
        byte[] head = ("POST /v1/authenticate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + utf16.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] request = java.util.Arrays.copyOf(head, head.length + utf16.length);
        System.arraycopy(utf16, 0, request, head.length, utf16.length);
        assertEquals("the body is not UTF-8 (it has NUL bytes: UTF-16 or UTF-32?)",
                assertError(raw(request), 400, "BAD_JSON").get("message").asText());
        assertEquals("the body is not UTF-8", assertError(raw(post("/v1/authenticate", "application/json", "",
                "{\"certificate\":\"#\"}").replace("#", "\u00ff")), 400, "BAD_JSON").get("message").asText());
        // Pekko's model drops a charset parameter of application/json: the bytes decide, UTF-8 only
        String declared = new String(request, StandardCharsets.ISO_8859_1).replace("application/json", "application/json; charset=utf-16");
        assertEquals("the body is not UTF-8 (it has NUL bytes: UTF-16 or UTF-32?)",
                assertError(raw(declared), 400, "BAD_JSON").get("message").asText());
    }

    @Test
    void endpointsWithoutABodyRefuseOne() throws Exception {
        assertError(raw("GET /v1/audit HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + OPERATOR
                + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"), 400, "UNEXPECTED_BODY");
        assertError(raw("GET /health/alive HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "1\r\nx\r\n0\r\n\r\n"), 400, "UNEXPECTED_BODY");
        assertError(raw(post("/v1/rewrap", "application/json", "", "{}")), 400, "UNEXPECTED_BODY");
        assertError(raw(post("/v1/backup", "application/json", "", "{\"all\":true}")), 400, "UNEXPECTED_BODY");
    }

    @Test
    void sensorZeroIsReserved() throws Exception {
        String envelope = java.util.Base64.getEncoder().encodeToString(
                fleet.transportEnvelope(TestFleet.chip(0, java.time.Instant.now())));
        assertEquals("sensor id 0000000000000000 is reserved", assertError(raw(post("/v1/sensors", "application/json", "",
                "{\"envelope\":\"" + envelope + "\"}")), 400, "BAD_SENSOR_ID").get("message").asText());
        Answer a = raw(post("/v1/sensors/import", "application/x-ndjson", "", "{\"envelope\":\"" + envelope + "\"}\n"));
        JsonNode line = JSON.readTree(a.body().split("\n")[0]);
        assertEquals("BAD_SENSOR_ID", line.get("error").asText(), a.body());
    }

    // the whole route table, at random

    static final int FUZZ_REQUESTS = 600;

    /**
     * Random methods, paths (the documented endpoints, then mutated), headers and bodies, each on its
     * own connection. Fails on a 500/503 or other 5xx than the documented 501s and 505, an error
     * that is not the JSON shape, an answer without a request id, or no answer within 15 s.
     * Fixed seed: a failure names the request, and re-running replays it.
     */
    @Test
    void randomRequestsAlwaysGetADocumentedAnswer() throws Exception {
        java.util.Random random = new java.util.Random(20261205L);
        JsonNode paths = JSON.readTree(raw("GET /openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n").body()).get("paths");
        java.util.List<String[]> operations = new java.util.ArrayList<>();
        paths.fieldNames().forEachRemaining(path -> paths.get(path).fieldNames().forEachRemaining(
                m -> operations.add(new String[] {m.toUpperCase(Locale.ROOT), path})));
        assertTrue(operations.size() > 10, "the route table from /openapi.json");
        String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO", "get", "CONNECT"};
        String[] ids = {"00000000000a0001", "0000000000000000", "ffffffffffffffff", "ABCDEF0123456789", "xyz", "%00", "%2e%2e",
                "00000000000a00011", "", "%ff%fe", "0".repeat(300)};
        String[] mutations = {"", "/", "//", "/x", "?a=b", "?since=-999999999-01-01T00:00:00Z", "%20", ";x=1", "#f", "/..", "/%2e",
                "?limit=99999999999", "?sensorId=%00"};
        String[] types = {"application/json", "application/octet-stream", "application/x-ndjson", "text/plain", "application/json; charset=utf-16",
                "garbage", "multipart/form-data; boundary=x"};
        String[] tokens = {OPERATOR, "nope", OPERATOR + "\u00e9", "", "Basic dXNlcjpwYXNz", OPERATOR + " extra"};
        String[] bodies = {"", "{}", "{\"envelope\":\"AAAA\"}", "{\"certificate\":\"AAAA\"}", "{\"certificates\":[\"AAAA\"]}",
                "{\"reason\":\"\\ud800\"}", "{\"reason\":1}", "[", "null", "{\"envelope\":\"AAAA\"}\n{\n", "\u0000\u0001", "x".repeat(5000),
                "{\"data\":\"AAAA\",\"certificate\":\"AAAA\"}", "{\"plaintext\":\"AAAA\"}"};
        java.util.TreeMap<Integer, Integer> seen = new java.util.TreeMap<>();
        for (int i = 0; i < FUZZ_REQUESTS; i++) {
            String[] op = operations.get(random.nextInt(operations.size()));
            String method = random.nextInt(4) == 0 ? methods[random.nextInt(methods.length)] : op[0];
            String path = op[1].replace("{sensorId}", ids[random.nextInt(ids.length)]) + (random.nextBoolean() ? ""
                    : mutations[random.nextInt(mutations.length)]);
            String body = bodies[random.nextInt(bodies.length)];
            StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
            if (random.nextInt(4) > 0) {
                request.append("Authorization: Bearer ").append(tokens[random.nextInt(tokens.length)]).append("\r\n");
            }
            if (random.nextInt(4) > 0) {
                request.append("Content-Type: ").append(types[random.nextInt(types.length)]).append("\r\n");
            }
            if (random.nextInt(5) == 0) {
                request.append("X-Request-Id: ").append(random.nextBoolean() ? "abc-123" : "x".repeat(100) + "\u0007").append("\r\n");
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            if (random.nextInt(3) == 0) { // chunked, sometimes with a broken chunk header
                request.append("Transfer-Encoding: chunked\r\n\r\n");
                if (!body.isEmpty()) {
                    request.append(random.nextInt(4) == 0 ? "zz" : Integer.toHexString(bytes.length)).append("\r\n")
                            .append(new String(bytes, StandardCharsets.ISO_8859_1)).append("\r\n");
                }
                request.append("0\r\n\r\n");
            } else if (!body.isEmpty() || random.nextBoolean()) {
                request.append("Content-Length: ").append(bytes.length).append("\r\n\r\n")
                        .append(new String(bytes, StandardCharsets.ISO_8859_1));
            } else {
                request.append("\r\n");
            }
            String described = "request " + i + ": " + request.toString().replace("\r\n", " | ");
            described = described.length() > 400 ? described.substring(0, 400) + "..." : described;
            Answer a;
            try {
                a = rawUntilClosed(request.toString().getBytes(StandardCharsets.ISO_8859_1), method.equals("HEAD"));
            } catch (IOException e) {
                throw new AssertionError("no answer (" + e.getMessage() + ") to " + described, e);
            }
            int status = a.status();
            seen.merge(status, 1, Integer::sum);
            assertTrue(status < 500 || status == 501 || status == 505, status + " " + a.body() + " for " + described);
            assertTrue(a.headers().containsKey("x-request-id"), "no X-Request-Id for " + described);
            if (status >= 400 && !method.equals("HEAD")) {
                assertTrue(a.headers().getOrDefault("content-type", "").startsWith("application/json"), described);
                JsonNode error = a.json();
                assertFalse(error.path("error").asText().isEmpty(), a.body() + " for " + described);
                assertFalse(error.path("message").asText().isEmpty(), a.body() + " for " + described);
                if (status == 501) {
                    assertTrue(Set.of("NOT_IMPLEMENTED", "NOT_AVAILABLE").contains(error.get("error").asText()), described);
                }
            }
        }
        System.out.println("random requests by status: " + seen);
        // the mix reaches the handlers, not only the refusals in front of them
        assertTrue(seen.keySet().containsAll(Set.of(200, 400, 401, 404, 405, 415)), "statuses seen: " + seen);
        assertTrue(Set.of(200, 201, 400, 401, 403, 404, 405, 408, 409, 413, 414, 415, 431, 501).containsAll(seen.keySet()),
                "only documented statuses: " + seen);
    }

    /** One answer on a connection the client closes after it: read to the end, at most 15 s. */
    static Answer rawUntilClosed(byte[] request, boolean head) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            if (head) { // no body follows the headers
                ByteArrayOutputStream h = new ByteArrayOutputStream();
                while (!h.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    int c = in.read();
                    if (c < 0) {
                        throw new IOException("closed mid-headers");
                    }
                    h.write(c);
                }
                String text = h.toString(StandardCharsets.ISO_8859_1);
                Map<String, String> headers = new LinkedHashMap<>();
                for (String line : text.split("\r\n")) {
                    if (line.contains(":")) {
                        headers.put(line.substring(0, line.indexOf(':')).toLowerCase(Locale.ROOT), line.substring(line.indexOf(':') + 1).strip());
                    }
                }
                return new Answer(Integer.parseInt(text.split(" ")[1]), headers, "");
            }
            return read(in);
        }
    }
}
