package org.microcert.cluster.http;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.cluster.metrics.Metrics;

/**
 * Request ids and per-route metrics: the request id is echoed when the client sent a sane one, made
 * up otherwise, passed to the inner routes as the request's only X-Request-Id header and set on every
 * answer.
 */
final class Instrumentation extends AllDirectives {

    static final String REQUEST_ID = "X-Request-Id";
    private static final Pattern SENSOR_SEGMENT = Pattern.compile("/[0-9A-Fa-f]{16}(?=/|$)");

    private final Metrics metrics;
    /** The route labels: the endpoint templates with the sensor id as {id}. */
    private final Set<String> labels;

    Instrumentation(Metrics metrics, Set<String> templates) {
        this.metrics = metrics;
        this.labels = templates.stream().map(t -> t.replace("{sensorId}", "{id}")).collect(Collectors.toUnmodifiableSet());
    }

    Route instrumented(Route inner) {
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
        return newRequestId();
    }

    /** A made-up request id: 16 hex digits. */
    static String newRequestId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    /** A bounded set of route labels for metrics: sensor ids become {id}, unknown paths "other". */
    String routeLabel(String path) {
        String p = SENSOR_SEGMENT.matcher(path).replaceAll("/{id}");
        return labels.contains(p) ? p : "other";
    }
}
