package org.microcert.cluster.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.stream.Stream;
import org.microcert.cluster.application.AuditedOperations;

/**
 * The OpenAPI 3.0 document served at {@code /openapi.json}: the machine-readable form of
 * docs/http-api.md (which stays the reference for semantics).
 */
final class OpenApi {

    private OpenApi() {}

    static byte[] document() {
        ObjectNode doc = Json.object().put("openapi", "3.0.3");
        doc.putObject("info").put("title", "MicroCert gateway").put("version", "1")
                .put("description", "Micro-certificate authentication and key management. See docs/http-api.md.");
        ObjectNode schemas = doc.putObject("components").putObject("schemas");
        doc.withObjectProperty("components").putObject("securitySchemes").putObject("bearer").put("type", "http").put("scheme", "bearer");
        schemas.set("Error", object(prop("error", string()), prop("message", string()),
                prop("auditWarning", enumOf(AuditedOperations.OUTCOME_UNRECORDED))).put("description",
                "Every 4xx/5xx answer; 'error' is a stable code"));
        schemas.set("Verdict", object(prop("outcome", enumOf("ACCEPTED", "REJECTED")), prop("sensorId", sensorId()),
                prop("timestamp", integer()), prop("seedVersion", integer()), prop("plaintext", base64()),
                prop("reason", string()), prop("error", string()), prop("message", string()), prop("serverTime", integer())));
        schemas.set("CertificateRequest", object(prop("certificate", base64())).set("required", array("certificate")));
        schemas.set("SignRequest", object(prop("certificate", base64()), prop("data", base64()))
                .set("required", array("certificate", "data")));
        schemas.set("BatchRequest", object(prop("certificates", Json.object().put("type", "array")
                .put("minItems", 1).put("maxItems", ApiLimits.MAX_BATCH).set("items", base64())))
                .set("required", array("certificates")));
        schemas.set("SignBatchRequest", object(prop("items", Json.object().put("type", "array")
                .put("minItems", 1).put("maxItems", ApiLimits.MAX_BATCH).set("items", ref("SignRequest"))))
                .set("required", array("items")));
        schemas.set("BatchResponse", object(prop("accepted", integer()), prop("rejected", integer()),
                prop("results", Json.object().put("type", "array").set("items", ref("Verdict")))));
        schemas.set("PollAnswer", object(prop("outcome", enumOf("ACCEPTED", "REJECTED")), prop("sensorId", sensorId()),
                prop("timestamp", integer()), prop("seedVersion", integer()), prop("reason", string()),
                prop("error", string()), prop("message", string()), prop("serverTime", integer()),
                prop("commands", Json.object().put("type", "array").set("items", base64())))
                .put("description", "A verdict on the poll's AUTH certificate and the COMMAND certificates pending "
                        + "for the sensor, tagged now (REJECTED with REVOKED carries the REVOKE while it is delivered)"));
        schemas.set("PollBatchResponse", object(prop("accepted", integer()), prop("rejected", integer()),
                prop("results", Json.object().put("type", "array").set("items", ref("PollAnswer")))));
        schemas.set("SeedOffered", object(prop("sensorId", sensorId()), prop("received", bool()),
                prop("seedVersion", integer()), prop("pendingSeedVersion", integer().put("nullable", true))));
        schemas.set("EnvelopeRequest", object(prop("envelope", base64())).set("required", array("envelope")));
        schemas.set("RevokeRequest", object(prop("reason", string().put("maxLength", 200))));
        schemas.set("EncryptRequest", object(prop("plaintext", base64())).set("required", array("plaintext")));
        schemas.set("SensorStatus", object(prop("sensorId", sensorId()),
                prop("status", enumOf("ACTIVE", "UPDATE_PENDING", "REVOKED")), prop("seedVersion", integer()),
                prop("pendingSeedVersion", integer().put("nullable", true)), prop("suite", enumOf("AES128", "SM4")),
                prop("epochYear", integer()), prop("keyVersion", integer()), prop("provisionedAt", dateTime()),
                prop("updatedAt", dateTime()), prop("command", base64()), prop("certificate", base64()),
                prop("counters", object(prop("accepted", integer()), prop("rejected", integer()))),
                prop("hostedBy", string()), prop("previousKeyVersion", integer()), prop("rewrapped", bool()),
                prop("auditWarning", enumOf(AuditedOperations.OUTCOME_UNRECORDED).put("description",
                        "present when the change happened but its outcome could not be written to the audit trail"))));
        schemas.set("AuditRecords", object(prop("records", Json.object().put("type", "array").set("items", object(
                prop("time", dateTime()), prop("actor", string()), prop("role", string()), prop("action", string()),
                prop("sensorId", sensorId()), prop("result", string()), prop("detail", string()),
                prop("requestId", string()))))));

        ObjectNode paths = doc.putObject("paths");
        String device = "Device traffic (no token; the certificate is the credential)";
        op(paths, "/v1/authenticate", "post", device, "Authenticate one AUTH certificate",
                binaryOrJson("CertificateRequest"), "Verdict", false, "400", "401", "403", "404", "408", "413", "415", "429", "503");
        op(paths, "/v1/authenticate/batch", "post", device, "Authenticate up to 1000 AUTH certificates",
                jsonBody("BatchRequest"), "BatchResponse", false, "400", "401", "408", "413", "415", "429", "503");
        op(paths, "/v1/verify/batch", "post", device, "Verify up to 1000 SIGN certificates, each over its data",
                jsonBody("SignBatchRequest"), "BatchResponse", false, "400", "401", "408", "413", "415", "429", "503");
        op(paths, "/v1/decrypt/batch", "post", device, "Decrypt up to 1000 ENC_UP certificates",
                jsonBody("BatchRequest"), "BatchResponse", false, "400", "401", "408", "413", "415", "429", "503");
        op(paths, "/v1/verify", "post", device, "Verify a SIGN certificate over data",
                jsonBody("SignRequest"), "Verdict", false, "400", "401", "403", "404", "408", "413", "415", "429", "503");
        op(paths, "/v1/decrypt", "post", device, "Decrypt an ENC_UP certificate",
                binaryOrJson("CertificateRequest"), "Verdict", false, "400", "401", "403", "404", "408", "413", "415", "429", "503");
        op(paths, "/v1/downlink", "post", device, "Poll: an AUTH certificate in, the sensor's pending COMMAND "
                + "certificates (tagged now) out", binaryOrJson("CertificateRequest"), "PollAnswer", false,
                "400", "401", "403", "404", "408", "413", "415", "429", "503");
        op(paths, "/v1/downlink/batch", "post", device, "Poll for up to 1000 sensors (gateways)",
                jsonBody("BatchRequest"), "PollBatchResponse", false, "400", "401", "408", "413", "415", "429", "503");
        op(paths, "/v1/downlink/seed-update", "post", device, "The sensor's UPDATE envelope for its pending seed "
                + "update; kept beside the current seed until a certificate under it completes the update",
                jsonBody("EnvelopeRequest"), "SeedOffered", false, "400", "401", "404", "408", "409", "413", "415", "429", "503");
        String operator = "Operator API (bearer token)";
        op(paths, "/v1/sensors", "post", operator, "Provision one sensor from a TRANSPORT envelope",
                jsonBody("EnvelopeRequest"), "SensorStatus", true, "400", "401", "403", "404", "408", "409", "413", "415", "503")
                .withObjectProperty("responses").set("201", response("Provisioned", "SensorStatus"));
        ((ObjectNode) paths.withObjectProperty("/v1/sensors").withObjectProperty("post").withObjectProperty("responses")).remove("200");
        legacySeedsParam(paths.withObjectProperty("/v1/sensors").withObjectProperty("post"));
        ObjectNode ndjson = Json.object();
        ndjson.putObject("content").putObject("application/x-ndjson").putObject("schema").put("type", "string");
        op(paths, "/v1/sensors/import", "post", operator,
                "Bulk import of a factory manifest; streams one NDJSON result per line, then a summary",
                ndjson, null, true, "400", "401", "403", "408", "415", "503");
        legacySeedsParam(paths.withObjectProperty("/v1/sensors/import").withObjectProperty("post"));
        ObjectNode get = op(paths, "/v1/sensors/{sensorId}", "get", operator, "Sensor status (operator, auditor)",
                null, "SensorStatus", true, "400", "401", "403", "404", "409", "503");
        sensorParam(get);
        sensorParam(op(paths, "/v1/sensors/{sensorId}/revoke", "post", operator,
                "Revoke; answers the COMMAND certificate for the sensor", jsonBody("RevokeRequest"), "SensorStatus",
                true, "400", "401", "403", "404", "408", "409", "413", "415", "503"));
        sensorParam(op(paths, "/v1/sensors/{sensorId}/seed-update", "post", operator,
                "Start a seed update; answers the COMMAND certificate for the sensor", null, "SensorStatus", true,
                "400", "401", "403", "404", "408", "409", "413", "415", "503"));
        sensorParam(op(paths, "/v1/sensors/{sensorId}/seed-update/complete", "post", operator,
                "Hand in the sensor's UPDATE envelope (kept as offered until a certificate under it completes the update)", jsonBody("EnvelopeRequest"), "SensorStatus",
                true, "400", "401", "403", "404", "408", "409", "413", "415", "503"));
        sensorParam(op(paths, "/v1/sensors/{sensorId}/downlink/cancel", "post", operator,
                "Withdraw the pending seed update, else end the delivery of the revocation", null, "SensorStatus", true,
                "400", "401", "403", "404", "408", "409", "413", "415", "503"));
        sensorParam(op(paths, "/v1/sensors/{sensorId}/encrypt", "post", operator,
                "Encrypt a payload to the sensor; answers an ENC_DOWN certificate", jsonBody("EncryptRequest"),
                "SensorStatus", true, "400", "401", "403", "404", "408", "409", "413", "415", "503"));
        sensorParam(op(paths, "/v1/sensors/{sensorId}/rewrap", "post", operator,
                "Reseal the sensor's seed under the card's current K_store version (after a rotation)", null,
                "SensorStatus", true, "400", "401", "403", "404", "408", "409", "413", "415", "503"));
        op(paths, "/v1/rewrap", "post", operator,
                "Rewrap every sensor; streams one NDJSON result per sensor, then a summary", null, null, true,
                "400", "401", "403", "501", "503").withObjectProperty("responses").withObjectProperty("200").putObject("content")
                .putObject("application/x-ndjson").putObject("schema").put("type", "string");
        ObjectNode audit = op(paths, "/v1/audit", "get", operator, "Audit trail, newest first (operator, auditor)",
                null, "AuditRecords", true, "400", "401", "403", "503");
        ArrayNode params = audit.putArray("parameters");
        for (String[] p : new String[][] {{"since", "date-time"}, {"until", "date-time"}, {"sensorId", null}, {"limit", null}}) {
            ObjectNode param = params.addObject().put("name", p[0]).put("in", "query").put("required", false);
            param.set("schema", p[0].equals("limit") ? integer().put("minimum", 1).put("maximum", 1000)
                    : p[1] == null ? sensorId() : dateTime());
        }
        ObjectNode backup = op(paths, "/v1/backup", "post", operator,
                "Stream a backup of all sealed key state (the file of ops/bin/backup), after the journal audit "
                        + "against every Up member's card set digest", null, null, true, "400", "401", "403", "409", "501", "503");
        backup.withObjectProperty("responses").withObjectProperty("200").putObject("headers")
                .putObject("Content-Disposition").putObject("schema").put("type", "string");
        backup.withObjectProperty("responses").withObjectProperty("200").putObject("content").putObject("application/octet-stream")
                .putObject("schema").put("type", "string").put("format", "binary");
        String health = "Health, metrics";
        op(paths, "/health/alive", "get", health, "Liveness", null, null, false);
        op(paths, "/health/ready", "get", health, "Readiness: Up cluster member and journal answering", null, null,
                false, "503");
        op(paths, "/metrics", "get", health, "Prometheus text format", null, null, false);
        op(paths, "/openapi.json", "get", health, "This document", null, null, false);
        return Json.bytes(doc);
    }

