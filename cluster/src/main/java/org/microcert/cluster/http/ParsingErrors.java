package org.microcert.cluster.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * The answer to a request Pekko HTTP cannot parse (bad request line or headers, unknown method,
 * unsupported HTTP version, URI or headers too long): such a request never reaches the routes, so
 * this gives it the API's JSON error and an X-Request-Id itself. Named by
 * {@code pekko.http.server.parsing.error-handler} (http.conf); Pekko creates it by its public no-arg
 * constructor.
 */
public final class ParsingErrors extends ParsingErrorHandler {

    @Override
    public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
        String requestId = Instrumentation.newRequestId();
        // The summary can quote the request (its target, a header name): printable ASCII only, capped,
        // so no control byte or long client text reaches the log; the detail (header values) never does.
        log.info("request {} refused before routing: {} {}", requestId, status.intValue(), printable(info.summary()));
        int answer = status.intValue();
        String code;
        String message;
        switch (answer) {
            case 414 -> { code = "URI_TOO_LONG"; message = "the request target is longer than the server accepts"; }
            case 431 -> { code = "HEADERS_TOO_LARGE"; message = "a request header, or the header section, is too large"; }
            case 413 -> { code = "BODY_TOO_LARGE"; message = "the request body is larger than the server accepts"; }
            case 501 -> { code = "NOT_IMPLEMENTED"; message = "unknown HTTP method (methods are upper case, e.g. GET, POST)"; }
            case 505 -> { code = "HTTP_VERSION_NOT_SUPPORTED"; message = "only HTTP/1.0 and HTTP/1.1 are served"; }
            // Pekko's 422: a HEAD or CONNECT request with a body; answered like a GET with one
            case 422 -> { answer = 400; code = "UNEXPECTED_BODY"; message = "a HEAD or CONNECT request takes no body"; }
            // anything else refused here is the client's malformed request, whatever Pekko's status
            default -> { answer = 400; code = "BAD_REQUEST"; message = "the request is not valid HTTP/1.1 (request line or headers)"; }
        }
        return ErrorHandling.errorResponse(StatusCodes.get(answer), code, message)
                .addHeader(RawHeader.create(Instrumentation.REQUEST_ID, requestId));
    }

    static String printable(String text) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < text.length() && b.length() < 200; i++) {
            char c = text.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
