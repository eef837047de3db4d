package org.microcert.cluster.http;

import java.util.Locale;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** Refusals that hold for every endpoint, checked before the route table. */
final class RequestGuards extends AllDirectives {

    /** Set by Pekko HTTP ({@code raw-request-uri-header = on}, http.conf): the target as sent. */
    static final String RAW_TARGET = "Raw-Request-URI";

    Route guarded(Route inner) {
        return extractRequest(request -> {
            // Pekko resolves "." and ".." segments while parsing: POST /v1/sensors/../rewrap reached
            // POST /v1/rewrap. A client that sends them means some other resource than it names.
            for (var h : request.getHeaders()) {
                if (h.is(RAW_TARGET.toLowerCase(Locale.ROOT)) && hasDotSegment(h.value())) {
                    throw new ApiError(StatusCodes.BAD_REQUEST, "BAD_PATH",
                            "the path has a '.' or '..' segment (plain or percent-encoded); send it resolved");
                }
            }
            if (request.method().equals(HttpMethods.GET) && hasBody(request)) { // no GET endpoint takes one
                throw BodyDirectives.unexpectedBody();
            }
            return inner;
        });
    }

    private static boolean hasBody(HttpRequest request) {
        var entity = request.entity();
        return !entity.isKnownEmpty() && !(entity.getContentLengthOption().isPresent()
                && entity.getContentLengthOption().getAsLong() == 0);
    }

    /** Whether the path of {@code target} (origin or absolute form) has a dot segment, %2e included. */
    static boolean hasDotSegment(String target) {
        String path = target;
        int scheme = path.indexOf("://");
        if (scheme >= 0) {
            int slash = path.indexOf('/', scheme + 3);
            path = slash < 0 ? "" : path.substring(slash);
        }
        int query = path.indexOf('?');
        path = query < 0 ? path : path.substring(0, query);
        for (String segment : path.split("/", -1)) {
            String s = segment.toLowerCase(Locale.ROOT).replace("%2e", ".");
            if (s.equals(".") || s.equals("..")) {
                return true;
            }
        }
        return false;
    }
}
