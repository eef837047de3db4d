package org.microcert.cluster.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.microcert.cluster.json.StrictJson;
import org.microcert.protocol.SensorId;

/** The gateway's JSON: {@link StrictJson}, its defects as {@link ApiError}s, and the request bodies. */
final class Json {

    static final ObjectMapper MAPPER = StrictJson.MAPPER;

    private Json() {}

    /** Parses a JSON object into {@code type}; unknown fields, wrong types and trailing data are errors. */
    static <T> T parse(byte[] body, Class<T> type) {
        try {
            return StrictJson.parse(body, type);
        } catch (StrictJson.InvalidJson e) {
            throw apiError(e);
        }
    }

    /** A required field's value, or BAD_JSON naming the missing field. */
    static <T> T required(T value, String field) {
        try {
            return StrictJson.required(value, field);
        } catch (StrictJson.InvalidJson e) {
            throw apiError(e);
        }
    }

    /** Strict standard base64 with padding (RFC 4648 section 4). */
    static byte[] base64(String value, String field) {
        try {
            return StrictJson.base64(value, field);
        } catch (StrictJson.InvalidJson e) {
            throw apiError(e);
        }
    }

    static ApiError apiError(StrictJson.InvalidJson e) {
        return new ApiError(StatusCodes.BAD_REQUEST, e.code().name(), e.getMessage());
    }

    static String base64(byte[] value) {
        return StrictJson.base64(value);
    }

    static SensorId sensorId(String text) {
        try {
            return SensorId.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiError.badSensorId(text);
        }
    }

    static ObjectNode object() {
        return StrictJson.object();
    }

    static byte[] bytes(Object node) {
        return StrictJson.bytes(node);
    }

    static ObjectNode error(String code, String message) {
        return object().put("error", code).put("message", message);
    }

    // Request bodies (records: Jackson binds them by their component names).
    record CertificateBody(String certificate) {}

    record SignBody(String certificate, String data) {}

    record BatchBody(java.util.List<String> certificates) {}

    record SignBatchBody(java.util.List<SignBody> items) {}

    record EnvelopeBody(String envelope) {}

    record RevokeBody(String reason) {}

    record EncryptBody(String plaintext) {}

    record EmptyBody() {}
}
