package org.microcert.cluster.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;

/**
 * Strict JSON and base64, shared by the gateway and the manifest import: unknown fields, wrong types,
 * trailing data and sloppy base64 are refused with an {@link InvalidJson} naming the defect.
 */
public final class StrictJson {

    /** A defect in JSON input: its stable error code and a message naming the field. */
    public static final class InvalidJson extends RuntimeException {

        /** The stable error codes of docs/http-api.md for these defects. */
        public enum Code { BAD_JSON, BAD_BASE64 }

        private final Code code;

        InvalidJson(Code code, String message) {
            super(message, null, false, false);
            this.code = code;
        }

        public Code code() {
            return code;
        }
    }

    private static InvalidJson badJson(String message) {
        return new InvalidJson(InvalidJson.Code.BAD_JSON, message);
    }

    public static final ObjectMapper MAPPER = mapper();

    private static ObjectMapper mapper() {
        ObjectMapper m = new ObjectMapper()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        // Jackson turns 123 or true into the string "123"/"true" by default: a wrong shape then
        // reached base64 decoding (or the audit trail, for a revoke reason) instead of BAD_JSON.
        m.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return m;
    }

    private StrictJson() {}

    /** Parses a JSON object into {@code type}; unknown fields, wrong types and trailing data are errors. */
    public static <T> T parse(byte[] body, Class<T> type) {
        // Messages say what is wrong in API terms (field, expected type): Jackson's own name the
        // bound Java classes and its features, so only the parser's syntax messages are passed on.
        T value;
        try (JsonParser parser = MAPPER.createParser(utf8(body))) {
            // trailing data checked below, to say so (Jackson's check reads as a wrong shape)
            JsonNode tree = MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(parser);
            if (tree == null || tree.isMissingNode()) {
                throw badJson("expected a JSON object");
            }
            if (parser.nextToken() != null) {
                throw badJson("data after the JSON object");
            }
            requireText(tree, null);
            value = MAPPER.treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            throw badJson("unknown field '" + e.getPropertyName() + "'");
        } catch (MismatchedInputException e) {
            String field = path(e);
            throw badJson(field == null ? "expected a JSON object"
                    : "field '" + field + "' has the wrong type" + expected(e.getTargetType()));
        } catch (JsonEOFException e) {
            throw badJson("not valid JSON: unexpected end of input");
        } catch (StreamReadException e) {
            throw badJson("not valid JSON: " + syntax(e.getOriginalMessage()));
        } catch (JsonMappingException e) {
            String field = path(e);
            throw badJson(field == null ? "expected a JSON object" : "field '" + field + "' is invalid");
        } catch (IOException e) {
            throw badJson("unreadable body");
        }
        if (value == null) {
            throw badJson("expected a JSON object");
        }
        return value;
    }

    /**
     * Refuses strings (and names) that are not text: an escaped unpaired UTF-16 surrogate
     * ({@code "\ud800"}) parses, but cannot be encoded as UTF-8 further on (the audit write failed
     * with a 503 for what is the client's error).
     */
    private static void requireText(JsonNode node, String at) {
        if (node.isTextual() && !wellFormed(node.textValue())) {
            throw badJson((at == null ? "the body" : "field '" + at + "'") + " is not valid text (an unpaired UTF-16 surrogate)");
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                requireText(node.get(i), (at == null ? "" : at) + "[" + i + "]");
            }
        }
        var fields = node.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            String name = f.getKey();
            if (!wellFormed(name)) {
                throw badJson("a field name is not valid text (an unpaired UTF-16 surrogate)");
            }
            requireText(f.getValue(), at == null ? name : at + "." + name);
        }
    }

    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The body as UTF-8 (RFC 8259), strictly: given bytes, Jackson guessed UTF-16 or UTF-32 from
     * their pattern and acted on a body no UTF-8 client sent. A leading BOM is dropped (RFC 8259 allows it).
     */
    private static String utf8(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw badJson("the body is not UTF-8");
        }
        if (text.indexOf('\0') >= 0) { // valid UTF-8, but no JSON text has a raw NUL: UTF-16 or UTF-32
            throw badJson("the body is not UTF-8 (it has NUL bytes: UTF-16 or UTF-32?)");
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** A parser message without its location (which names a Jackson feature), on one line. */
    private static String syntax(String message) {
        String m = message == null ? "syntax error" : message;
        int cut = m.indexOf(" (start marker at");
        m = cut < 0 ? m : m.substring(0, cut);
        cut = m.indexOf('\n');
        return cut < 0 ? m : m.substring(0, cut);
    }

    /** Where in the body the defect is, e.g. {@code certificates[1]}; null for the body itself. */
    private static String path(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                b.append(b.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.isEmpty() ? null : b.toString();
    }

    private static String expected(Class<?> type) {
        if (type == String.class) {
            return ": expected a string";
        }
        return type != null && Collection.class.isAssignableFrom(type) ? ": expected an array" : "";
    }

    /** A required field's value, or BAD_JSON naming the missing field. */
    public static <T> T required(T value, String field) {
        if (value == null) {
            throw badJson("missing field '" + field + "'");
        }
        return value;
    }

    /** Strict standard base64 with padding (RFC 4648 section 4). */
    public static byte[] base64(String value, String field) {
        required(value, field);
        if (value.length() % 4 != 0) {
            throw new InvalidJson(InvalidJson.Code.BAD_BASE64, "field '" + field + "' is not valid base64");
        }
        try {
            return Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidJson(InvalidJson.Code.BAD_BASE64, "field '" + field + "' is not valid base64");
        }
    }

    public static String base64(byte[] value) {
        return Base64.getEncoder().encodeToString(value);
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static byte[] bytes(Object node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("JSON rendering failed", e);
        }
    }
}
