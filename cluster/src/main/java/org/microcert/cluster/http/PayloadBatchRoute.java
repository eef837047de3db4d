package org.microcert.cluster.http;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.cluster.sensor.VerdictReason;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.MalformedCertificateException;
import org.microcert.protocol.MicroCertificate;

/**
 * {@code POST /v1/verify/batch} and {@code POST /v1/decrypt/batch}: the SIGN and ENC_UP forms of the
 * AUTH batch ({@link BatchRoute}), same item limit, rate cost and answer shape. Items that do not
 * decode are judged here; the others are asked of their sensors concurrently, each with the ask
 * timeout, and an item whose shard did not answer is {@code UNAVAILABLE} (the others still count).
 */
final class PayloadBatchRoute extends AllDirectives {

    private final SensorClient sensors;
    private final Metrics metrics;
    private final Readiness readiness;
    private final BodyDirectives bodies;
    private final DeviceRateLimit limits;

    PayloadBatchRoute(SensorClient sensors, Metrics metrics, Readiness readiness, BodyDirectives bodies,
                      DeviceRateLimit limits) {
        this.sensors = sensors;
        this.metrics = metrics;
        this.readiness = readiness;
        this.bodies = bodies;
        this.limits = limits;
    }

    Route verify() {
        return forClient(client -> bodies.jsonBody(ApiLimits.PAYLOAD_BATCH_LIMIT, Json.SignBatchBody.class, b -> {
            List<Json.SignBody> items = Json.required(b.items(), "items");
            return judged("/v1/verify/batch", "verify_batch", "items", client, items, (item, now) -> {
                if (item == null) {
                    return rejected(VerdictReason.MALFORMED, "not an object with 'certificate' and 'data'", now);
                }
                byte[] cert = base64OrNull(item.certificate());
                byte[] data = base64OrNull(item.data());
                if (cert == null || data == null) {
                    return rejected(VerdictReason.MALFORMED, "'certificate' and 'data' must be base64", now);
                }
                return ask(cert, now, c -> sensors.verify(c.sensorId(), cert, CertificateVerifier.signDigest(c.suite(), data)));
            });
        }));
    }

    Route decrypt() {
        return forClient(client -> bodies.jsonBody(ApiLimits.PAYLOAD_BATCH_LIMIT, Json.BatchBody.class, b -> {
            List<String> items = Json.required(b.certificates(), "certificates");
            return judged("/v1/decrypt/batch", "decrypt_batch", "certificates", client, items, (item, now) -> {
                byte[] cert = base64OrNull(item);
                return cert == null ? rejected(VerdictReason.MALFORMED, "not base64", now)
                        : ask(cert, now, c -> sensors.decrypt(c.sensorId(), cert));
            });
        }));
    }

    /** {@code inner} given the client whose rate the items count against (null: no limit). */
    private Route forClient(Function<String, Route> inner) {
        return limits.enabled() ? extractRequest(request -> inner.apply(DeviceRateLimit.clientOf(request)))
                : inner.apply(null);
    }

    private <T> Route judged(String route, String operation, String field, String client, List<T> items,
                             BiFunction<T, Long, CompletableFuture<Verdict>> judge) {
        Route refused = BatchRoute.admitted(limits, route, client, field, items.size());
        if (refused != null) {
            return refused;
        }
        readiness.requireJournal();
        long now = DeviceRoutes.now();
        @SuppressWarnings("unchecked")
        CompletableFuture<Verdict>[] verdicts = new CompletableFuture[items.size()];
        for (int i = 0; i < verdicts.length; i++) {
            verdicts[i] = judge.apply(items.get(i), now);
        }
        return completeWithFuture(CompletableFuture.allOf(verdicts).thenApply(done -> {
            Verdict[] answered = new Verdict[verdicts.length];
            for (int i = 0; i < answered.length; i++) {
                answered[i] = verdicts[i].join();
            }
            return BatchRoute.answer(metrics, operation, answered);
        }));
    }

    /** The verdict of the sensor the certificate names; UNAVAILABLE when its shard does not answer. */
    private static CompletableFuture<Verdict> ask(byte[] cert, long now, Function<MicroCertificate, CompletionStage<Verdict>> ask) {
        MicroCertificate decoded;
        try {
            decoded = MicroCertificate.decode(cert);
        } catch (MalformedCertificateException e) {
            return rejected(VerdictReason.of(e), e.getMessage(), now);
        }
        String sensor = decoded.sensorId().toString();
        return ask.apply(decoded).toCompletableFuture().exceptionally(failure -> Verdict.rejected(sensor,
                VerdictReason.UNAVAILABLE, "the sensor's shard did not answer in time", DeviceRoutes.now()));
    }

    private static CompletableFuture<Verdict> rejected(VerdictReason reason, String message, long now) {
        return CompletableFuture.completedFuture(Verdict.rejected(null, reason, message, now));
    }

    static byte[] base64OrNull(String text) {
        try {
            return Json.base64(text, "item");
        } catch (ApiError notBase64) {
            return null;
        }
    }
}
