package org.microcert.cluster.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.microcert.cluster.application.AuditedOperations;
import org.microcert.cluster.application.AuditedOperations.Audited;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Rewrapped;
import org.microcert.cluster.sensor.SensorMessages.SensorStatus;

/** A sensor's answer to an operator call as HTTP: status, JSON body, and the audit-outcome marker. */
final class OperatorReplies {

    private OperatorReplies() {}

    /** An audited reply; a missing outcome record adds {@code auditWarning} and a {@code Warning} header. */
    static HttpResponse audited(Audited<OperatorReply> o, StatusCode okStatus, String certificateField) {
        return withAuditWarning(http(o.reply(), okStatus, certificateField, o.outcomeUnrecorded()), o);
    }

    /** Marks an answer whose audit outcome is missing: a {@code Warning} header (the JSON field is set by the caller). */
    static HttpResponse withAuditWarning(HttpResponse response, Audited<?> o) {
        return !o.outcomeUnrecorded() ? response : response.addHeader(RawHeader.create("Warning",
                "199 microcert \"the outcome of this operation is not in the audit trail\""));
    }

    static HttpResponse http(OperatorReply reply, StatusCode okStatus, String certificateField, boolean auditWarning) {
        ObjectNode body;
        StatusCode status = okStatus;
        if (reply instanceof Refused r) {
            body = Json.error(r.error().name(), r.message());
            status = StatusMapping.refused(r.error());
        } else if (reply instanceof Rewrapped w) {
            body = statusJson(w.status()).put("previousKeyVersion", w.previousKeyVersion()).put("rewrapped", w.changed());
        } else {
            Done done = (Done) reply;
            body = statusJson(done.status());
            if (certificateField != null) {
                body.put(certificateField, done.certificate() == null ? null : Json.base64(done.certificate()));
            }
        }
        if (auditWarning) {
            body.put("auditWarning", AuditedOperations.OUTCOME_UNRECORDED);
        }
        HttpResponse response = HttpResponse.create().withStatus(status)
                .withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(body));
        if (status.equals(StatusCodes.SERVICE_UNAVAILABLE)) {
            response = response.addHeader(RawHeader.create("Retry-After", "2"));
        }
        return status.equals(StatusCodes.CREATED) && reply instanceof Done done
                ? response.addHeader(RawHeader.create("Location", "/v1/sensors/" + done.status().sensorId()))
                : response;
    }

    static ObjectNode statusJson(SensorStatus s) {
        ObjectNode o = Json.object().put("sensorId", s.sensorId()).put("status", s.status())
                .put("seedVersion", s.seedVersion());
        if (s.pendingSeedVersion() == null) {
            o.putNull("pendingSeedVersion");
        } else {
            o.put("pendingSeedVersion", s.pendingSeedVersion());
        }
        o.put("suite", s.suite()).put("epochYear", s.epochYear()).put("keyVersion", s.keyVersion())
                .put("provisionedAt", String.valueOf(s.provisionedAt())).put("updatedAt", String.valueOf(s.updatedAt()));
        o.putObject("counters").put("accepted", s.accepted()).put("rejected", s.rejected());
        o.put("hostedBy", s.hostedBy());
        return o;
    }
}
