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
import java.util.function.BiFunction;
import java.util.function.Supplier;
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
    // gateway choice, and the fleet behaviour when switched on (asFleet)
    private final GatewayFleet fleet;

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
        this.fleet = new GatewayFleet(this.gateways, executor);
    }

    /**
     * Behaves like a fleet of gateways behind a load balancer ({@link GatewayFleet}) with at most
     * {@code connections} requests on the wire. Off: every item is sent once (benchmarks).
     */
    public GatewayClient asFleet(int connections) {
        fleet.start(connections);
        return this;
    }

    /** The fleet behaviour's counters. */
    public GatewayFleet fleet() {
        return fleet;
    }

    public List<URI> gateways() {
        return gateways;
    }

    private URI next(String path) {
        return fleet.gateway().resolve(path);
    }

    /** {@code POST /v1/authenticate} with the raw certificate bytes. */
    public CompletableFuture<Verdict> authenticate(byte[] certificate) {
        if (fleet.active()) { // retried, but never counted as accepted before: it may be anybody's certificate
            return single((g, c) -> binaryPost(g.resolve("/v1/authenticate"), c), certificate, null, false, null);
        }
        return verdictOf(binaryPost("/v1/authenticate", certificate), null);
    }

    /**
     * {@code POST /v1/authenticate} of a good certificate; {@code fresh} makes a new one of the same
     * sensor, sent instead when a retry is refused REPLAY_WINDOW_RESET (fleet behaviour).
     */
    public CompletableFuture<Verdict> authenticate(byte[] certificate, Supplier<byte[]> fresh) {
        if (!fleet.active()) {
            return authenticate(certificate);
        }
        return single((g, c) -> binaryPost(g.resolve("/v1/authenticate"), c), certificate, fresh, true, null);
    }

    private HttpRequest binaryPost(String path, byte[] body) {
        return binaryPost(next(path), body);
    }

    private HttpRequest binaryPost(URI uri, byte[] body) {
        return HttpRequest.newBuilder(uri).timeout(timeout).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    /** {@code POST /v1/verify}: a SIGN certificate over {@code data}. */
    public CompletableFuture<Verdict> verify(byte[] certificate, byte[] data) {
        return verify(certificate, data, null);
    }

    /** As above; {@code fresh}: a new SIGN certificate of the same sensor over the same data (fleet behaviour). */
    public CompletableFuture<Verdict> verify(byte[] certificate, byte[] data, Supplier<byte[]> fresh) {
        if (fleet.active()) {
            return single((g, c) -> jsonPost(g.resolve("/v1/verify"), verifyBody(c, data)), certificate, fresh, true, null);
        }
        return verdictOf(jsonPost("/v1/verify", verifyBody(certificate, data)), null);
    }

    private static ObjectNode verifyBody(byte[] certificate, byte[] data) {
        return JSON.createObjectNode().put("certificate", B64.encodeToString(certificate))
                .put("data", B64.encodeToString(data));
    }

    /**
     * {@code POST /v1/decrypt} of an ENC_UP certificate: accepted only when the center's plaintext is
     * {@code expected}; an accepted answer with another plaintext counts as a rejection with reason
     * {@code PLAINTEXT_MISMATCH} (a wrong outcome).
     */
    public CompletableFuture<Verdict> decrypt(byte[] encUpCertificate, byte[] expected) {
        return decrypt(encUpCertificate, expected, null);
    }

    /** As above; {@code fresh}: a new ENC_UP certificate of the same sensor and plaintext (fleet behaviour). */
    public CompletableFuture<Verdict> decrypt(byte[] encUpCertificate, byte[] expected, Supplier<byte[]> fresh) {
        if (fleet.active()) {
            return single((g, c) -> binaryPost(g.resolve("/v1/decrypt"), c), encUpCertificate, fresh, true, expected);
        }
        return verdictOf(binaryPost("/v1/decrypt", encUpCertificate), expected);
    }

    /** {@code POST /v1/authenticate/batch}: one verdict per certificate, in order. */
    public CompletableFuture<List<Verdict>> batch(List<byte[]> certificates) {
        return send(prepareBatch(certificates));
    }

    /**
     * A batch request with its body encoded, to be sent later (possibly built before a measurement);
     * {@code fresh}: per item, a maker of a new certificate of its sensor (null: none).
     */
    public record PreparedBatch(HttpRequest request, int size, List<byte[]> certificates, List<Supplier<byte[]>> fresh) {}

    public PreparedBatch prepareBatch(List<byte[]> certificates) {
        return prepareBatch(certificates, null);
    }

    public PreparedBatch prepareBatch(List<byte[]> certificates, List<Supplier<byte[]>> fresh) {
        return new PreparedBatch(batchRequest(fleet.gateway(), certificates), certificates.size(), certificates, fresh);
    }

    private HttpRequest batchRequest(URI gateway, List<byte[]> certificates) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode arr = body.putArray("certificates");
        certificates.forEach(c -> arr.add(B64.encodeToString(c)));
        return jsonPost(gateway.resolve("/v1/authenticate/batch"), body);
    }

    public CompletableFuture<List<Verdict>> send(PreparedBatch batch) {
        if (!fleet.active()) {
            return sendBatch(batch.request(), batch.size()).thenApply(GatewayFleet.Attempt::verdicts);
        }
        List<GatewayFleet.Pending> items = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            items.add(new GatewayFleet.Pending(i, batch.certificates().get(i), batch.fresh() == null ? null : batch.fresh().get(i),
                    false, false));
        }
        Verdict[] out = new Verdict[batch.size()];
        // the first try sends the request as prepared; later ones what is left, to the next gateway
        return fleet.rounds((g, pending) -> g == null ? sendBatch(batch.request(), batch.size())
                        : sendBatch(batchRequest(g, pending.stream().map(GatewayFleet.Pending::certificate).toList()), pending.size()),
                items, out, true, null, 1, System.nanoTime() + fleet.deadline(timeout), 0)
                .thenApply(done -> List.of(out));
    }

    private CompletableFuture<GatewayFleet.Attempt> sendBatch(HttpRequest request, int n) {
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .handle((resp, error) -> {
                    if (error != null) {
                        String e = Answers.transportError(error);
                        fleet.noted(request.uri(), e);
                        return new GatewayFleet.Attempt(Answers.repeat(Verdict.failed(e), n), 0);
                    }
                    if (resp.statusCode() != 200) {
                        return new GatewayFleet.Attempt(Answers.repeat(Verdict.failed(Answers.httpError(resp)), n), GatewayFleet.retryAfterMillis(resp));
                    }
                    try {
                        JsonNode results = JSON.readTree(resp.body()).path("results");
                        List<Verdict> out = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            JsonNode item = results.path(i);
                            out.add(item.isMissingNode() ? Verdict.failed("missing-batch-item") : Answers.verdictOf(item, null));
                        }
                        return new GatewayFleet.Attempt(out, GatewayFleet.RETRY_UNAVAILABLE_ITEM_MS);
                    } catch (IOException e) {
                        return new GatewayFleet.Attempt(Answers.repeat(Verdict.failed("unreadable-answer"), n), 0);
                    }
                });
    }

    private CompletableFuture<Verdict> single(BiFunction<URI, byte[], HttpRequest> request,
                                              byte[] certificate, Supplier<byte[]> fresh, boolean good, byte[] expected) {
        Verdict[] out = new Verdict[1];
        GatewayFleet.Try once = (g, pending) -> {
            HttpRequest req = request.apply(g == null ? fleet.gateway() : g, pending.get(0).certificate());
            return http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).handle((resp, error) -> {
                Verdict v = Answers.readVerdict(resp, error, expected);
                if (error != null) {
                    fleet.noted(req.uri(), ((Verdict.Failed) v).error());
                }
                return new GatewayFleet.Attempt(List.of(v), resp == null ? 0 : GatewayFleet.retryAfterMillis(resp));
            });
        };
        return fleet.rounds(once, List.of(new GatewayFleet.Pending(0, certificate, fresh, false, false)), out, good, expected, 1,
                System.nanoTime() + fleet.deadline(timeout), 0).thenApply(done -> out[0]);
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
        return http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray())
                .handle((resp, error) -> Answers.readVerdict(resp, error, expectedPlaintext));
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
        return importManifest(envelopes.size(), envelopes::get, false);
    }

    /**
     * {@code POST /v1/sensors/import} of a manifest of {@code lines} lines, each made when the upload
     * reaches it (a manifest of 100,000 lines is ~140 MB: it is never held whole). The node answers
     * once it has read the whole body, then streams one result per line; the request may therefore
     * take as long as provisioning all its lines: its timeout allows {@value #IMPORT_MILLIS_PER_LINE}
     * ms a line on top of {@code --timeout}.
     *
     * @param envelope line index (0-based) to its encoded TRANSPORT envelope
     * @param acceptLegacySeeds ask for the node's audited exception to its provisioning policy
     *     ({@code ?legacy-seeds=accept}): for a manifest with seeds whose five years are over
     * @throws GatewayException when the request as a whole fails
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
