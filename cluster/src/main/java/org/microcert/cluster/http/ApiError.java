package org.microcert.cluster.http;

import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * A request the gateway refuses, with its HTTP status, the stable {@code error} code of
 * docs/http-api.md and a message for humans (never internals or secrets). Thrown inside routes and
 * turned into the JSON error body by {@link ErrorHandling}.
 */
public final class ApiError extends RuntimeException {

    private final StatusCode status;
    private final String code;

    public ApiError(StatusCode status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public StatusCode status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static ApiError badJson(String message) {
        return new ApiError(StatusCodes.BAD_REQUEST, "BAD_JSON", message);
    }

    public static ApiError badSensorId(String text) {
        return new ApiError(StatusCodes.BAD_REQUEST, "BAD_SENSOR_ID", "sensor id must be 16 lower-case hex digits (0-9, a-f), got '"
                + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "'");
    }

    public static ApiError badParameter(String message) {
        return new ApiError(StatusCodes.BAD_REQUEST, "BAD_PARAMETER", message);
    }

    public static ApiError tooLarge(long limit) {
        return new ApiError(StatusCodes.PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE", "body larger than " + limit + " bytes");
    }

    /** The client did not send the whole body in time: its fault, not the node's (no Retry-After). */
    public static ApiError bodyTimeout(java.time.Duration timeout) {
        return new ApiError(StatusCodes.REQUEST_TIMEOUT, "BODY_TIMEOUT",
                "the request body did not arrive within " + timeout.toSeconds() + " s");
    }

    public static ApiError unavailable(String message) {
        return new ApiError(StatusCodes.SERVICE_UNAVAILABLE, "UNAVAILABLE", message);
    }
}
