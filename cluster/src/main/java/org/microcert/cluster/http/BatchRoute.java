package org.microcert.cluster.http;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.util.ByteString;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.BatchCollector;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.cluster.sensor.VerdictReason;
import org.microcert.protocol.MalformedCertificateException;
import org.microcert.protocol.MicroCertificate;

/** {@code POST /v1/authenticate/batch}: up to {@link ApiLimits#MAX_BATCH} certificates in one fan-out, answered in one streamed body. */
final class BatchRoute extends AllDirectives {

    private final SensorClient sensors;
    private final Metrics metrics;
    private final Readiness readiness;
    private final BodyDirectives bodies;
    private final DeviceRateLimit limits;

    BatchRoute(SensorClient sensors, Metrics metrics, Readiness readiness, BodyDirectives bodies, DeviceRateLimit limits) {
        this.limits = limits;
        this.sensors = sensors;
        this.metrics = metrics;
        this.readiness = readiness;
        this.bodies = bodies;
    }

    Route route() {
        if (!limits.enabled()) {
            return judged(null);
        }
        return extractRequest(request -> judged(DeviceRateLimit.clientOf(request)));
    }

    /** {@code client}: whose rate limit the batch's items count against (null: no limit). */
    private Route judged(String client) {
        return bodies.jsonBody(ApiLimits.BATCH_LIMIT, Json.BatchBody.class, b -> {
            List<String> items = Json.required(b.certificates(), "certificates");
            Route refused = admitted(limits, "/v1/authenticate/batch", client, "certificates", items.size());
            if (refused != null) {
                return refused;
            }
            readiness.requireJournal();
            long now = DeviceRoutes.now();
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
                    verdicts[i] = Verdict.rejected(null, VerdictReason.of(e), e.getMessage(), now);
                }
            }
            return completeWithFuture(sensors.authenticateAll(decoded).thenApply(judged -> {
                for (int k = 0; k < judged.size(); k++) {
                    verdicts[positions.get(k)] = judged.get(k);
                }
                return answer(metrics, "batch", verdicts);
            }));
        });
    }

    /**
     * Checks a batch of {@code size} items named {@code field}: 400 when empty or over
     * {@link ApiLimits#MAX_BATCH}; then takes {@code size} certificates from {@code client}'s rate
     * (every item counts: a batch of 1,000 is 1,000 certificates' worth). Null when admitted, else
     * the 429 answer.
     */
    static Route admitted(DeviceRateLimit limits, String route, String client, String field, int size) {
        if (size == 0) {
            throw ApiError.badJson("'" + field + "' is empty");
        }
        if (size > ApiLimits.MAX_BATCH) {
            throw new ApiError(StatusCodes.BAD_REQUEST, "BATCH_TOO_LARGE",
                    size + " items in one batch; at most " + ApiLimits.MAX_BATCH);
        }
        return client == null ? null : DeviceRoutes.refusedOrNull(limits, route, client, size);
    }

    /** The 200 answer of a batch: its verdicts counted under {@code operation}, then written. */
    static HttpResponse answer(Metrics metrics, String operation, Verdict[] verdicts) {
        return HttpResponse.create().withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON,
                batchAnswer(metrics, operation, verdicts)));
    }

    /**
     * The batch answer, streamed: a tree of 1,000 small objects costs the node more than judging the
     * certificates does. Fields as a single verdict's minus {@code error} and {@code serverTime}.
     */
    private static ByteString batchAnswer(Metrics metrics, String operation, Verdict[] verdicts) {
        int accepted = 0;
        for (Verdict v : verdicts) {
            accepted += v.accepted() ? 1 : 0;
            metrics.verdict(operation, v.accepted() ? "ACCEPTED" : "REJECTED", DeviceRoutes.reasonName(v));
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
                    if (v.plaintext() != null) { // decrypt batches
                        g.writeBinaryField("plaintext", v.plaintext());
                    }
                } else {
                    g.writeStringField("reason", DeviceRoutes.reasonName(v));
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
    private static final class ExposedBuffer extends ByteArrayOutputStream {
        ExposedBuffer(int size) {
            super(size);
        }

        /** No write may follow: the ByteString shares the buffer. */
        ByteString toByteString() {
            return ByteString.fromArrayUnsafe(buf, 0, count);
        }
    }
}
