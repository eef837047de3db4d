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
                "microcert.http.tokens-file = \"" + tokens + "\"\nmicrocert.http.import-body-timeout = 2s")),
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
}