    private static ObjectNode op(ObjectNode paths, String path, String method, String tag, String summary,
                                 ObjectNode requestBody, String okSchema, boolean secured, String... errors) {
        ObjectNode op = paths.withObjectProperty(path).putObject(method).put("summary", summary);
        op.putArray("tags").add(tag);
        if (requestBody != null) {
            op.set("requestBody", requestBody);
        }
        if (secured) {
            op.putArray("security").addObject().putArray("bearer");
        }
        ObjectNode responses = op.putObject("responses");
        responses.set("200", response("OK", okSchema));
        // every operation: an unexpected failure is 500 INTERNAL (logged with the request id); a secured
        // one also 429 TOO_MANY_AUTH_FAILURES (a source over its failed-authentication limit)
        for (String code : Stream.concat(Arrays.stream(errors), secured ? Stream.of("429", "500") : Stream.of("500")).toList()) {
            responses.set(code, response("See docs/http-api.md", code.equals("403") && !secured ? "Verdict" : "Error"));
        }
        return op;
    }

    private static void sensorParam(ObjectNode op) {
        op.withArrayProperty("parameters").addObject().put("name", "sensorId").put("in", "path").put("required", true)
                .set("schema", sensorId());
    }

    private static ObjectNode response(String description, String schema) {
        ObjectNode r = Json.object().put("description", description);
        if (schema != null) {
            r.putObject("content").putObject("application/json").set("schema", ref(schema));
        }
        return r;
    }

