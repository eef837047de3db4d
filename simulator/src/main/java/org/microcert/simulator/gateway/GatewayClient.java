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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
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
    private final Executor executor;
    // Gateway fleet behaviour (asFleet): a gateway that refused a connection is skipped until then (nanos)
    private final long[] downUntil;
    private volatile boolean fleet;
    private final LongAdder retries = new LongAdder();
    private final LongAdder unavailableRetries = new LongAdder();
    private final LongAdder acceptedBefore = new LongAdder();
    private final LongAdder freshAfterReset = new LongAdder();
    // requests answered in full at their first try, microseconds from send to answer (fleet behaviour)
    private final Recorder firstTry = new Recorder(TimeUnit.HOURS.toMicros(1), 3);

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
        this.executor = executor;
        this.downUntil = new long[this.gateways.size()];
    }

    /**
     * Behaves like a fleet of gateways behind a load balancer (docs/http-api.md "When a node is
     * lost"): a gateway that refuses connections is left alone for {@value #DEAD_GATEWAY_PAUSE_MS}
     * ms; an item without a verdict (503 UNAVAILABLE, a transport error) is sent again after the
     * answer's Retry-After to another gateway, up to {@value #MAX_ATTEMPTS} attempts within the
     * request timeout; a good item retried after an answer that may have been an acceptance and then
     * answered REPLAY counts as accepted before; a good item refused REPLAY_WINDOW_RESET on a retry
     * is replaced by a fresh certificate of its sensor, as a gateway
     * would ask the sensor for one. Off: every item is sent once (benchmarks).
     */
    public GatewayClient asFleet(int connections) {
        this.connections = new Permits(connections);
        fleet = true;
        return this;
    }

    /**
     * At most this many requests on the wire at once (fleet behaviour): an item waiting for its
     * Retry-After holds no connection, so the sensors a failure did not touch are not held up by
     * those it did (the driver's own budget would count the wait). Requests beyond it wait here, in
     * order; their latency still counts from their due time.
     */
    private Permits connections;

    /** A counting permit whose waiters are futures: no thread blocks. */
    static final class Permits {
        private final java.util.ArrayDeque<CompletableFuture<Void>> waiting = new java.util.ArrayDeque<>();
        private int free;

        Permits(int n) {
            free = n;
        }

        synchronized CompletableFuture<Void> acquire() {
            if (free > 0) {
                free--;
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            waiting.add(f);
            return f;
        }

        void release() {
            CompletableFuture<Void> next;
            synchronized (this) {
                next = waiting.poll();
                if (next == null) {
                    free++;
                    return;
                }
            }
            next.complete(null); // outside the lock: it sends the next request
        }
    }

    /** Items sent again (fleet behaviour). */
    public long retries() {
        return retries.sum();
    }

    /** Items sent again because the center answered none (503, UNAVAILABLE), not for a gateway's refused connection. */
    public long unavailableRetries() {
        return unavailableRetries.sum();
    }

    /** Good items answered REPLAY on a retry after an answer that may have been their acceptance. */
    public long acceptedBefore() {
        return acceptedBefore.sum();
    }

    /** Retried items refused REPLAY_WINDOW_RESET and sent again as a fresh certificate of their sensor. */
    public long freshAfterReset() {
        return freshAfterReset.sum();
    }

    /**
     * Latencies (microseconds, send to answer) of the requests answered in full at their first try
     * since the previous call: the traffic a failure did not touch (fleet behaviour).
     */
    public Histogram takeFirstTryLatencies() {
        return firstTry.getIntervalHistogram();
    }

    static final int MAX_ATTEMPTS = 20;
    /** How long an item is retried at most: a node's sensors move in about 8 s, and a gateway keeps a message that long. */
    static final long RETRY_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(30);
    static final long DEAD_GATEWAY_PAUSE_MS = 5_000;

    public List<URI> gateways() {
        return gateways;
    }

    private URI next(String path) {
        return gateway().resolve(path);
    }

    /** The next gateway round-robin, skipping those that refused connections lately (all down: any). */
    private URI gateway() {
        long now = System.nanoTime();
        for (int i = 0; i < gateways.size(); i++) {
            int k = Math.floorMod(roundRobin.getAndIncrement(), gateways.size());
            if (!fleet || downUntil[k] - now <= 0) {
                return gateways.get(k);
            }
        }
        return gateways.get(Math.floorMod(roundRobin.getAndIncrement(), gateways.size()));
    }

    /** A transport error at {@code uri}'s gateway: connection refused or impossible, it is down for a while. */
    private void noted(URI uri, String error) {
        if (fleet && error != null && (error.startsWith("connect") || error.equals("io"))) {
            for (int k = 0; k < gateways.size(); k++) {
                URI g = gateways.get(k);
                if (g.getHost().equals(uri.getHost()) && g.getPort() == uri.getPort()) {
                    downUntil[k] = System.nanoTime() + DEAD_GATEWAY_PAUSE_MS * 1_000_000;
                }
            }
        }
    }

    /** {@code POST /v1/authenticate} with the raw certificate bytes. */
    public CompletableFuture<Verdict> authenticate(byte[] certificate) {
        if (fleet) { // retried, but never counted as accepted before: it may be anybody's certificate
            return single((g, c) -> binaryPost(g.resolve("/v1/authenticate"), c), certificate, null, false, null);
        }
        return verdictOf(binaryPost("/v1/authenticate", certificate), null);
    }

    /**
     * {@code POST /v1/authenticate} of a good certificate; {@code fresh} makes a new one of the same
     * sensor, sent instead when a retry is refused REPLAY_WINDOW_RESET (fleet behaviour).
     */
    public CompletableFuture<Verdict> authenticate(byte[] certificate, Supplier<byte[]> fresh) {
        if (!fleet) {
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
        if (fleet) {
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
        if (fleet) {
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
        return new PreparedBatch(batchRequest(gateway(), certificates), certificates.size(), certificates, fresh);
    }

    private HttpRequest batchRequest(URI gateway, List<byte[]> certificates) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode arr = body.putArray("certificates");
        certificates.forEach(c -> arr.add(B64.encodeToString(c)));
        return jsonPost(gateway.resolve("/v1/authenticate/batch"), body);
    }

    public CompletableFuture<List<Verdict>> send(PreparedBatch batch) {
        if (!fleet) {
            return sendBatch(batch.request(), batch.size()).thenApply(Attempt::verdicts);
        }
        List<Pending> items = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            items.add(new Pending(i, batch.certificates().get(i), batch.fresh() == null ? null : batch.fresh().get(i),
                    false, false));
        }
        Verdict[] out = new Verdict[batch.size()];
        // the first try sends the request as prepared; later ones what is left, to the next gateway
        return rounds((g, pending) -> g == null ? sendBatch(batch.request(), batch.size())
                        : sendBatch(batchRequest(g, pending.stream().map(Pending::certificate).toList()), pending.size()),
                items, out, true, null, 1, System.nanoTime() + Math.max(timeout.toNanos(), RETRY_WINDOW_NANOS), 0)
                .thenApply(done -> List.of(out));
    }

    private CompletableFuture<Attempt> sendBatch(HttpRequest request, int n) {
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .handle((resp, error) -> {
                    if (error != null) {
                        String e = Answers.transportError(error);
                        noted(request.uri(), e);
                        return new Attempt(Answers.repeat(Verdict.failed(e), n), 0);
                    }
                    if (resp.statusCode() != 200) {
                        return new Attempt(Answers.repeat(Verdict.failed(Answers.httpError(resp)), n), retryAfterMillis(resp));
                    }
                    try {
                        JsonNode results = JSON.readTree(resp.body()).path("results");
                        List<Verdict> out = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            JsonNode item = results.path(i);
                            out.add(item.isMissingNode() ? Verdict.failed("missing-batch-item") : Answers.verdictOf(item, null));
                        }
                        return new Attempt(out, RETRY_UNAVAILABLE_ITEM_MS);
                    } catch (IOException e) {
                        return new Attempt(Answers.repeat(Verdict.failed("unreadable-answer"), n), 0);
                    }
                });
    }

    // ---- fleet behaviour: retries ----

    /** An item still to be answered: its position, its certificate, and whether an earlier try may have been accepted. */
    private record Pending(int index, byte[] certificate, Supplier<byte[]> fresh, boolean inDoubt, boolean retried) {}

    /** The verdicts of one try, and how long to wait before the next (the answer's Retry-After). */
    private record Attempt(List<Verdict> verdicts, long retryAfterMillis) {}

    /** Sends {@code pending} to a gateway (null: the request as first prepared). */
    private interface Try {
        CompletableFuture<Attempt> send(URI gateway, List<Pending> pending);
    }

    /** A batch item without a verdict: its shard was moving; the batch answer carries no Retry-After. */
    static final long RETRY_UNAVAILABLE_ITEM_MS = 1_000;

    private CompletableFuture<Verdict> single(BiFunction<URI, byte[], HttpRequest> request,
                                              byte[] certificate, Supplier<byte[]> fresh, boolean good, byte[] expected) {
        Verdict[] out = new Verdict[1];
        Try once = (g, pending) -> {
            HttpRequest req = request.apply(g == null ? gateway() : g, pending.get(0).certificate());
            return http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).handle((resp, error) -> {
                Verdict v = readVerdict(resp, error, expected);
                if (error != null) {
                    noted(req.uri(), ((Verdict.Failed) v).error());
                }
                return new Attempt(List.of(v), resp == null ? 0 : retryAfterMillis(resp));
            });
        };
        return rounds(once, List.of(new Pending(0, certificate, fresh, false, false)), out, good, expected, 1,
                System.nanoTime() + Math.max(timeout.toNanos(), RETRY_WINDOW_NANOS), 0).thenApply(done -> out[0]);
    }

    /**
     * One round of tries after {@code delayMillis}, then another for what got no verdict, until
     * every item has one, {@link #MAX_ATTEMPTS} or the deadline.
     */
    private CompletableFuture<Void> rounds(Try attempt, List<Pending> pending, Verdict[] out, boolean good, byte[] expected,
                                           int round, long deadline, long delayMillis) {
        Executor after = delayMillis > 0 ? CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS, executor)
                : executor;
        long[] sent = new long[1];
        return CompletableFuture.supplyAsync(() -> {
                    sent[0] = System.nanoTime();
                    return round == 1 ? null : gateway();
                }, after)
                .thenCompose(g -> connections.acquire().thenCompose(x -> attempt.send(g, pending))
                        .whenComplete((a, e) -> connections.release()))
                .thenCompose(a -> {
                    List<Pending> again = new ArrayList<>();
                    boolean mayRetry = round < MAX_ATTEMPTS && System.nanoTime() < deadline;
                    for (int k = 0; k < pending.size(); k++) {
                        Pending p = pending.get(k);
                        Verdict v = a.verdicts().get(k);
                        String reason = v instanceof Verdict.Rejected r ? r.reason() : "";
                        if (v instanceof Verdict.Failed f && mayRetry) {
                            retries.increment();
                            // refused before any gateway took it: it cannot have been accepted
                            boolean maybeAccepted = !f.error().startsWith("connect");
                            if (maybeAccepted) {
                                unavailableRetries.increment();
                            }
                            again.add(new Pending(p.index(), p.certificate(), p.fresh(), p.inDoubt() || maybeAccepted, true));
                        } else if (good && p.inDoubt() && reason.equals("REPLAY")) {
                            // only our own earlier try can have been accepted: a good certificate is sent by nobody else
                            acceptedBefore.increment();
                            out[p.index()] = Verdict.ACCEPTED;
                        } else if (good && p.retried() && p.fresh() != null && mayRetry
                                && reason.equals("REPLAY_WINDOW_RESET")) {
                            freshAfterReset.increment();
                            again.add(new Pending(p.index(), p.fresh().get(), null, false, true));
                        } else {
                            out[p.index()] = v;
                        }
                    }
                    if (again.isEmpty()) {
                        if (round == 1) {
                            firstTry.recordValue(Math.min(TimeUnit.HOURS.toMicros(1), (System.nanoTime() - sent[0]) / 1000));
                        }
                        return CompletableFuture.completedFuture(null);
                    }
                    return rounds(attempt, again, out, good, expected, round + 1, deadline,
                            Math.max(MIN_RETRY_MS, a.retryAfterMillis()));
                });
    }

    static final long MIN_RETRY_MS = 100;

    /** The answer's Retry-After in milliseconds (seconds form only), else 1 s for a 503, else 0. */
    private static long retryAfterMillis(HttpResponse<byte[]> resp) {
        try {
            return resp.headers().firstValue("Retry-After").map(v -> Long.parseLong(v.trim()) * 1000)
                    .orElse(resp.statusCode() == 503 ? 1000L : 0L);
        } catch (NumberFormatException httpDate) {
            return 1000;
        }
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
                .handle((resp, error) -> readVerdict(resp, error, expectedPlaintext));
    }

    private static Verdict readVerdict(HttpResponse<byte[]> resp, Throwable error, byte[] expectedPlaintext) {
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
        HttpRequest req = operatorToken.authorize(HttpRequest.newBuilder(next("/v1/sensors/import"))
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
