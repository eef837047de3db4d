package org.microcert.cluster.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.microcert.cluster.audit.AuditRecord;
import org.microcert.cluster.audit.AuditTrail;
import org.microcert.cluster.http.BearerTokens.Principal;
import org.microcert.cluster.http.BearerTokens.Role;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.BatchCollector;
import org.microcert.cluster.sensor.RefusalCode;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Rewrapped;
import org.microcert.cluster.sensor.SensorMessages.SensorStatus;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.cluster.sensor.VerdictReason;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.Failures;
import org.microcert.protocol.MalformedCertificateException;
import org.microcert.protocol.MalformedEnvelopeException;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's routes: device traffic, the operator API, health, metrics and the OpenAPI document,
 * exactly as docs/http-api.md describes them. Every refusal is a JSON error with a stable code;
 * unexpected failures are logged with the request id and answered as {@code 500 INTERNAL} without
 * details.
 */
public final class GatewayRoutes extends AllDirectives {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayRoutes.class);
    /** Continuations here are short and non-blocking: run them where the future completes. */
    private static final Executor SAME_THREAD = Runnable::run;

    static final long AUTH_LIMIT = 4 * 1024;
    static final long PAYLOAD_LIMIT = 1024 * 1024;
    static final long BATCH_LIMIT = 256 * 1024;
    static final long OPERATOR_LIMIT = 128 * 1024;
    static final int MAX_BATCH = 1000;
    static final int MAX_IMPORT_LINE = 64 * 1024;
    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(10);

    private static final ContentType JSON = ContentTypes.APPLICATION_JSON;
    private static final MediaType NDJSON = MediaTypes.applicationWithOpenCharset("x-ndjson");
    private static final String REQUEST_ID = "X-Request-Id";
    private static final Pattern SENSOR_SEGMENT = Pattern.compile("/[0-9A-Fa-f]{16}(?=/|$)");
    private static final Set<Role> ANY_ROLE = Set.of(Role.OPERATOR, Role.AUDITOR);
    private static final Set<Role> OPERATOR = Set.of(Role.OPERATOR);

    /** What the readiness probe reports. */
    public interface Readiness {
        /** True when this node is an Up cluster member. */
        boolean clusterUp();

        /** The member status name, for the readiness body. */
        String clusterStatus();

        /** True when the last journal probe answered. */
        boolean journalUp();

        /** Cluster members with status Up, as this node sees them. */
        int upMembers();
    }

    private final SensorClient sensors;
    private final BearerTokens tokens;
    private final AuditTrail audit;
    private final Metrics metrics;
    private final Readiness readiness;
    private final Backups backups;
    private final SensorIds sensorIds;
    private final int importParallelism;
    private final int rewrapParallelism;
    private final Duration backupTimeout;
    private final byte[] openApi;
    private final Route route;

    public GatewayRoutes(SensorClient sensors, BearerTokens tokens, AuditTrail audit, Metrics metrics,
                         Readiness readiness, Backups backups, SensorIds sensorIds, int importParallelism,
                         int rewrapParallelism, Duration backupTimeout) {
        this.sensors = sensors;
        this.tokens = tokens;
        this.audit = audit;
        this.metrics = metrics;
        this.readiness = readiness;
        this.backups = backups;
        this.sensorIds = sensorIds;
        this.importParallelism = importParallelism;
        this.rewrapParallelism = rewrapParallelism;
        this.backupTimeout = backupTimeout;
        this.openApi = OpenApi.document();
        this.route = buildRoute();
    }

    /** The whole API, built once (building routes per request would cost more than serving them). */
    public Route route() {
        return route;
    }

    // Pekko HTTP's Java DSL calls a directive's Supplier<Route> for every request that reaches it (it
    // is a Scala by-name argument), so routes and handlers are built here once and handed over with
    // once(): built inside the suppliers, the device routes, the rejection handler and its error
    // bodies were rebuilt for every request (the node allocated a quarter more at 250 authenticate/s).
    private Route buildRoute() {
        Route api = concat(
                pathPrefix("v1", once(concat(deviceRoutes(), headerValueByName(REQUEST_ID, this::operatorRoutes)))),
                pathPrefix("health", once(concat(
                        path("alive", once(get(once(json(StatusCodes.OK, Json.object().put("status", "ALIVE")))))),
                        path("ready", once(get(this::ready)))))),
                path("metrics", once(get(() -> complete(HttpResponse.create().withEntity(
                        ContentTypes.parse(metrics.contentType()), metrics.scrape()))))),
                path("openapi.json", once(get(once(complete(HttpResponse.create().withEntity(JSON, openApi)))))));
        return instrumented(handleExceptions(exceptionHandler(), once(handleRejections(rejectionHandler(), once(api)))));
    }

    /** A route built once, as the supplier the Java DSL takes. */
    private static Supplier<Route> once(Route route) {
        return () -> route;
    }

    // ---------------------------------------------------------------- device traffic

    private Route deviceRoutes() {
        return concat(
                path(PathMatchers.segment("authenticate").slash("batch"), once(post(once(batch())))),
                path("authenticate", once(post(once(certificateBody(AUTH_LIMIT,
                        cert -> judge("authenticate", cert, c -> sensors.authenticate(c.sensorId(), cert))))))),
                path("verify", once(post(once(jsonBody(PAYLOAD_LIMIT, Json.SignBody.class, b -> {
                    byte[] cert = Json.base64(b.certificate(), "certificate");
                    byte[] data = Json.base64(b.data(), "data");
                    // Only the digest goes to the entity: the data may exceed an Artery frame (256 KiB).
                    return judge("verify", cert, c -> sensors.verify(c.sensorId(), cert,
                            CertificateVerifier.signDigest(c.suite(), data)));
                }))))),
                path("decrypt", once(post(once(certificateBody(PAYLOAD_LIMIT,
                        cert -> judge("decrypt", cert, c -> sensors.decrypt(c.sensorId(), cert))))))));
    }

    /** An octet-stream body (the certificate itself) or JSON {@code {"certificate": base64}}. */
    private Route certificateBody(long limit, Function<byte[], Route> inner) {
        return body(limit, Set.of(MediaTypes.APPLICATION_OCTET_STREAM, MediaTypes.APPLICATION_JSON), (type, bytes) ->
                inner.apply(type.equals(MediaTypes.APPLICATION_OCTET_STREAM) ? bytes
                        : Json.base64(Json.parse(bytes, Json.CertificateBody.class).certificate(), "certificate")));
    }

    private Route judge(String operation, byte[] certificate, Function<MicroCertificate, CompletionStage<Verdict>> ask) {
        MicroCertificate decoded;
        try {
            decoded = MicroCertificate.decode(certificate);
        } catch (MalformedCertificateException e) {
            metrics.verdict(operation, "REJECTED", "MALFORMED");
            return verdictResponse(Verdict.rejected(null, VerdictReason.MALFORMED, e.getMessage(), now()));
        }
        requireJournal();
        return completeWithFuture(ask.apply(decoded).thenApplyAsync(v -> {
            metrics.verdict(operation, v.accepted() ? "ACCEPTED" : "REJECTED", reasonName(v));
            return verdictHttp(v);
        }, SAME_THREAD));
    }

    private Route verdictResponse(Verdict v) {
        return complete(verdictHttp(v));
    }

    private static HttpResponse verdictHttp(Verdict v) {
        ObjectNode body = verdictJson(v);
        StatusCode status = v.accepted() ? StatusCodes.OK : verdictStatus(v.reason());
        return HttpResponse.create().withStatus(status).withEntity(JSON, Json.bytes(body));
    }

    /** Exhaustive: a new reason does not compile until it has a status. */
    static StatusCode verdictStatus(VerdictReason reason) {
        return switch (reason) {
            case MALFORMED -> StatusCodes.BAD_REQUEST;
            case UNKNOWN_SENSOR -> StatusCodes.NOT_FOUND;
            case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
            case INTERNAL -> StatusCodes.INTERNAL_SERVER_ERROR;
            case BAD_TAG, STALE_TIMESTAMP, FUTURE_TIMESTAMP, SEED_EXPIRED, UNSUPPORTED_SUITE, WRONG_TYPE, WRONG_SENSOR,
                    WRONG_SEED_VERSION, REPLAYED, REVOKED, REPLAY, REPLAY_WINDOW_RESET, RATE_LIMITED -> StatusCodes.FORBIDDEN;
        };
    }

    private static String reasonName(Verdict v) {
        return v.reason() == null ? null : v.reason().name();
    }

    private static ObjectNode verdictJson(Verdict v) {
        ObjectNode o = Json.object().put("outcome", v.accepted() ? "ACCEPTED" : "REJECTED");
        if (v.sensorId() != null) {
            o.put("sensorId", v.sensorId());
        }
        if (v.accepted()) {
            o.put("timestamp", v.timestamp()).put("seedVersion", v.seedVersion());
            if (v.plaintext() != null) {
                o.put("plaintext", Json.base64(v.plaintext()));
            }
        } else {
            o.put("reason", v.reason().name()).put("error", v.reason().name()).put("message", v.message())
                    .put("serverTime", v.serverTime());
        }
        return o;
    }

    private Route batch() {
        return jsonBody(BATCH_LIMIT, Json.BatchBody.class, b -> {
            List<String> items = Json.required(b.certificates(), "certificates");
            if (items.isEmpty()) {
                throw ApiError.badJson("'certificates' is empty");
            }
            if (items.size() > MAX_BATCH) {
                throw new ApiError(StatusCodes.BAD_REQUEST, "BATCH_TOO_LARGE",
                        items.size() + " certificates in one batch; at most " + MAX_BATCH);
            }
            requireJournal();
            long now = now();
            // Items that do not decode are judged here; the rest go to their entities in one fan-out.
            Verdict[] verdicts = new Verdict[items.size()];
            List<Integer> positions = new ArrayList<>(items.size());
            List<BatchCollector.Item> decoded = new ArrayList<>(items.size());
            for (int i = 0; i < items.size(); i++) {
                try {
                    byte[] cert = Json.base64(items.get(i), "certificates[]");
                    decoded.add(new BatchCollector.Item(MicroCertificate.decode(cert).sensorId(), cert));
                    positions.add(i);
                } catch (ApiError e) {
                    verdicts[i] = Verdict.rejected(null, VerdictReason.MALFORMED, "not base64", now);
                } catch (MalformedCertificateException e) {
                    verdicts[i] = Verdict.rejected(null, VerdictReason.MALFORMED, e.getMessage(), now);
                }
            }
            return completeWithFuture(sensors.authenticateAll(decoded).thenApply(judged -> {
                for (int k = 0; k < judged.size(); k++) {
                    verdicts[positions.get(k)] = judged.get(k);
                }
                return HttpResponse.create().withEntity(HttpEntities.create(JSON, batchAnswer(verdicts)));
            }));
        });
    }

    /**
     * The batch answer, streamed: a tree of 1,000 small objects costs the node more than judging the
     * certificates does. Fields as {@link #verdictJson} minus {@code error} and {@code serverTime}.
     */
    private ByteString batchAnswer(Verdict[] verdicts) {
        int accepted = 0;
        for (Verdict v : verdicts) {
            accepted += v.accepted() ? 1 : 0;
            metrics.verdict("batch", v.accepted() ? "ACCEPTED" : "REJECTED", reasonName(v));
        }
        // ~110 bytes per accepted item: sized so it does not grow, and handed over without a copy
        ExposedBuffer out = new ExposedBuffer(64 + 128 * verdicts.length);
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("accepted", accepted);
            g.writeNumberField("rejected", verdicts.length - accepted);
            g.writeArrayFieldStart("results");
            for (int i = 0; i < verdicts.length; i++) {
                Verdict v = verdicts[i];
                g.writeStartObject();
                g.writeNumberField("index", i);
                g.writeStringField("outcome", v.accepted() ? "ACCEPTED" : "REJECTED");
                if (v.sensorId() != null) {
                    g.writeStringField("sensorId", v.sensorId());
                }
                if (v.accepted()) {
                    g.writeNumberField("timestamp", v.timestamp());
                    g.writeNumberField("seedVersion", v.seedVersion());
                } else {
                    g.writeStringField("reason", reasonName(v));
                    g.writeStringField("message", v.message());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toByteString();
    }

    /** A ByteArrayOutputStream whose content becomes a ByteString without the two copies of toByteArray and ByteString. */
    private static final class ExposedBuffer extends java.io.ByteArrayOutputStream {
        ExposedBuffer(int size) {
            super(size);
        }

        /** No write may follow: the ByteString shares the buffer. */
        ByteString toByteString() {
            return ByteString.fromArrayUnsafe(buf, 0, count);
        }
    }

    // ---------------------------------------------------------------- operator API

    private Route operatorRoutes(String requestId) {
        return concat(
                pathPrefix("sensors", () -> concat(
                        pathEnd(() -> post(() -> authorized(OPERATOR, requestId, p -> provision(p, requestId)))),
                        path("import", () -> post(() -> authorized(OPERATOR, requestId, p -> importManifest(p, requestId)))),
                        pathPrefix(PathMatchers.segment(), idText -> sensorRoutes(idText, requestId)))),
                path("audit", () -> get(() -> authorized(ANY_ROLE, requestId, p -> auditQuery()))),
                path("rewrap", () -> post(() -> authorized(OPERATOR, requestId, p -> rewrapAll(p, requestId)))),
                // The answer starts only once the whole journal is scanned and the file written.
                path("backup", () -> post(() -> withRequestTimeout(backupTimeout,
                        () -> authorized(OPERATOR, requestId, p -> backup(p, requestId))))));
    }

    private Route sensorRoutes(String idText, String requestId) {
        return concat(
                pathEnd(() -> get(() -> authorized(ANY_ROLE, requestId, p -> {
                    SensorId id = Json.sensorId(idText);
                    return operatorReply(() -> sensors.status(id), StatusCodes.OK, null);
                }))),
                path("revoke", () -> post(() -> authorized(OPERATOR, requestId, p -> {
                    SensorId id = Json.sensorId(idText);
                    return optionalJsonBody(Json.RevokeBody.class, b -> {
                        String reason = b == null ? null : b.reason();
                        if (reason != null && reason.length() > 200) {
                            throw ApiError.badJson("'reason' is longer than 200 characters");
                        }
                        return audited(p, "REVOKE", id, reason, requestId, () -> sensors.revoke(id, reason, p.name()), "command");
                    });
                }))),
                path("seed-update", () -> post(() -> authorized(OPERATOR, requestId, p -> {
                    SensorId id = Json.sensorId(idText);
                    return optionalJsonBody(Json.EmptyBody.class, b ->
                            audited(p, "SEED_UPDATE_START", id, null, requestId, () -> sensors.startSeedUpdate(id, p.name()), "command"));
                }))),
                path(PathMatchers.segment("seed-update").slash("complete"), () -> post(() -> authorized(OPERATOR, requestId, p -> {
                    SensorId id = Json.sensorId(idText);
                    return jsonBody(OPERATOR_LIMIT, Json.EnvelopeBody.class, b -> {
                        byte[] envelope = Json.base64(b.envelope(), "envelope");
                        SeedEnvelope env = envelope(envelope, SeedEnvelope.Kind.UPDATE);
                        if (!env.sensorId().equals(id)) {
                            throw new ApiError(StatusCodes.BAD_REQUEST, "BAD_ENVELOPE",
                                    "the envelope is for sensor " + env.sensorId() + ", not " + id);
                        }
                        return audited(p, "SEED_UPDATE_COMPLETE", id, null, requestId,
                                () -> sensors.completeSeedUpdate(id, envelope, p.name()), null);
                    });
                }))),
                path("rewrap", () -> post(() -> authorized(OPERATOR, requestId, p -> {
                    SensorId id = Json.sensorId(idText);
                    return optionalJsonBody(Json.EmptyBody.class, b ->
                            audited(p, "REWRAP", id, null, requestId, () -> sensors.rewrap(id, p.name()), null));
                }))),
                path("encrypt", () -> post(() -> authorized(OPERATOR, requestId, p -> {
                    SensorId id = Json.sensorId(idText);
                    return jsonBody(OPERATOR_LIMIT, Json.EncryptBody.class, b -> {
                        byte[] plaintext = Json.base64(b.plaintext(), "plaintext");
                        if (plaintext.length > MicroCertificate.MAX_PAYLOAD) {
                            throw ApiError.badJson("'plaintext' is longer than " + MicroCertificate.MAX_PAYLOAD + " bytes");
                        }
                        return audited(p, "ENCRYPT", id, null, requestId, () -> sensors.encrypt(id, plaintext), "certificate");
                    });
                }))));
    }

    private Route provision(Principal p, String requestId) {
        return jsonBody(OPERATOR_LIMIT, Json.EnvelopeBody.class, b -> {
            byte[] envelope = Json.base64(b.envelope(), "envelope");
            SeedEnvelope env = envelope(envelope, SeedEnvelope.Kind.TRANSPORT);
            return audited(p, "PROVISION", env.sensorId(), null, requestId,
                    () -> sensors.provision(env.sensorId(), envelope, p.name()), null, StatusCodes.CREATED);
        });
    }

    private static SeedEnvelope envelope(byte[] bytes, SeedEnvelope.Kind kind) {
        SeedEnvelope env;
        try {
            env = SeedEnvelope.decode(bytes);
        } catch (MalformedEnvelopeException e) {
            throw new ApiError(StatusCodes.BAD_REQUEST, "BAD_ENVELOPE", e.getMessage());
        }
        if (env.kind() != kind) {
            throw new ApiError(StatusCodes.BAD_REQUEST, "BAD_ENVELOPE",
                    "expected a " + kind + " envelope, got " + env.kind());
        }
        return env;
    }

    private Route audited(Principal p, String action, SensorId id, String detail, String requestId,
                          Supplier<CompletionStage<OperatorReply>> op, String certificateField) {
        return audited(p, action, id, detail, requestId, op, certificateField, StatusCodes.OK);
    }

    /**
     * Runs a key-management operation (only when the journal answers) between its two audit records
     * ({@link #auditAround}), then answers.
     */
    private Route audited(Principal p, String action, SensorId id, String detail, String requestId,
                          Supplier<CompletionStage<OperatorReply>> op, String certificateField, StatusCode okStatus) {
        requireJournal();
        return completeWithFuture(auditAround(p, action, id, detail, requestId, op, GatewayRoutes::resultOf)
                .thenApplyAsync(o -> withAuditWarning(operatorHttp(o.reply(), okStatus, certificateField,
                        o.outcomeUnrecorded()), o), SAME_THREAD));
    }

    /** A key-management reply, and whether its outcome record could not be written. */
    record Audited<T>(T reply, boolean outcomeUnrecorded) {}

    static final String AUDIT_WARNING = "AUDIT_OUTCOME_NOT_RECORDED";

    /**
     * No key-management change without an audit record: the intent ({@code REQUESTED}) is written
     * first and the operation runs only once it is stored; if it cannot be stored the call fails with
     * {@code 503 AUDIT_UNAVAILABLE} and nothing is asked of the sensor. After the operation its
     * outcome is recorded; when that write fails the change has still happened, so the answer stays
     * the operation's own, marked {@link Audited#outcomeUnrecorded()} (counted, logged without secrets).
     */
    private <T> CompletionStage<Audited<T>> auditAround(Principal p, String action, SensorId id, String detail,
                                                        String requestId, Supplier<CompletionStage<T>> op,
                                                        Function<T, String> resultOf) {
        return store(auditRecord(p, action, id, "REQUESTED", detail, requestId)).handleAsync((ok, failure) -> {
            if (failure != null) {
                metrics.keyOperation(action, "AUDIT_UNAVAILABLE");
                LOG.error("request {}: {} refused, its audit intent could not be stored ({})", requestId, action,
                        Failures.cause(failure).getClass().getSimpleName());
                throw new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "AUDIT_UNAVAILABLE",
                        "the audit trail cannot be written; nothing was changed; retry later");
            }
            return ok;
        }, SAME_THREAD).thenComposeAsync(ok -> start(op), SAME_THREAD).handleAsync((reply, failure) -> {
            if (failure != null && Failures.cause(failure) instanceof ApiError a && a.code().equals("AUDIT_UNAVAILABLE")) {
                return CompletableFuture.<Audited<T>>failedFuture(a);
            }
            String result = failure != null ? failureCode(failure) : resultOf.apply(reply);
            metrics.keyOperation(action, result);
            return store(auditRecord(p, action, id, result, detail, requestId)).handleAsync((ok, auditFailure) -> {
                if (auditFailure != null) {
                    metrics.auditOutcomeUnrecorded(action);
                    LOG.error("request {}: the outcome {} of {} on sensor {} is not in the audit trail ({})", requestId,
                            result, action, id, Failures.cause(auditFailure).getClass().getSimpleName());
                }
                if (failure != null) {
                    throw failure instanceof CompletionException c ? c : new CompletionException(failure);
                }
                return new Audited<>(reply, auditFailure != null);
            }, SAME_THREAD);
        }, SAME_THREAD).thenComposeAsync(Function.identity(), SAME_THREAD);
    }

    private static String resultOf(OperatorReply reply) {
        return reply instanceof Refused r ? r.error().name() : "OK";
    }

    /** Runs {@code op}, turning a synchronous throw into a failed stage. */
    private static <T> CompletionStage<T> start(Supplier<CompletionStage<T>> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletionStage<Void> store(AuditRecord r) {
        try {
            return audit.record(r);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static AuditRecord auditRecord(Principal p, String action, SensorId id, String result, String detail,
                                           String requestId) {
        return new AuditRecord(Instant.now(), p.name(), p.role().label(), action,
                id == null ? null : id.toString(), result, detail, requestId);
    }

    /** Marks an answer whose audit outcome is missing: a {@code Warning} header (the JSON field is set by the caller). */
    private static HttpResponse withAuditWarning(HttpResponse response, Audited<?> o) {
        return !o.outcomeUnrecorded() ? response : response.addHeader(RawHeader.create("Warning",
                "199 microcert \"the outcome of this operation is not in the audit trail\""));
    }

    private Route operatorReply(Supplier<CompletionStage<OperatorReply>> op, StatusCode okStatus, String certificateField) {
        requireJournal();
        return completeWithFuture(op.get().thenApplyAsync(r -> operatorHttp(r, okStatus, certificateField, false),
                SAME_THREAD));
    }

    private static HttpResponse operatorHttp(OperatorReply reply, StatusCode okStatus, String certificateField,
                                             boolean auditWarning) {
        ObjectNode body;
        StatusCode status = okStatus;
        if (reply instanceof Refused r) {
            body = Json.error(r.error().name(), r.message());
            status = refusedStatus(r.error());
        } else if (reply instanceof Rewrapped w) {
            body = statusJson(w.status()).put("previousKeyVersion", w.previousKeyVersion()).put("rewrapped", w.changed());
        } else {
            Done done = (Done) reply;
            body = statusJson(done.status());
            if (certificateField != null) {
                body.put(certificateField, done.certificate() == null ? null : Json.base64(done.certificate()));
            }
        }
        if (auditWarning) {
            body.put("auditWarning", AUDIT_WARNING);
        }
        HttpResponse response = HttpResponse.create().withStatus(status).withEntity(JSON, Json.bytes(body));
        if (status.equals(StatusCodes.SERVICE_UNAVAILABLE)) {
            response = response.addHeader(RawHeader.create("Retry-After", "2"));
        }
        return status.equals(StatusCodes.CREATED) && reply instanceof Done done
                ? response.addHeader(RawHeader.create("Location", "/v1/sensors/" + done.status().sensorId()))
                : response;
    }

    /** Exhaustive: a new code does not compile until it has a status. */
    static StatusCode refusedStatus(RefusalCode code) {
        return switch (code) {
            case UNKNOWN_SENSOR -> StatusCodes.NOT_FOUND;
            case BAD_ENVELOPE -> StatusCodes.BAD_REQUEST;
            case INTERNAL -> StatusCodes.INTERNAL_SERVER_ERROR;
            case ALREADY_PROVISIONED, REVOKED, SEED_EXPIRED, NO_UPDATE_PENDING, WRONG_SEED_VERSION -> StatusCodes.CONFLICT;
        };
    }

    static ObjectNode statusJson(SensorStatus s) {
        ObjectNode o = Json.object().put("sensorId", s.sensorId()).put("status", s.status())
                .put("seedVersion", s.seedVersion());
        if (s.pendingSeedVersion() == null) {
            o.putNull("pendingSeedVersion");
        } else {
            o.put("pendingSeedVersion", s.pendingSeedVersion());
        }
        o.put("suite", s.suite()).put("epochYear", s.epochYear()).put("keyVersion", s.keyVersion())
                .put("provisionedAt", String.valueOf(s.provisionedAt())).put("updatedAt", String.valueOf(s.updatedAt()));
        o.putObject("counters").put("accepted", s.accepted()).put("rejected", s.rejected());
        o.put("hostedBy", s.hostedBy());
        return o;
    }

    private Route importManifest(Principal p, String requestId) {
        return extractRequestEntity(entity -> extractMaterializer(materializer -> {
            requireMediaType(entity.getContentType().mediaType(), Set.of(NDJSON));
            requireJournal();
            ManifestImport job = new ManifestImport(sensors, (pr, action, id, detail, rid, op) ->
                    auditAround(pr, action, id, detail, rid, op, GatewayRoutes::resultOf).thenApply(Audited::reply),
                    p, requestId, MAX_IMPORT_LINE);
            ManifestImport.Started started = job.start(entity.withoutSizeLimit().getDataBytes(), importParallelism, materializer);
            // answered once the upload has ended: the connection then stays open for the next request
            return completeWithFuture(started.bodyRead().handle((read, failure) -> {
                if (failure != null) { // the client's upload broke off: its error, not the node's
                    throw new ApiError(StatusCodes.BAD_REQUEST, "UPLOAD_FAILED", "the manifest upload ended before "
                            + "its end; lines already read may be provisioned: re-run the import (they answer "
                            + "ALREADY_PROVISIONED)");
                }
                return HttpResponse.create().withEntity(HttpEntities.createChunked(ContentTypes.create(
                        MediaTypes.applicationWithFixedCharset("x-ndjson", org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8)),
                        started.lines()));
            }));
        }));
    }

    private Route auditQuery() {
        return parameterMap(params -> {
            Instant until = instantParam(params, "until", Instant.now());
            Instant since = instantParam(params, "since", until.minus(Duration.ofDays(1)));
            if (since.isAfter(until)) {
                throw ApiError.badParameter("'since' is after 'until'");
            }
            String sensor = params.containsKey("sensorId") ? Json.sensorId(params.get("sensorId")).toString() : null;
            int limit = intParam(params, "limit", 100, 1, 1000);
            return completeWithFuture(audit.query(since, until, sensor, limit).thenApplyAsync(records -> {
                ArrayNode list = Json.MAPPER.createArrayNode();
                for (AuditRecord r : records) {
                    list.add(Json.object().put("time", r.time().toString()).put("actor", r.actor()).put("role", r.role())
                            .put("action", r.action()).put("sensorId", r.sensorId()).put("result", r.result())
                            .put("detail", r.detail()).put("requestId", r.requestId()));
                }
                ObjectNode body = Json.object();
                body.set("records", list);
                return HttpResponse.create().withEntity(JSON, Json.bytes(body));
            }, SAME_THREAD));
        });
    }

    private Route backup(Principal p, String requestId) {
        requireJournal();
        return completeWithFuture(auditAround(p, "BACKUP", null, null, requestId, backups::take, b -> "OK")
                .thenApplyAsync(o -> {
                    Backup b = o.reply();
                    Source<ByteString, ?> data = FileIO.fromPath(b.file()).watchTermination((mat, done) -> {
                        done.whenComplete((d, f) -> b.delete());
                        return mat;
                    });
                    HttpResponse r = HttpResponse.create()
                            .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, b.size(), data))
                            .addHeader(RawHeader.create("Content-Disposition", "attachment; filename=\"" + b.filename() + "\""));
                    return withAuditWarning(r, o);
                }, SAME_THREAD));
    }

    /**
     * Rewraps every sensor (K_store rotation): streams one NDJSON line per sensor as its entity answers
     * (a few in parallel, each audited like a single rewrap), then a summary line. The call's own
     * intent is recorded first; its outcome (the counts) once the stream ends.
     */
    private Route rewrapAll(Principal p, String requestId) {
        requireJournal();
        Source<SensorId, ?> ids = sensorIds.current();
        return completeWithFuture(store(auditRecord(p, "REWRAP_ALL", null, "REQUESTED", null, requestId))
                .handleAsync((ok, failure) -> {
                    if (failure != null) {
                        metrics.keyOperation("REWRAP_ALL", "AUDIT_UNAVAILABLE");
                        throw new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "AUDIT_UNAVAILABLE",
                                "the audit trail cannot be written; nothing was changed; retry later");
                    }
                    Source<ByteString, ?> lines = ids
                            .mapAsync(rewrapParallelism, id -> auditAround(p, "REWRAP", id, null, requestId,
                                    () -> sensors.rewrap(id, p.name()), GatewayRoutes::resultOf)
                                    .handleAsync((o, f) -> rewrapLine(id, o, f), SAME_THREAD))
                            // Count results as lines pass; at the end of the stream emit the summary.
                            .statefulMap(() -> new java.util.HashMap<String, Long>(), (counts, line) -> {
                                counts.merge(line.get("result").asText(), 1L, Long::sum);
                                return org.apache.pekko.japi.Pair.create(counts, line);
                            }, counts -> Optional.of(rewrapSummary(counts)))
                            .mapAsync(1, line -> line.has("summary") ? recordRewrapSummary(p, requestId, line)
                                    : CompletableFuture.completedFuture(ndjsonLine(line)));
                    return HttpResponse.create().withEntity(HttpEntities.createChunked(ContentTypes.create(
                            MediaTypes.applicationWithFixedCharset("x-ndjson",
                                    org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8)), lines));
                }, SAME_THREAD));
    }

    private static ObjectNode rewrapLine(SensorId id, Audited<OperatorReply> o, Throwable failure) {
        ObjectNode line = Json.object().put("sensorId", id.toString());
        if (failure != null) {
            String code = failureCode(failure);
            return line.put("result", "FAILED").put("error", code).put("message", code.equals("UNAVAILABLE")
                    ? "the sensor's shard did not answer in time" : Failures.cause(failure) instanceof ApiError a ? a.getMessage()
                    : "internal error");
        }
        if (o.reply() instanceof Rewrapped w) {
            line.put("result", w.changed() ? "REWRAPPED" : "ALREADY_CURRENT").put("keyVersion", w.status().keyVersion())
                    .put("previousKeyVersion", w.previousKeyVersion());
        } else if (o.reply() instanceof Refused r) {
            // Revoked sensors hold no seed: nothing to rewrap.
            line.put("result", r.error() == RefusalCode.REVOKED ? "SKIPPED" : "FAILED").put("error", r.error().name())
                    .put("message", r.message());
        }
        if (o.outcomeUnrecorded()) {
            line.put("auditWarning", AUDIT_WARNING);
        }
        return line;
    }

    private static ObjectNode rewrapSummary(Map<String, Long> counts) {
        ObjectNode line = Json.object();
        line.putObject("summary")
                .put("sensors", counts.values().stream().mapToLong(Long::longValue).sum())
                .put("rewrapped", counts.getOrDefault("REWRAPPED", 0L))
                .put("alreadyCurrent", counts.getOrDefault("ALREADY_CURRENT", 0L))
                .put("skipped", counts.getOrDefault("SKIPPED", 0L)).put("failed", counts.getOrDefault("FAILED", 0L));
        return line;
    }

    /** The fleet rewrap's outcome record (the summary as detail), then the summary line. */
    private CompletionStage<ByteString> recordRewrapSummary(Principal p, String requestId, ObjectNode line) {
        String result = line.get("summary").get("failed").asLong() == 0 ? "OK" : "PARTIAL";
        metrics.keyOperation("REWRAP_ALL", result);
        return store(auditRecord(p, "REWRAP_ALL", null, result, line.get("summary").toString(), requestId))
                .handleAsync((ok, f) -> {
                    if (f != null) {
                        metrics.auditOutcomeUnrecorded("REWRAP_ALL");
                        LOG.error("request {}: the outcome of REWRAP_ALL is not in the audit trail", requestId);
                        line.put("auditWarning", AUDIT_WARNING);
                    }
                    return ndjsonLine(line);
                }, SAME_THREAD);
    }

    private static ByteString ndjsonLine(ObjectNode line) {
        return ByteString.fromArray(Json.bytes(line)).concat(ByteString.fromString("\n"));
    }

    private static Instant instantParam(Map<String, String> params, String name, Instant fallback) {
        String v = params.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw ApiError.badParameter("'" + name + "' is not an ISO-8601 instant (e.g. 2026-11-25T18:00:00Z)");
        }
    }

    private static int intParam(Map<String, String> params, String name, int fallback, int min, int max) {
        String v = params.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.badParameter("'" + name + "' must be an integer from " + min + " to " + max);
    }

    // ---------------------------------------------------------------- health

    private Route ready() {
        boolean clusterUp = readiness.clusterUp();
        boolean journalUp = readiness.journalUp();
        boolean ready = clusterUp && journalUp;
        return json(ready ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, Json.object()
                .put("status", ready ? "READY" : "NOT_READY").put("cluster", readiness.clusterStatus())
                .put("journal", journalUp ? "UP" : "DOWN").put("upMembers", readiness.upMembers()));
    }

    // ---------------------------------------------------------------- building blocks

    /** Answers 503 at once while the key database does not answer, instead of letting asks time out. */
    private void requireJournal() {
        if (!readiness.journalUp()) {
            throw ApiError.unavailable("the key database is not answering; retry later");
        }
    }

    /** Checks the bearer token and role; refusals are audited. */
    private Route authorized(Set<Role> roles, String requestId, Function<Principal, Route> inner) {
        return extractRequest(request -> {
            Optional<String> header = request.getHeader("Authorization").map(h -> h.value());
            Optional<Principal> principal = tokens.authenticate(header.orElse(null));
            if (principal.isEmpty()) {
                audit.record(new AuditRecord(Instant.now(), null, null, "AUTH_FAILURE", null, "UNAUTHENTICATED",
                        request.method().name() + " " + request.getUri().path(), requestId));
                return complete(errorResponse(StatusCodes.UNAUTHORIZED, "UNAUTHENTICATED",
                        header.isEmpty() ? "missing bearer token" : "unknown or malformed bearer token")
                        .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"microcert\"")));
            }
            Principal p = principal.get();
            if (!roles.contains(p.role())) {
                audit.record(new AuditRecord(Instant.now(), p.name(), p.role().label(), "AUTH_FAILURE",
                        null, "FORBIDDEN", request.method().name() + " " + request.getUri().path(), requestId));
                return complete(errorResponse(StatusCodes.FORBIDDEN, "FORBIDDEN",
                        "role " + p.role().label() + " may not call this endpoint"));
            }
            return inner.apply(p);
        });
    }

    /** A strict body of one of {@code types}, at most {@code limit} bytes. */
    private Route body(long limit, Set<MediaType> types, BiFunction<MediaType, byte[], Route> inner) {
        return extractRequestEntity(entity -> {
            MediaType type = requireMediaType(entity.getContentType().mediaType(), types);
            entity.getContentLengthOption().ifPresent(n -> {
                if (n > limit) {
                    throw ApiError.tooLarge(limit);
                }
            });
            if (entity instanceof HttpEntity.Strict strict) {
                // Small bodies usually arrive whole: skip the toStrict machinery.
                return inner.apply(type, strict.getData().toArray());
            }
            return extractMaterializer(mat -> onSuccess(strictBody(entity, limit, mat),
                    s -> inner.apply(type, s.getData().toArray())));
        });
    }

    /**
     * The whole body, or {@code 408 BODY_TIMEOUT} when it takes longer than {@link #BODY_TIMEOUT}.
     * Not toStrict's own timeout (nor extractStrictEntity, which answered it as an internal error):
     * that cancels the body stream, and a cancelled request body aborts the connection, often before
     * the answer is out. Here the read goes on (with a later timeout as a backstop) until the
     * answer has closed the connection.
     */
    private static CompletionStage<HttpEntity.Strict> strictBody(HttpEntity entity, long limit,
                                                               Materializer mat) {
        CompletableFuture<HttpEntity.Strict> read = new CompletableFuture<>();
        entity.toStrict(2 * BODY_TIMEOUT.toMillis(), limit, mat).whenComplete((s, f) -> {
            if (f == null) {
                read.complete(s);
            } else {
                read.completeExceptionally(f);
            }
        });
        return read.orTimeout(BODY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .exceptionallyCompose(f -> CompletableFuture.failedFuture(Failures.cause(f) instanceof TimeoutException
                        ? ApiError.bodyTimeout(BODY_TIMEOUT) : f));
    }

    private <T> Route jsonBody(long limit, Class<T> type, Function<T, Route> inner) {
        return body(limit, Set.of(MediaTypes.APPLICATION_JSON), (t, bytes) -> inner.apply(Json.parse(bytes, type)));
    }

    /** A JSON body that may also be absent (no content type, zero bytes): {@code inner} gets null then. */
    private <T> Route optionalJsonBody(Class<T> type, Function<T, Route> inner) {
        return extractRequestEntity(entity -> {
            boolean empty = entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() == 0;
            return empty ? inner.apply(null) : jsonBody(OPERATOR_LIMIT, type, inner);
        });
    }

    private static MediaType requireMediaType(MediaType actual, Set<MediaType> allowed) {
        for (MediaType m : allowed) {
            if (m.mainType().equals(actual.mainType()) && m.subType().equals(actual.subType())) {
                return m;
            }
        }
        throw new ApiError(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be "
                + String.join(" or ", allowed.stream().map(m -> m.mainType() + "/" + m.subType()).sorted().toList()));
    }

    private Route json(StatusCode status, ObjectNode body) {
        return complete(HttpResponse.create().withStatus(status).withEntity(JSON, Json.bytes(body)));
    }

    static HttpResponse errorResponse(StatusCode status, String code, String message) {
        HttpResponse r = HttpResponse.create().withStatus(status).withEntity(JSON, Json.bytes(Json.error(code, message)));
        return status.equals(StatusCodes.SERVICE_UNAVAILABLE) ? r.addHeader(RawHeader.create("Retry-After", "2")) : r;
    }

    private static String failureCode(Throwable failure) {
        Throwable t = Failures.cause(failure);
        return t instanceof TimeoutException ? "UNAVAILABLE" : t instanceof ApiError a ? a.code() : "INTERNAL";
    }

    private ExceptionHandler exceptionHandler() {
        return ExceptionHandler.newBuilder().matchAny(failure -> headerValueByName(REQUEST_ID, requestId -> {
            Throwable t = Failures.cause(failure);
            if (t instanceof ApiError e) {
                return complete(errorResponse(e.status(), e.code(), e.getMessage()));
            }
            if (t instanceof EntityStreamSizeException e) {
                return complete(errorResponse(StatusCodes.PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE",
                        "body larger than " + e.limit() + " bytes"));
            }
            if (t instanceof TimeoutException) {
                return complete(errorResponse(StatusCodes.SERVICE_UNAVAILABLE, "UNAVAILABLE",
                        "the sensor's shard did not answer in time; retry later"));
            }
            LOG.error("request {} failed", requestId, t);
            return complete(errorResponse(StatusCodes.INTERNAL_SERVER_ERROR, "INTERNAL",
                    "internal error (request " + requestId + ")"));
        })).build();
    }

    private RejectionHandler rejectionHandler() {
        return RejectionHandler.newBuilder()
                .handleAll(MethodRejection.class, rs -> complete(errorResponse(StatusCodes.METHOD_NOT_ALLOWED,
                        "METHOD_NOT_ALLOWED", "method not allowed; use " + String.join(" or ",
                                rs.stream().map(r -> r.supported().name()).distinct().toList()))))
                .handle(MalformedRequestContentRejection.class, r -> {
                    Throwable cause = Failures.cause(r.getCause());
                    return cause instanceof EntityStreamSizeException e
                            ? complete(errorResponse(StatusCodes.PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE",
                                    "body larger than " + e.limit() + " bytes"))
                            : complete(errorResponse(StatusCodes.BAD_REQUEST, "BAD_JSON", "unreadable body"));
                })
                .handleNotFound(complete(errorResponse(StatusCodes.NOT_FOUND, "NOT_FOUND", "no such path")))
                .handle(Rejection.class, r -> complete(errorResponse(StatusCodes.BAD_REQUEST, "BAD_REQUEST",
                        "request refused")))
                .build();
    }

    /**
     * Request id (echoed when the client sent a sane one, made up otherwise; passed to the inner
     * routes as the request's only X-Request-Id header), metrics per route, X-Request-Id on every answer.
     */
    private Route instrumented(Route inner) {
        return extractRequest(request -> {
            long start = System.nanoTime();
            String requestId = requestId(request);
            String label = routeLabel(request.getUri().path());
            return mapRequest(r -> r.removeHeader(REQUEST_ID).addHeader(RawHeader.create(REQUEST_ID, requestId)),
                    () -> mapResponse(response -> {
                        metrics.request(label, response.status().intValue(), System.nanoTime() - start);
                        return response.addHeader(RawHeader.create(REQUEST_ID, requestId));
                    }, () -> inner));
        });
    }

    private static String requestId(HttpRequest request) {
        Optional<String> given = request.getHeader(REQUEST_ID).map(h -> h.value());
        if (given.isPresent() && given.get().length() <= 64 && given.get().matches("[A-Za-z0-9._-]+")) {
            return given.get();
        }
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    /** A bounded set of route labels for metrics: sensor ids become {id}, unknown paths "other". */
    static String routeLabel(String path) {
        String p = SENSOR_SEGMENT.matcher(path).replaceAll("/{id}");
        return switch (p) {
            case "/v1/authenticate", "/v1/authenticate/batch", "/v1/verify", "/v1/decrypt", "/v1/sensors",
                 "/v1/sensors/import", "/v1/sensors/{id}", "/v1/sensors/{id}/revoke", "/v1/sensors/{id}/seed-update",
                 "/v1/sensors/{id}/seed-update/complete", "/v1/sensors/{id}/encrypt", "/v1/sensors/{id}/rewrap",
                 "/v1/audit", "/v1/rewrap", "/v1/backup",
                 "/health/alive", "/health/ready", "/metrics", "/openapi.json" -> p;
            default -> "other";
        };
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    /** The ids of every sensor in the journal, for fleet-wide operations. */
    public interface SensorIds {
        /**
         * A finite stream of the sensor ids persisted so far.
         *
         * @throws ApiError when this node's journal cannot list them
         */
        Source<SensorId, ?> current();
    }

    /** Takes backups for {@code POST /v1/backup}. */
    public interface Backups {
        /**
         * Writes a complete backup file (the persistence module's format) and completes with it, or
         * fails with an {@link ApiError} saying why none was written.
         */
        CompletionStage<Backup> take();
    }

    /**
     * A finished backup file, alone in a private temporary directory, to stream; {@link #delete()}
     * removes both once it was sent (or the send failed).
     */
    public record Backup(Path file, long size, String filename) {
        public void delete() {
            try {
                Files.deleteIfExists(file);
                Files.deleteIfExists(file.getParent()); // the backup's private temporary directory
            } catch (IOException e) {
                LOG.warn("could not delete the streamed backup file {}: {}", file, e.getMessage());
            }
        }
    }
}
