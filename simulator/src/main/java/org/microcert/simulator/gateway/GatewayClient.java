package org.microcert.simulator.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.microcert.protocol.Failures;
import org.microcert.simulator.traffic.Verdict;

/**
 * The simulator's side of docs/http-api.md over {@link java.net.http.HttpClient}: device calls
 * answer a {@link Verdict}; operator calls carry the bearer token (never logged or reported).
 * Requests are spread round-robin over the gateways.
 */
public final class GatewayClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();

    private final List<URI> gateways;
    private final HttpClient http;
    private final Duration timeout;
    private final String operatorToken;
    private final AtomicInteger roundRobin = new AtomicInteger();

    /**
     * @param executor      runs the client's callbacks (explicit: on 2 cores the default would be
     *                      a thread per request)
     * @param operatorToken bearer token for operator calls, or null when none are made
     */
    public GatewayClient(List<URI> gateways, Duration timeout, Executor executor, String operatorToken) {
        if (gateways.isEmpty()) {
            throw new IllegalArgumentException("at least one gateway URL is needed");
        }
        if (operatorToken != null && tokenProblem(operatorToken) != null) {
            throw new IllegalArgumentException("the operator token " + tokenProblem(operatorToken)); // never the token itself
        }
        this.gateways = List.copyOf(gateways);
        this.timeout = timeout;
        this.operatorToken = operatorToken;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    public List<URI> gateways() {
        return gateways;
    }

    private URI next(String path) {
        URI base = gateways.get(Math.floorMod(roundRobin.getAndIncrement(), gateways.size()));
        return base.resolve(path);
    }

    /** {@code POST /v1/authenticate} with the raw certificate bytes. */
    public CompletableFuture<Verdict> authenticate(byte[] certificate) {
        return verdictOf(binaryPost("/v1/authenticate", certificate), null);
    }

    private HttpRequest binaryPost(String path, byte[] body) {
        return HttpRequest.newBuilder(next(path)).timeout(timeout).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    /** {@code POST /v1/verify}: a SIGN certificate over {@code data}. */
    public CompletableFuture<Verdict> verify(byte[] certificate, byte[] data) {
        ObjectNode body = JSON.createObjectNode().put("certificate", B64.encodeToString(certificate))
                .put("data", B64.encodeToString(data));
        return verdictOf(jsonPost("/v1/verify", body), null);
    }

    /**
     * {@code POST /v1/decrypt} of an ENC_UP certificate: accepted only when the center's plaintext is
     * {@code expected}; an accepted answer with another plaintext counts as a rejection with reason
     * {@code PLAINTEXT_MISMATCH} (a wrong outcome).
     */
    public CompletableFuture<Verdict> decrypt(byte[] encUpCertificate, byte[] expected) {
        return verdictOf(binaryPost("/v1/decrypt", encUpCertificate), expected);
    }

    /** {@code POST /v1/authenticate/batch}: one verdict per certificate, in order. */
    public CompletableFuture<List<Verdict>> batch(List<byte[]> certificates) {
        return send(prepareBatch(certificates));
    }

    /** A batch request with its body encoded, to be sent later (possibly built before a measurement). */
    public record PreparedBatch(HttpRequest request, int size) {}

    public PreparedBatch prepareBatch(List<byte[]> certificates) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode arr = body.putArray("certificates");
        certificates.forEach(c -> arr.add(B64.encodeToString(c)));
        return new PreparedBatch(jsonPost("/v1/authenticate/batch", body), certificates.size());
    }

    public CompletableFuture<List<Verdict>> send(PreparedBatch batch) {
        int n = batch.size();
        return http.sendAsync(batch.request(), HttpResponse.BodyHandlers.ofByteArray())
                .handle((resp, error) -> {
                    if (error != null) {
                        return repeat(Verdict.failed(transportError(error)), n);
                    }
                    if (resp.statusCode() != 200) {
                        return repeat(Verdict.failed(httpError(resp)), n);
                    }
                    try {
                        JsonNode results = JSON.readTree(resp.body()).path("results");
                        List<Verdict> out = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            JsonNode item = results.path(i);
                            out.add(item.isMissingNode() ? Verdict.failed("missing-batch-item") : verdictOf(item, null));
                        }
                        return out;
                    } catch (IOException e) {
                        return repeat(Verdict.failed("unreadable-answer"), n);
                    }
                });
    }

    private HttpRequest jsonPost(String path, JsonNode body) {
        return jsonPost(next(path), body);
    }

    private HttpRequest jsonPost(URI uri, JsonNode body) {
        try {
            return HttpRequest.newBuilder(uri).timeout(timeout).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a request body", e);
        }
    }

    private CompletableFuture<Verdict> verdictOf(HttpRequest req, byte[] expectedPlaintext) {
        return http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).handle((resp, error) -> {
            if (error != null) {
                return Verdict.failed(transportError(error));
            }
            if (resp.statusCode() >= 500) {
                return Verdict.failed(httpError(resp));
            }
            try {
                JsonNode node = JSON.readTree(resp.body());
                if (!node.has("outcome")) {
                    // a 4xx that is not a verdict (BAD_JSON, UNSUPPORTED_MEDIA_TYPE...): the simulator's fault
                    return Verdict.failed(httpError(resp));
                }
                return verdictOf(node, expectedPlaintext);
            } catch (IOException e) {
                return Verdict.failed("unreadable-answer-" + resp.statusCode());
            }
        });
    }

    /** Reads a verdict object of docs/http-api.md. */
    static Verdict verdictOf(JsonNode node, byte[] expectedPlaintext) {
        String outcome = node.path("outcome").asText("");
        if (outcome.equals("ACCEPTED")) {
            if (expectedPlaintext != null) {
                byte[] got = decodeOrNull(node.path("plaintext").asText(""));
                if (got == null || !Arrays.equals(got, expectedPlaintext)) {
                    return Verdict.rejected("PLAINTEXT_MISMATCH");
                }
            }
            return Verdict.ACCEPTED;
        }
        if (outcome.equals("REJECTED")) {
            String reason = node.path("reason").asText("UNSPECIFIED");
            // the shard did not answer: no verdict on the certificate itself
            return reason.equals("UNAVAILABLE") ? Verdict.failed("UNAVAILABLE") : Verdict.rejected(reason);
        }
        return Verdict.failed("unknown-outcome");
    }

    private static byte[] decodeOrNull(String b64) {
        try {
            return Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static String httpError(HttpResponse<byte[]> resp) {
        String code = "";
        try {
            code = JSON.readTree(resp.body()).path("error").asText("");
        } catch (IOException | RuntimeException e) {
            // not JSON: the status alone says enough
        }
        return "http-" + resp.statusCode() + (code.isEmpty() ? "" : "-" + code);
    }

    /** Longest excerpt of a body quoted in an error. */
    static final int EXCERPT_CHARS = 200;

    /**
     * The start of an answer body, fit for one line of a terminal: whatever answers on that port
     * (another server, a proxy's error page) may send pages of text or escape sequences.
     */
    static String excerpt(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && i < EXCERPT_CHARS; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? String.format(java.util.Locale.ROOT, "\\u%04x", (int) c) : c);
        }
        return text.length() > EXCERPT_CHARS ? out + "... (" + text.length() + " characters)" : out.toString();
    }

    static String transportError(Throwable error) {
        Throwable t = Failures.cause(error);
        if (t instanceof HttpConnectTimeoutException) {
            return "connect-timeout";
        }
        if (t instanceof HttpTimeoutException) {
            return "timeout";
        }
        if (t instanceof ConnectException) {
            return "connect-refused";
        }
        if (t instanceof IOException) {
            return "io";
        }
        return "client-" + t.getClass().getSimpleName();
    }

    private static List<Verdict> repeat(Verdict v, int n) {
        List<Verdict> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(v);
        }
        return out;
    }

    // ---- operator and health calls (blocking; used before and after the timed run) ----

    /**
     * {@code GET /health/ready} on every gateway, polled until all are ready or {@code wait} is over.
     *
     * @throws GatewayException naming the gateway that is unreachable or not ready
     */
    public void awaitReady(Duration wait) throws InterruptedException {
        awaitReady(wait, "gateway", "is a node running there? (ops/bin/node, ops/bin/local-cluster start)");
    }

    /**
     * {@link #awaitReady} of servers that are not gateways, e.g. the benchmark's baseline.
     *
     * @param role what the server is, first word of the errors
     * @param hint what to check when it is unreachable
     */
    public void awaitReady(Duration wait, String role, String hint) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                checkReady(role, hint);
                return;
            } catch (GatewayException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(500); // polling a remote condition
            }
        }
    }

    /**
     * {@code GET /health/ready} on every gateway, once.
     *
     * @throws GatewayException naming the gateway that is unreachable or not ready
     */
    public void checkReady() {
        checkReady("gateway", "is a node running there? (ops/bin/node, ops/bin/local-cluster start)");
    }

    private void checkReady(String role, String hint) {
        for (URI g : gateways) {
            HttpRequest req = HttpRequest.newBuilder(g.resolve("/health/ready")).timeout(Duration.ofSeconds(5)).GET()
                    .build();
            HttpResponse<byte[]> resp;
            try {
                resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw new GatewayException(role + " " + g + " is unreachable (" + transportError(e) + "): " + hint);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GatewayException("interrupted while checking " + g);
            }
            if (resp.statusCode() != 200) {
                throw new GatewayException(role + " " + g + " is not ready (HTTP " + resp.statusCode() + ": "
                        + excerpt(resp.body()) + ")");
            }
        }
    }

    /**
     * {@code POST /v1/sensors/{id}/revoke}.
     *
     * @throws GatewayException when the center refuses (other than "already revoked")
     */
    public void revoke(String sensorId, String reason) throws InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("reason", reason);
        for (int attempt = 1; ; attempt++) {
            HttpRequest req = withToken(HttpRequest.newBuilder(next("/v1/sensors/" + sensorId + "/revoke"))
                    .timeout(timeout).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString()))).build();
            HttpResponse<byte[]> resp = sendBlocking(req, "revoke " + sensorId);
            if (resp.statusCode() == 200 || httpError(resp).endsWith("-REVOKED")) {
                return;
            }
            if (resp.statusCode() != 503 || attempt == RETRIES) {
                throw new GatewayException("revoking " + sensorId + " failed: " + httpError(resp));
            }
            Thread.sleep(500L * attempt); // 503: the key database is busy, retry later (docs/http-api.md)
        }
    }

    /** Attempts of a set-up call answered 503 (or a manifest line answered UNAVAILABLE). */
    public static final int RETRIES = 6;

    /** {@code POST /v1/sensors/import} of the given encoded TRANSPORT envelopes (one manifest line each). */
    public ImportResult importManifest(List<byte[]> envelopes) {
        return importManifest(envelopes.size(), envelopes::get);
    }

    /**
     * {@code POST /v1/sensors/import} of a manifest of {@code lines} lines, each made when the upload
     * reaches it (a manifest of 100,000 lines is ~140 MB: it is never held whole). The node answers
     * once it has read the whole body, then streams one result per line; the request may therefore
     * take as long as provisioning all its lines: its timeout allows {@value #IMPORT_MILLIS_PER_LINE}
     * ms a line on top of {@code --timeout}.
     *
     * @param envelope line index (0-based) to its encoded TRANSPORT envelope
     * @throws GatewayException when the request as a whole fails
     */
    public ImportResult importManifest(int lines, IntFunction<byte[]> envelope) {
        HttpRequest req = withToken(HttpRequest.newBuilder(next("/v1/sensors/import"))
                .timeout(timeout.plusMillis(IMPORT_MILLIS_PER_LINE * lines))
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ManifestBody(lines, envelope)))).build();
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new GatewayException("bulk import failed: " + transportError(e) + " talking to " + req.uri().getHost()
                    + ":" + req.uri().getPort());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException("bulk import interrupted");
        }
        try (InputStream in = resp.body()) {
            if (resp.statusCode() != 200) {
                String code = "";
                try {
                    code = JSON.readTree(in.readNBytes(64 * 1024)).path("error").asText("");
                } catch (IOException | RuntimeException notJson) {
                    // the status alone says enough
                }
                throw new GatewayException("bulk import failed: http-" + resp.statusCode() + (code.isEmpty() ? "" : "-" + code)
                        + (resp.statusCode() == 401 ? " (check --operator-token-file)" : ""));
            }
            return ImportResult.parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), lines);
        } catch (IOException e) {
            throw new GatewayException("bulk import failed while reading its results: " + transportError(e));
        }
    }

    /** Time allowed per manifest line: the slowest import seen (a cold node on a busy machine) did ~4 lines/s per request. */
    static final long IMPORT_MILLIS_PER_LINE = 250;

    /** The NDJSON body, made one line at a time as the connection reads it. */
    private static final class ManifestBody extends InputStream {
        private final int lines;
        private final IntFunction<byte[]> envelope;
        private byte[] line = new byte[0];
        private int pos;
        private int next;

        ManifestBody(int lines, IntFunction<byte[]> envelope) {
            this.lines = lines;
            this.envelope = envelope;
        }

        /** Makes the next line when the current one is used up; false at the end. */
        private boolean fill() {
            if (pos < line.length) {
                return true;
            }
            if (next == lines) {
                return false;
            }
            line = ("{\"envelope\":\"" + B64.encodeToString(envelope.apply(next)) + "\"}\n").getBytes(StandardCharsets.US_ASCII);
            pos = 0;
            next++;
            return true;
        }

        @Override
        public int read() {
            return fill() ? line[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            int n = 0;
            while (n < len && fill()) {
                int k = Math.min(len - n, line.length - pos);
                System.arraycopy(line, pos, b, off + n, k);
                pos += k;
                n += k;
            }
            return n == 0 ? -1 : n;
        }
    }

    /**
     * Why {@code token} cannot be a bearer token, or null when it can. Only visible ASCII, as RFC
     * 6750's b64token: anything else (a line break, a control character) makes the JDK refuse the
     * header with a message that quotes it, token included. The answer never contains the token.
     */
    public static String tokenProblem(String token) {
        if (token.isEmpty()) {
            return "is empty";
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return "must be visible ASCII characters only (no spaces, line breaks or control characters): "
                        + "character " + (i + 1) + " of " + token.length() + " is not";
            }
        }
        return null;
    }

    private HttpRequest.Builder withToken(HttpRequest.Builder b) {
        if (operatorToken == null || operatorToken.isEmpty()) {
            throw new GatewayException("an operator token is needed for provisioning and revocation "
                    + "(--operator-token-file or MICROCERT_OPERATOR_TOKEN)");
        }
        try {
            return b.header("Authorization", "Bearer " + operatorToken);
        } catch (IllegalArgumentException e) {
            // the JDK's message quotes the header value: never pass it on
            throw new GatewayException("the operator token is not a valid HTTP header value");
        }
    }

    private HttpResponse<byte[]> sendBlocking(HttpRequest req, String what) {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new GatewayException(what + " failed: " + transportError(e) + " talking to " + req.uri().getHost()
                    + ":" + req.uri().getPort());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException(what + " interrupted");
        }
    }

    /** A failure of a set-up call, with a message meant for the person running the simulator. */
    public static final class GatewayException extends RuntimeException {
        public GatewayException(String message) {
            super(message);
        }
    }

    /**
     * The summary of one import request, the per-line failures (error codes), the lines (0-based)
     * that failed only because the shard was busy ({@code UNAVAILABLE}: retry them), and the first
     * lines (0-based) answered {@code ALREADY_PROVISIONED}.
     */
    public record ImportResult(long lines, long provisioned, long alreadyProvisioned, long failed,
                               List<String> failures, List<Integer> retryable, List<Integer> alreadyProvisionedLines) {

        /**
         * Reads the result lines as they stream in: one per line sent, each line number once, then
         * the summary (docs/http-api.md). An answer cut short (the node failed mid-stream) or one
         * that does not match the manifest is an error, never a partial success.
         *
         * @param sent lines in the manifest
         */
        static ImportResult parse(BufferedReader ndjson, int sent) throws IOException {
            java.util.BitSet answered = new java.util.BitSet(sent);
            boolean summary = false;
            List<String> failures = new ArrayList<>();
            List<Integer> retryable = new ArrayList<>();
            List<Integer> alreadyLines = new ArrayList<>();
            long lines = 0;
            long provisioned = 0;
            long already = 0;
            long failed = 0;
            for (String line = ndjson.readLine(); line != null; line = ndjson.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException e) {
                    throw new GatewayException("bulk import answered a line that is not JSON");
                }
                if (n.has("summary")) {
                    long counted = n.path("summary").path("lines").asLong(-1);
                    if (counted != sent) {
                        throw new GatewayException("bulk import summary counts " + counted + " lines, but " + sent
                                + " were sent");
                    }
                    summary = true;
                    continue;
                }
                JsonNode number = n.path("line");
                int lineNumber = number.isInt() ? number.asInt() : 0;
                if (lineNumber < 1 || lineNumber > sent) {
                    throw new GatewayException("bulk import answered a result for line "
                            + (number.isIntegralNumber() ? number.asText() : "(none)") + " of a manifest of " + sent);
                }
                if (answered.get(lineNumber - 1)) {
                    throw new GatewayException("bulk import answered line " + lineNumber + " twice");
                }
                answered.set(lineNumber - 1);
                lines++;
                switch (n.path("result").asText("")) {
                    case "PROVISIONED" -> provisioned++;
                    case "ALREADY_PROVISIONED" -> {
                        already++;
                        if (alreadyLines.size() < 10) {
                            alreadyLines.add(lineNumber - 1);
                        }
                    }
                    default -> {
                        failed++;
                        if (n.path("error").asText("").equals("UNAVAILABLE")) {
                            retryable.add(lineNumber - 1);
                        }
                        if (failures.size() < 10) {
                            failures.add("line " + n.path("line").asText("?") + ": " + n.path("error").asText("?")
                                    + " " + n.path("message").asText(""));
                        }
                    }
                }
            }
            if (lines != sent || !summary) {
                // lines answered are provisioned, the others are not (docs/http-api.md): a re-run completes it
                throw new GatewayException("bulk import answered " + lines + " of the " + sent + " lines sent"
                        + (summary ? "" : " and no summary") + ": the answer was cut short (did the node fail?)");
            }
            return new ImportResult(lines, provisioned, already, failed, failures, retryable, alreadyLines);
        }
    }
}
