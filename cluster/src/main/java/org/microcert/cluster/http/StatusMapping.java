package org.microcert.cluster.http;

import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.microcert.cluster.application.KeyOperationRefused;
import org.microcert.cluster.backup.BackupRefused;
import org.microcert.cluster.sensor.RefusalCode;
import org.microcert.cluster.sensor.VerdictReason;

/**
 * Every typed outcome below the gateway, mapped to its HTTP status. Each switch is exhaustive: a new
 * reason does not compile until it has a status (and the OpenAPI drift test then wants it documented).
 */
final class StatusMapping {

    private StatusMapping() {}

    static StatusCode verdict(VerdictReason reason) {
        return switch (reason) {
            case MALFORMED -> StatusCodes.BAD_REQUEST;
            case UNKNOWN_SENSOR -> StatusCodes.NOT_FOUND;
            case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
            case INTERNAL -> StatusCodes.INTERNAL_SERVER_ERROR;
            case BAD_TAG, STALE_TIMESTAMP, FUTURE_TIMESTAMP, SEED_EXPIRED, UNSUPPORTED_SUITE, WRONG_TYPE, WRONG_SENSOR,
                    WRONG_SEED_VERSION, REVOKED, REPLAY, REPLAY_WINDOW_RESET, RATE_LIMITED -> StatusCodes.FORBIDDEN;
        };
    }

    static StatusCode refused(RefusalCode code) {
        return switch (code) {
            case UNKNOWN_SENSOR -> StatusCodes.NOT_FOUND;
            case BAD_ENVELOPE, BAD_SEED -> StatusCodes.BAD_REQUEST;
            case INTERNAL -> StatusCodes.INTERNAL_SERVER_ERROR;
            case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
            case ALREADY_PROVISIONED, REVOKED, SEED_EXPIRED, NO_UPDATE_PENDING, WRONG_SEED_VERSION, NOTHING_PENDING,
                    TOO_MANY_OFFERS -> StatusCodes.CONFLICT;
        };
    }

    static StatusCode keyOperation(KeyOperationRefused.Reason reason) {
        return switch (reason) {
            case AUDIT_UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
            case NOT_AVAILABLE -> StatusCodes.NOT_IMPLEMENTED;
        };
    }

    static StatusCode backup(BackupRefused.Reason reason) {
        return switch (reason) {
            case NOT_AVAILABLE -> StatusCodes.NOT_IMPLEMENTED;
            case CARD_STATE_UNAVAILABLE, UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
            case CARD_STATE_REJECTED, AUDIT_FAILED -> StatusCodes.CONFLICT;
            case INTERNAL -> StatusCodes.INTERNAL_SERVER_ERROR;
        };
    }

    /** The statuses a mapping can produce over all of an enum's values (for the endpoint table). */
    static <E extends Enum<E>> Set<Integer> all(E[] values, Function<E, StatusCode> mapping) {
        return Arrays.stream(values).map(v -> mapping.apply(v).intValue()).collect(Collectors.toUnmodifiableSet());
    }

    static ApiError apiError(KeyOperationRefused e) {
        return new ApiError(keyOperation(e.reason()), e.reason().name(), e.getMessage());
    }

    static ApiError apiError(BackupRefused e) {
        return new ApiError(backup(e.reason()), e.reason().name(), e.getMessage());
    }
}
