package org.microcert.cluster.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.RefusalCode;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.DownlinkReply;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.cluster.sensor.VerdictReason;
import org.microcert.protocol.MalformedCertificateException;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SeedEnvelope;

/**
 * The downlink queue's device side (docs/http-api.md, "Downlink"): a sensor (or a gateway for many)
 * polls with a fresh AUTH certificate and gets its pending COMMAND certificates, tagged at that
 * moment; a sensor hands in the UPDATE envelope of its pending seed. No token: the certificate, and
 * for the upload the envelope (it opens only under the sensor's current seed), is the credential.
 */
final class DownlinkRoutes extends AllDirectives {

    private final SensorClient sensors;
    private final Metrics metrics;
    private final Readiness readiness;
    private final BodyDirectives bodies;
    private final DeviceRateLimit limits;
    /** Continuations here are short and non-blocking: run them where the future completes. */
    private static final java.util.concurrent.Executor SAME_THREAD = Runnable::run;

    DownlinkRoutes(SensorClient sensors, Metrics metrics, Readiness readiness, BodyDirectives bodies,
                   DeviceRateLimit limits) {
        this.sensors = sensors;
        this.metrics = metrics;
        this.readiness = readiness;
        this.bodies = bodies;
        this.limits = limits;
    }

    Route routes(Endpoints endpoints, Set<Integer> deviceStatuses) {
        Set<Integer> batch = new HashSet<>(BodyDirectives.STATUSES);
        batch.addAll(Set.of(200, 401, 429, 500, 503));
        Set<Integer> upload = new HashSet<>(batch);
        upload.addAll(Set.of(404, 409));
        return concat(
                endpoints.post("/v1/downlink/batch", batch, forClient(client ->
                        bodies.jsonBody(ApiLimits.BATCH_LIMIT, Json.BatchBody.class, b -> pollAll(client, b)))),
                endpoints.post("/v1/downlink/seed-update", upload, forClient(client ->
                        bodies.jsonBody(ApiLimits.OPERATOR_LIMIT, Json.EnvelopeBody.class, b -> offer(client, b)))),
                endpoints.post("/v1/downlink", deviceStatuses, forClient(client ->
                        bodies.certificateBody(ApiLimits.AUTH_LIMIT, cert -> pollOne(client, cert)))));
    }

