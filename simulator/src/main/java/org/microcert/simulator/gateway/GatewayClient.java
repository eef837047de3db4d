package org.microcert.simulator.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
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
    private final OperatorToken operatorToken;
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
        this.gateways = List.copyOf(gateways);
        this.timeout = timeout;
        this.operatorToken = new OperatorToken(operatorToken);
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
                        return Answers.repeat(Verdict.failed(Answers.transportError(error)), n);
                    }
                    if (resp.statusCode() != 200) {
                        return Answers.repeat(Verdict.failed(Answers.httpError(resp)), n);
                    }
                    try {
                        JsonNode results = JSON.readTree(resp.body()).path("results");
                        List<Verdict> out = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            JsonNode item = results.path(i);
                            out.add(item.isMissingNode() ? Verdict.failed("missing-batch-item") : Answers.verdictOf(item, null));
                        }
                        return out;
                    } catch (IOException e) {
                        return Answers.repeat(Verdict.failed("unreadable-answer"), n);
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
                return Verdict.failed(Answers.transportError(error));
            }
            if (resp.statusCode() >= 500) {
                return Verdict.failed(Answers.httpError(resp));
            }
            try {
                JsonNode node = JSON.readTree(resp.body());
                if (!node.has("outcome")) {
                    // a 4xx that is not a verdict (BAD_JSON, UNSUPPORTED_MEDIA_TYPE...): the simulator's fault
                    return Verdict.failed(Answers.httpError(resp));
                }
                return Answers.verdictOf(node, expectedPlaintext);
            } catch (IOException e) {
                return Verdict.failed("unreadable-answer-" + resp.statusCode());
            }
        });
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
                throw new GatewayException(role + " " + g + " is unreachable (" + Answers.transportError(e) + "): " + hint);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GatewayException("interrupted while checking " + g);
            }
            if (resp.statusCode() != 200) {
                throw new GatewayException(role + " " + g + " is not ready (HTTP " + resp.statusCode() + ": "
                        + Answers.excerpt(resp.body()) + ")");
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
            HttpRequest req = operatorToken.authorize(HttpRequest.newBuilder(next("/v1/sensors/" + sensorId + "/revoke"))
                    .timeout(timeout).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString()))).build();
            HttpResponse<byte[]> resp = sendBlocking(req, "revoke " + sensorId);
            if (resp.statusCode() == 200 || Answers.httpError(resp).endsWith("-REVOKED")) {
                return;
            }
            if (resp.statusCode() != 503 || attempt == RETRIES) {
                throw new GatewayException("revoking " + sensorId + " failed: " + Answers.httpError(resp));
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
        return importManifest(lines, envelope, false);
    }

    /**
     * As above; {@code acceptLegacySeeds}: the node's audited exception to its provisioning policy
     * ({@code ?legacy-seeds=accept}), for a manifest with seeds whose five years are over.
     */
    public ImportResult importManifest(int lines, IntFunction<byte[]> envelope, boolean acceptLegacySeeds) {
        String path = acceptLegacySeeds ? "/v1/sensors/import?legacy-seeds=accept" : "/v1/sensors/import";
        HttpRequest req = operatorToken.authorize(HttpRequest.newBuilder(next(path))
                .timeout(timeout.plusMillis(IMPORT_MILLIS_PER_LINE * lines))
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ManifestBody(lines, envelope)))).build();
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new GatewayException("bulk import failed: " + Answers.transportError(e) + " talking to " + req.uri().getHost()
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
            throw new GatewayException("bulk import failed while reading its results: " + Answers.transportError(e));
        }
    }

    /** Time allowed per manifest line: the slowest import seen (a cold node on a busy machine) did ~4 lines/s per request. */
    static final long IMPORT_MILLIS_PER_LINE = 250;

    private HttpResponse<byte[]> sendBlocking(HttpRequest req, String what) {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new GatewayException(what + " failed: " + Answers.transportError(e) + " talking to " + req.uri().getHost()
                    + ":" + req.uri().getPort());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException(what + " interrupted");
        }
    }
}
