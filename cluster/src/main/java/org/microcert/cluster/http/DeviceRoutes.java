package org.microcert.cluster.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.cluster.sensor.VerdictReason;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.MalformedCertificateException;
import org.microcert.protocol.MicroCertificate;

/** Device traffic: no token, the certificate is the credential; every answer is a verdict. */
final class DeviceRoutes extends AllDirectives {

    /** Continuations here are short and non-blocking: run them where the future completes. */
    private static final Executor SAME_THREAD = Runnable::run;

    private final SensorClient sensors;
    private final Metrics metrics;
    private final Readiness readiness;
    private final BodyDirectives bodies;
    private final BatchRoute batch;
    private final PayloadBatchRoute payloadBatches;
    private final DeviceRateLimit limits;
    private final DownlinkRoutes downlink;

    DeviceRoutes(SensorClient sensors, Metrics metrics, Readiness readiness, BodyDirectives bodies) {
        this(sensors, metrics, readiness, bodies, DeviceRateLimit.OFF);
    }

    DeviceRoutes(SensorClient sensors, Metrics metrics, Readiness readiness, BodyDirectives bodies,
                 DeviceRateLimit limits) {
        this.limits = limits;
        this.sensors = sensors;
        this.metrics = metrics;
        this.readiness = readiness;
        this.bodies = bodies;
        this.batch = new BatchRoute(sensors, metrics, readiness, bodies, limits);
        this.payloadBatches = new PayloadBatchRoute(sensors, metrics, readiness, bodies, limits);
        this.downlink = new DownlinkRoutes(sensors, metrics, readiness, bodies, limits);
    }

    /** What a single-certificate operation can answer: its verdicts, bad bodies, no database. */
    private static Set<Integer> statuses() {
        Set<Integer> s = new HashSet<>(StatusMapping.all(VerdictReason.values(), StatusMapping::verdict));
        s.addAll(BodyDirectives.STATUSES);
        s.addAll(Set.of(200, 401, 429, 500, 503)); // 401: no gateway certificate (GatewayIdentity.Policy); 429: over the rate limit
        return s;
    }

    Route routes(Endpoints endpoints) {
        Set<Integer> batchStatuses = new HashSet<>(BodyDirectives.STATUSES);
        batchStatuses.addAll(Set.of(200, 401, 429, 500, 503));
        return concat(
                endpoints.post("/v1/authenticate/batch", batchStatuses, batch.route()),
                endpoints.post("/v1/verify/batch", batchStatuses, payloadBatches.verify()),
                endpoints.post("/v1/decrypt/batch", batchStatuses, payloadBatches.decrypt()),
                downlink.routes(endpoints, statuses()),
                endpoints.post("/v1/authenticate", statuses(), limited("/v1/authenticate", bodies.certificateBody(ApiLimits.AUTH_LIMIT,
                        cert -> judge("authenticate", cert, c -> sensors.authenticate(c.sensorId(), cert))))),
                endpoints.post("/v1/verify", statuses(), limited("/v1/verify", bodies.jsonBody(ApiLimits.PAYLOAD_LIMIT, Json.SignBody.class, b -> {
                    byte[] cert = Json.base64(b.certificate(), "certificate");
                    byte[] data = Json.base64(b.data(), "data");
                    // Only the digest goes to the entity: the data may exceed an Artery frame (256 KiB).
                    return judge("verify", cert, c -> sensors.verify(c.sensorId(), cert,
                            CertificateVerifier.signDigest(c.suite(), data)));
                }))),
                endpoints.post("/v1/decrypt", statuses(), limited("/v1/decrypt", bodies.certificateBody(ApiLimits.PAYLOAD_LIMIT,
                        cert -> judge("decrypt", cert, c -> sensors.decrypt(c.sensorId(), cert))))));
    }

    /** {@code inner} for a client within its rate (one certificate), else 429 before the body is read. */
    private Route limited(String route, Route inner) {
        if (!limits.enabled()) {
            return inner;
        }
        return extractRequest(request -> {
            Route refused = refusedOrNull(limits, route, DeviceRateLimit.clientOf(request), 1);
            return refused != null ? refused : inner;
        });
    }

    /**
     * Takes {@code cost} certificates from {@code client}'s bucket: null when admitted, else the
     * {@code 429 TOO_MANY_REQUESTS} answer with {@code Retry-After}.
     */
    static Route refusedOrNull(DeviceRateLimit limits, String route, String client, int cost) {
        long wait = limits.acquire(client, cost, System.nanoTime());
        if (wait == 0) {
            return null;
        }
        limits.refused(route);
        long seconds = DeviceRateLimit.retryAfterSeconds(wait);
        return new AllDirectives() {}.complete(ErrorHandling.errorResponse(StatusCodes.TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS",
                        "this client sent more certificates than its rate limit allows; retry after " + seconds + " s")
                .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("Retry-After", Long.toString(seconds))));
    }

    private Route judge(String operation, byte[] certificate, Function<MicroCertificate, CompletionStage<Verdict>> ask) {
        MicroCertificate decoded;
        try {
            decoded = MicroCertificate.decode(certificate);
        } catch (MalformedCertificateException e) {
            VerdictReason reason = VerdictReason.of(e);
            metrics.verdict(operation, "REJECTED", reason.name());
            return complete(verdictHttp(Verdict.rejected(null, reason, e.getMessage(), now())));
        }
        readiness.requireJournal();
        return completeWithFuture(ask.apply(decoded).thenApplyAsync(v -> {
            metrics.verdict(operation, v.accepted() ? "ACCEPTED" : "REJECTED", reasonName(v));
            return verdictHttp(v);
        }, SAME_THREAD));
    }

    private static HttpResponse verdictHttp(Verdict v) {
        ObjectNode body = verdictJson(v);
        StatusCode status = v.accepted() ? StatusCodes.OK : StatusMapping.verdict(v.reason());
        HttpResponse r = HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(body));
        // UNAVAILABLE (a shard that did not answer, or too many unknown ids being looked up): retry later
        return status.equals(StatusCodes.SERVICE_UNAVAILABLE)
                ? r.addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("Retry-After", "2")) : r;
    }

    static String reasonName(Verdict v) {
        return v.reason() == null ? null : v.reason().name();
    }

    static ObjectNode verdictJson(Verdict v) {
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

    static long now() {
        return System.currentTimeMillis() / 1000;
    }
}
