package org.microcert.cluster.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatcher0;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The gateway's route table: the only place that matches paths and methods (an ArchUnit rule keeps
 * it so), recording each endpoint's method, path template and the statuses its handler can answer.
 * The OpenAPI drift test compares this table with {@code /openapi.json}.
 */
final class Endpoints extends AllDirectives {

    /** One operation: {@code method} in lower case, {@code template} as OpenAPI writes it, e.g. {@code /v1/sensors/{sensorId}}. */
    record Endpoint(String method, String template, Set<Integer> statuses) {}

    private static final String PARAM = "{sensorId}";

    private final List<Endpoint> table = new ArrayList<>();

    /** Every endpoint registered so far, in route order. */
    List<Endpoint> table() {
        return List.copyOf(table);
    }

    /** An endpoint without path parameters; {@code inner} is built once by the caller. */
    Route get(String template, Set<Integer> statuses, Route inner) {
        return add("get", template, statuses, id -> inner);
    }

    Route post(String template, Set<Integer> statuses, Route inner) {
        return add("post", template, statuses, id -> inner);
    }

    /** An endpoint with a {@value #PARAM} segment; {@code inner} gets the raw segment, per request. */
    Route getWithId(String template, Set<Integer> statuses, Function<String, Route> inner) {
        return add("get", template, statuses, inner);
    }

    Route postWithId(String template, Set<Integer> statuses, Function<String, Route> inner) {
        return add("post", template, statuses, inner);
    }

    private Route add(String method, String template, Set<Integer> statuses, Function<String, Route> inner) {
        if (!template.startsWith("/") || table.stream().anyMatch(e -> e.method().equals(method) && e.template().equals(template))) {
            throw new IllegalArgumentException("bad or duplicate endpoint " + method + " " + template);
        }
        table.add(new Endpoint(method, template, Set.copyOf(new TreeSet<>(statuses))));
        int at = template.indexOf(PARAM);
        if (at < 0) {
            Route route = inner.apply(null);
            // built once: the Java DSL calls these suppliers for every request
            Route byMethod = method.equals("get") ? get(() -> route) : post(() -> route);
            return path(literal(template), () -> byMethod);
        }
        String before = template.substring(0, at - 1);
        String after = template.substring(at + PARAM.length());
        var withId = after.isEmpty() ? literal(before).slash(PathMatchers.segment())
                : literal(before).slash(PathMatchers.segment()).slash(literal(after));
        return path(withId, id -> method.equals("get") ? get(() -> inner.apply(id)) : post(() -> inner.apply(id)));
    }

    /** A path template without parameters as a matcher: its segments, separated by slashes. */
    private static PathMatcher0 literal(String template) {
        return PathMatchers.separateOnSlashes(template.substring(1));
    }
}
