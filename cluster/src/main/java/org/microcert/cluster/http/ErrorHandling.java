package org.microcert.cluster.http;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.microcert.cluster.application.KeyOperationRefused;
import org.microcert.cluster.backup.BackupRefused;
import org.microcert.protocol.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every refusal as a JSON error with a stable code; unexpected failures are logged with the request
 * id and answered as {@code 500 INTERNAL} without details.
 */
final class ErrorHandling extends AllDirectives {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorHandling.class);

    /** {@code inner} with this module's exception and rejection handling. */
    Route handled(Route inner) {
        ExceptionHandler exceptions = exceptionHandler();
        Route rejectionsHandled = handleRejections(rejectionHandler(), () -> inner);
        return handleExceptions(exceptions, () -> rejectionsHandled);
    }

    static HttpResponse errorResponse(StatusCode status, String code, String message) {
        HttpResponse r = HttpResponse.create().withStatus(status)
                .withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(Json.error(code, message)));
        return status.equals(StatusCodes.SERVICE_UNAVAILABLE) ? r.addHeader(RawHeader.create("Retry-After", "2")) : r;
    }

    /** A request body that breaks HTTP framing (chunked coding), never the node's fault. */
    static HttpResponse malformedBody() {
        return errorResponse(StatusCodes.BAD_REQUEST, "BAD_BODY",
                "the request body is malformed (e.g. a bad chunk in Transfer-Encoding: chunked)");
    }

    /** A failure below the gateway as the refusal it answers with, or null when it is none. */
    static ApiError refusal(Throwable failure) {
        Throwable t = Failures.cause(failure);
        if (t instanceof ApiError a) {
            return a;
        }
        if (t instanceof KeyOperationRefused k) {
            return StatusMapping.apiError(k);
        }
        return t instanceof BackupRefused b ? StatusMapping.apiError(b) : null;
    }

    private ExceptionHandler exceptionHandler() {
        return ExceptionHandler.newBuilder().matchAny(failure -> headerValueByName(Instrumentation.REQUEST_ID, requestId -> {
            Throwable t = Failures.cause(failure);
            ApiError refusal = refusal(t);
            if (refusal != null) {
                return complete(errorResponse(refusal.status(), refusal.code(), refusal.getMessage()));
            }
            if (t instanceof EntityStreamSizeException e) {
                return complete(errorResponse(StatusCodes.PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE",
                        "body larger than " + e.limit() + " bytes"));
            }
            if (t instanceof EntityStreamException) { // a body the client broke, e.g. a bad chunk: its error
                return complete(malformedBody());
            }
            if (t instanceof java.util.concurrent.TimeoutException) {
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
                            : cause instanceof EntityStreamException ? complete(malformedBody())
                            : complete(errorResponse(StatusCodes.BAD_REQUEST, "BAD_JSON", "unreadable body"));
                })
                .handleNotFound(complete(errorResponse(StatusCodes.NOT_FOUND, "NOT_FOUND", "no such path")))
                .handle(Rejection.class, r -> complete(errorResponse(StatusCodes.BAD_REQUEST, "BAD_REQUEST",
                        "request refused")))
                .build();
    }
}