    private static ObjectNode jsonBody(String schema) {
        ObjectNode b = Json.object().put("required", true);
        b.putObject("content").putObject("application/json").set("schema", ref(schema));
        return b;
    }

    private static ObjectNode binaryOrJson(String schema) {
        ObjectNode b = jsonBody(schema);
        b.withObjectProperty("content").putObject("application/octet-stream").putObject("schema").put("type", "string")
                .put("format", "binary");
        return b;
    }

    private static ObjectNode ref(String name) {
        return Json.object().put("$ref", "#/components/schemas/" + name);
    }

    private static ObjectNode[] prop(String name, ObjectNode schema) {
        return new ObjectNode[] {Json.object().put("name", name), schema};
    }

    /** {@code ?legacy-seeds=accept}: the audited exception to the provisioning policy (docs/http-api.md). */
    private static void legacySeedsParam(ObjectNode operation) {
        ObjectNode p = operation.withArray("parameters").addObject().put("name", "legacy-seeds").put("in", "query")
                .put("required", false).put("description", "accept first seeds of another version or whose five "
                        + "years are over (never ones not yet begun); recorded in the audit trail");
        p.set("schema", enumOf("accept"));
    }

    @SafeVarargs
    private static ObjectNode object(ObjectNode[]... props) {
        ObjectNode o = Json.object().put("type", "object").put("additionalProperties", false);
        ObjectNode properties = o.putObject("properties");
        for (ObjectNode[] p : props) {
            properties.set(p[0].get("name").asText(), p[1]);
        }
        return o;
    }

    private static ArrayNode array(String... values) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (String v : values) {
            a.add(v);
        }
        return a;
    }

    private static ObjectNode string() {
        return Json.object().put("type", "string");
    }

    private static ObjectNode integer() {
        return Json.object().put("type", "integer");
    }

    private static ObjectNode bool() {
        return Json.object().put("type", "boolean");
    }

    private static ObjectNode base64() {
        return string().put("format", "byte");
    }

    private static ObjectNode dateTime() {
        return string().put("format", "date-time");
    }

    private static ObjectNode sensorId() {
        return string().put("pattern", "^[0-9a-f]{16}$");
    }

    private static ObjectNode enumOf(String... values) {
        ObjectNode s = string();
        s.set("enum", array(values));
        return s;
    }
}
