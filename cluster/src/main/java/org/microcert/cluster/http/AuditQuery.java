package org.microcert.cluster.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.cluster.trail.AuditRecord;
import org.microcert.cluster.trail.AuditTrail;

/** {@code GET /v1/audit}: the operator audit trail, newest first, filtered by its query parameters. */
final class AuditQuery extends AllDirectives {

    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private final AuditTrail trail;

    AuditQuery(AuditTrail trail) {
        this.trail = trail;
    }

    Route route() {
        return parameterMap(params -> {
            Instant until = instantParam(params, "until", Instant.now());
            Instant since = instantParam(params, "since", until.minus(Duration.ofDays(1)));
            if (since.isAfter(until)) {
                throw ApiError.badParameter("'since' is after 'until'");
            }
            String sensor = params.containsKey("sensorId") ? Json.sensorId(params.get("sensorId")).toString() : null;
            int limit = intParam(params, "limit", 100, 1, 1000);
            return completeWithFuture(trail.query(since, until, sensor, limit).thenApplyAsync(records -> {
                ArrayNode list = Json.MAPPER.createArrayNode();
                for (AuditRecord r : records) {
                    list.add(Json.object().put("time", r.time().toString()).put("actor", r.actor()).put("role", r.role())
                            .put("action", r.action()).put("sensorId", r.sensorId()).put("result", r.result())
                            .put("detail", r.detail()).put("requestId", r.requestId()));
                }
                ObjectNode body = Json.object();
                body.set("records", list);
                return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(body));
            }, Runnable::run));
        });
    }

    private static Instant instantParam(Map<String, String> params, String name, Instant fallback) {
        String v = params.get(name);
        if (v == null) {
            return fallback;
        }
        Instant t;
        try {
            t = Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw ApiError.badParameter("'" + name + "' is not an ISO-8601 instant (e.g. 2026-11-25T18:00:00Z)");
        }
        // Instant reaches year ±1,000,000,000; the audit store's millisecond timestamps overflow long
        // long before that (a 500 from the driver). Years 1 to 9999 cover every real query.
        if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
            throw ApiError.badParameter("'" + name + "' must be between " + EARLIEST + " and " + LATEST);
        }
        return t;
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
}
