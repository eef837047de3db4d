package org.microcert.simulator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.crypto.spec.SecretKeySpec;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.MalformedCertificateException;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorId;
import org.microcert.protocol.VerificationException;
import org.microcert.simulator.fleet.ExportWriter;

/**
 * A single-process stand-in for a MicroCert node, built from the protocol module's verifier and
 * answering as docs/http-api.md says, so that the simulator's own logic (fleet, traffic kinds,
 * accounting, reports, CLI) is tested in seconds. The real node is exercised by
 * {@code SimulatorAgainstRealNodeIT}.
 */
final class ReferenceCenter implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final SecretKeySpec kTrans;
    private final CertificateVerifier verifier = new CertificateVerifier();
    private final Map<SensorId, KeySeed> seeds = new ConcurrentHashMap<>();
    private final Set<SensorId> revoked = ConcurrentHashMap.newKeySet();
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final String token;
    private final boolean broken;
    // Batch items still to be answered UNAVAILABLE before any is judged, as a cold node does.
    private final java.util.concurrent.atomic.AtomicInteger unavailableItems = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger rejectedItems = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Writes what the simulator's CLI needs to talk to a center into {@code dir}: a fresh K_trans
     * factory export ({@code ktrans.mctk}, password in {@code ktrans.pw}) and an operator token file
     * ({@code token}, holding {@code token}). Returns K_trans.
     */
    static byte[] writeClientFiles(java.nio.file.Path dir, String token) throws Exception {
        byte[] kTrans = new byte[32];
        new java.security.SecureRandom().nextBytes(kTrans);
        ExportWriter.write(dir.resolve("ktrans.mctk"), kTrans, "pw-123".toCharArray());
        java.nio.file.Files.writeString(dir.resolve("ktrans.pw"), "pw-123\n");
        java.nio.file.Files.writeString(dir.resolve("token"), token + "\n");
        return kTrans;
    }

    /**
     * Runs {@code microcert-sim command -g url} with the client files {@link #writeClientFiles} wrote
     * in {@code dir}, then {@code args}; its errors go to {@code err}. Returns the exit code.
     */
    static int execute(java.io.StringWriter err, java.nio.file.Path dir, String command, String url, List<String> args) {
        picocli.CommandLine cli = org.microcert.simulator.SimulatorMain.commandLine();
        cli.setErr(new java.io.PrintWriter(err, true));
        List<String> all = new java.util.ArrayList<>(List.of(command, "-g", url, "--transport-key",
                dir.resolve("ktrans.mctk").toString(), "--transport-key-password-file", dir.resolve("ktrans.pw").toString(),
                "--operator-token-file", dir.resolve("token").toString()));
        all.addAll(args);
        return cli.execute(all.toArray(String[]::new));
    }

    /** @param broken accept every certificate that decodes (a center with a hole, for the failure path) */
    ReferenceCenter(byte[] transportKey, String token, boolean broken) throws IOException {
        this.broken = broken;
        this.kTrans = new SecretKeySpec(transportKey, "AES");
        this.token = token;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        server.setExecutor(pool);
        server.createContext("/health/ready", ex -> send(ex, 200, JSON.createObjectNode().put("status", "READY")));
        server.createContext("/v1/authenticate/batch", this::batch);
        server.createContext("/v1/authenticate", ex -> verdict(ex, judge(ex.getRequestBody().readAllBytes(), null, false)));
        server.createContext("/v1/verify", ex -> {
            JsonNode body = JSON.readTree(ex.getRequestBody());
            verdict(ex, judge(b64(body, "certificate"), b64(body, "data"), false));
        });
        server.createContext("/v1/decrypt", ex -> verdict(ex, judge(ex.getRequestBody().readAllBytes(), null, true)));
        server.createContext("/v1/sensors/import", this::importManifest);
        server.createContext("/v1/sensors/", this::revoke);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    int provisioned() {
        return seeds.size();
    }

    /** Answers the next {@code items} batch items UNAVAILABLE (the shard did not answer in time) without judging them. */
    void answerUnavailable(int items) {
        unavailableItems.set(items);
    }

    /** Rejects the next {@code items} batch items as REPLAY without judging them (a center refusing good certificates). */
    void answerRejected(int items) {
        rejectedItems.set(items);
    }

    private static byte[] b64(JsonNode n, String field) {
        return Base64.getDecoder().decode(n.path(field).asText());
    }

    private ObjectNode judge(byte[] bytes, byte[] data, boolean decrypt) {
        ObjectNode v = JSON.createObjectNode();
        MicroCertificate cert;
        try {
            cert = MicroCertificate.decode(bytes);
        } catch (MalformedCertificateException e) {
            return v.put("outcome", "REJECTED").put("reason", "MALFORMED").put("status", 400);
        }
        if (broken) {
            return v.put("outcome", "ACCEPTED").put("status", 200);
        }
        KeySeed seed = seeds.get(cert.sensorId());
        if (seed == null) {
            return v.put("outcome", "REJECTED").put("reason", "UNKNOWN_SENSOR").put("status", 404);
        }
        if (revoked.contains(cert.sensorId())) {
            return v.put("outcome", "REJECTED").put("reason", "REVOKED").put("status", 403);
        }
        try {
            Instant now = Instant.now();
            byte[] plain = null;
            switch (cert.type()) {
                case AUTH -> verifier.verifyAuth(seed, cert, now);
                case SIGN -> verifier.verifySign(seed, cert, data, now);
                default -> plain = verifier.decryptPayload(seed, cert, now);
            }
            if (!seen.add(cert.sensorId() + "/" + cert.timestamp() + "/" + cert.random())) {
                return v.put("outcome", "REJECTED").put("reason", "REPLAY").put("status", 403);
            }
            v.put("outcome", "ACCEPTED").put("status", 200);
            if (decrypt && plain != null) {
                v.put("plaintext", Base64.getEncoder().encodeToString(plain));
            }
            return v;
        } catch (VerificationException e) {
            return v.put("outcome", "REJECTED").put("reason", e.reason().name()).put("status", 403);
        }
    }

    private void verdict(HttpExchange ex, ObjectNode v) throws IOException {
        int status = v.remove("status").asInt();
        send(ex, status, v);
    }

    private void batch(HttpExchange ex) throws IOException {
        JsonNode body = JSON.readTree(ex.getRequestBody());
        ObjectNode answer = JSON.createObjectNode();
        var results = answer.putArray("results");
        int i = 0;
        for (JsonNode c : body.path("certificates")) {
            ObjectNode v = unavailableItems.getAndUpdate(n -> Math.max(0, n - 1)) > 0
                    ? JSON.createObjectNode().put("outcome", "REJECTED").put("reason", "UNAVAILABLE")
                    : rejectedItems.getAndUpdate(n -> Math.max(0, n - 1)) > 0
                    ? JSON.createObjectNode().put("outcome", "REJECTED").put("reason", "REPLAY")
                    : judge(Base64.getDecoder().decode(c.asText()), null, false);
            v.remove("status");
            results.add(v.put("index", i++));
        }
        send(ex, 200, answer);
    }

    private boolean authorized(HttpExchange ex) throws IOException {
        if (!("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            send(ex, 401, JSON.createObjectNode().put("error", "UNAUTHENTICATED"));
            return false;
        }
        return true;
    }

    private void importManifest(HttpExchange ex) throws IOException {
        if (!authorized(ex)) {
            return;
        }
        StringBuilder out = new StringBuilder();
        int line = 0;
        int[] counts = new int[3];
        for (String l : new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (l.isBlank()) {
                continue;
            }
            line++;
            ObjectNode r = JSON.createObjectNode().put("line", line);
            try {
                SeedEnvelope env = SeedEnvelope.decode(b64(JSON.readTree(l), "envelope"));
                KeySeed seed = SeedEnvelope.openTransport(kTrans, env);
                r.put("sensorId", env.sensorId().toString());
                boolean fresh = seeds.putIfAbsent(env.sensorId(), seed) == null;
                r.put("result", fresh ? "PROVISIONED" : "ALREADY_PROVISIONED");
                counts[fresh ? 0 : 1]++;
            } catch (Exception e) {
                r.put("result", "FAILED").put("error", "BAD_ENVELOPE");
                counts[2]++;
            }
            out.append(r).append('\n');
        }
        ObjectNode summary = JSON.createObjectNode();
        summary.putObject("summary").put("lines", line).put("provisioned", counts[0])
                .put("alreadyProvisioned", counts[1]).put("failed", counts[2]);
        out.append(summary).append('\n');
        byte[] b = out.toString().getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    private void revoke(HttpExchange ex) throws IOException {
        if (!authorized(ex)) {
            return;
        }
        String[] parts = ex.getRequestURI().getPath().split("/");
        SensorId id = SensorId.parse(parts[3]);
        if (!seeds.containsKey(id)) {
            send(ex, 404, JSON.createObjectNode().put("error", "UNKNOWN_SENSOR"));
        } else if (!revoked.add(id)) {
            send(ex, 409, JSON.createObjectNode().put("error", "REVOKED"));
        } else {
            send(ex, 200, JSON.createObjectNode().put("sensorId", id.toString()).put("status", "REVOKED"));
        }
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