    private Route pollOne(String client, byte[] certificate) {
        Route refused = client == null ? null : DeviceRoutes.refusedOrNull(limits, "/v1/downlink", client, 1);
        if (refused != null) {
            return refused;
        }
        readiness.requireJournal();
        return completeWithFuture(poll(certificate).thenApplyAsync(r -> {
            ObjectNode body = pollJson(r);
            StatusCode status = r.verdict().accepted() ? StatusCodes.OK : StatusMapping.verdict(r.verdict().reason());
            HttpResponse answer = HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(body));
            return status.equals(StatusCodes.SERVICE_UNAVAILABLE) ? retryLater(answer) : answer;
        }, SAME_THREAD));
    }

    private Route pollAll(String client, Json.BatchBody b) {
        List<String> items = Json.required(b.certificates(), "certificates");
        Route refused = BatchRoute.admitted(limits, "/v1/downlink/batch", client, "certificates", items.size());
        if (refused != null) {
            return refused;
        }
        readiness.requireJournal();
        @SuppressWarnings("unchecked")
        CompletableFuture<DownlinkReply>[] replies = new CompletableFuture[items.size()];
        for (int i = 0; i < replies.length; i++) {
            byte[] cert = PayloadBatchRoute.base64OrNull(items.get(i));
            replies[i] = cert == null ? CompletableFuture.completedFuture(rejected(VerdictReason.MALFORMED, "not base64"))
                    : poll(cert);
        }
        return completeWithFuture(CompletableFuture.allOf(replies).thenApplyAsync(done -> {
            ObjectNode body = Json.object();
            ArrayNode results = Json.MAPPER.createArrayNode();
            int accepted = 0;
            for (CompletableFuture<DownlinkReply> f : replies) {
                DownlinkReply r = f.join();
                accepted += r.verdict().accepted() ? 1 : 0;
                results.add(pollJson(r));
            }
            body.put("accepted", accepted).put("rejected", replies.length - accepted).set("results", results);
            return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(body));
        }, SAME_THREAD));
    }

    /** The poll's answer from the sensor the certificate names; UNAVAILABLE when its shard does not answer. */
    private CompletableFuture<DownlinkReply> poll(byte[] certificate) {
        MicroCertificate decoded;
        try {
            decoded = MicroCertificate.decode(certificate);
        } catch (MalformedCertificateException e) {
            return CompletableFuture.completedFuture(rejected(VerdictReason.of(e), e.getMessage()));
        }
        String sensor = decoded.sensorId().toString();
        return sensors.<DownlinkReply>ask(decoded.sensorId(),
                        r -> new org.microcert.cluster.sensor.SensorMessages.Poll(certificate, r))
                .toCompletableFuture().exceptionally(failure -> new DownlinkReply(Verdict.rejected(sensor,
                        VerdictReason.UNAVAILABLE, "the sensor's shard did not answer in time", DeviceRoutes.now()), List.of()))
                .thenApplyAsync(r -> {
                    metrics.verdict("downlink", r.verdict().accepted() ? "ACCEPTED" : "REJECTED", DeviceRoutes.reasonName(r.verdict()));
                    return r;
                }, SAME_THREAD);
    }

    /** The sensor's UPDATE envelope: kept as offered, the answer tells the chip it may switch. */
    private Route offer(String client, Json.EnvelopeBody b) {
        Route refused = client == null ? null : DeviceRoutes.refusedOrNull(limits, "/v1/downlink/seed-update", client, 1);
        if (refused != null) {
            return refused;
        }
        byte[] envelope = Json.base64(b.envelope(), "envelope");
        SeedEnvelope decoded = Envelopes.decode(envelope, SeedEnvelope.Kind.UPDATE);
        readiness.requireJournal();
        return completeWithFuture(sensors.offerSeed(decoded.sensorId(), envelope)
                .thenApplyAsync(DownlinkRoutes::offerHttp, SAME_THREAD));
    }

    /** Only what the chip needs: never counters or the hosting node to a caller without a token. */
    private static HttpResponse offerHttp(OperatorReply reply) {
        if (reply instanceof Refused r) {
            HttpResponse refused = HttpResponse.create().withStatus(StatusMapping.refused(r.error()))
                    .withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(Json.error(r.error().name(), r.message())));
            return r.error() == RefusalCode.UNAVAILABLE ? retryLater(refused) : refused;
        }
        Done done = (Done) reply;
        ObjectNode body = Json.object().put("sensorId", done.status().sensorId()).put("received", true)
                .put("seedVersion", done.status().seedVersion());
        if (done.status().pendingSeedVersion() == null) {
            body.putNull("pendingSeedVersion");
        } else {
            body.put("pendingSeedVersion", done.status().pendingSeedVersion());
        }
        return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(body));
    }

    /** A 503: the node is looking up too many unknown ids, or the shard did not answer; retry. */
    private static HttpResponse retryLater(HttpResponse r) {
        return r.addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("Retry-After", "2"));
    }

    private static ObjectNode pollJson(DownlinkReply r) {
        ObjectNode o = DeviceRoutes.verdictJson(r.verdict());
        ArrayNode commands = o.putArray("commands");
        r.commands().forEach(c -> commands.add(Json.base64(c)));
        return o;
    }

    private static DownlinkReply rejected(VerdictReason reason, String message) {
        return new DownlinkReply(Verdict.rejected(null, reason, message, DeviceRoutes.now()), List.of());
    }

    /** {@code inner} given the client whose rate the call counts against (null: no limit). */
    private Route forClient(Function<String, Route> inner) {
        return limits.enabled() ? extractRequest(request -> inner.apply(DeviceRateLimit.clientOf(request)))
                : inner.apply(null);
    }

}
