package org.microcert.cluster.application;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.microcert.cluster.application.AuditedOperations.Audited;
import org.microcert.cluster.json.StrictJson;
import org.microcert.cluster.sensor.RefusalCode;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Rewrapped;
import org.microcert.protocol.Failures;
import org.microcert.protocol.SensorId;

/**
 * Rewraps every sensor (K_store rotation): one NDJSON line per sensor as its entity answers (a few in
 * parallel, each audited like a single rewrap), then a summary line. The call's own intent is
 * recorded first; its outcome (the counts) once the stream ends.
 */
final class RewrapAll {

    private static final String ACTION = "REWRAP_ALL";

    private final AuditedOperations audited;
    private final KeyOperations keys;
    private final Operator operator;
    private final String requestId;

    RewrapAll(AuditedOperations audited, KeyOperations keys, Operator operator, String requestId) {
        this.audited = audited;
        this.keys = keys;
        this.operator = operator;
        this.requestId = requestId;
    }

    /** Completes with the result lines once the intent is stored; fails {@code AUDIT_UNAVAILABLE} otherwise. */
    CompletionStage<Source<ByteString, ?>> start(Source<SensorId, ?> ids, int parallelism) {
        return audited.recordIntent(operator, ACTION, null, null, requestId).thenApply(ok -> ids
                .mapAsync(parallelism, id -> keys.rewrap(operator, id, requestId)
                        .handleAsync((o, f) -> line(id, o, f), AuditedOperations.SAME_THREAD))
                // Count results as lines pass; at the end of the stream emit the summary.
                .statefulMap(HashMap<String, Long>::new, (Map<String, Long> counts, ObjectNode line) -> {
                    counts.merge(line.get("result").asText(), 1L, Long::sum);
                    return Pair.create(counts, line);
                }, counts -> Optional.of(summary(counts)))
                .mapAsync(1, line -> line.has("summary") ? recordSummary(line)
                        : CompletableFuture.completedFuture(ndjson(line))));
    }

    private static ObjectNode line(SensorId id, Audited<OperatorReply> o, Throwable failure) {
        ObjectNode line = StrictJson.object().put("sensorId", id.toString());
        if (failure != null) {
            String code = AuditedOperations.failureCode(failure);
            return line.put("result", "FAILED").put("error", code).put("message", code.equals("UNAVAILABLE")
                    ? "the sensor's shard did not answer in time"
                    : Failures.cause(failure) instanceof KeyOperationRefused r ? r.getMessage() : "internal error");
        }
        if (o.reply() instanceof Rewrapped w) {
            line.put("result", w.changed() ? "REWRAPPED" : "ALREADY_CURRENT").put("keyVersion", w.status().keyVersion())
                    .put("previousKeyVersion", w.previousKeyVersion());
        } else if (o.reply() instanceof Refused r) {
            // Revoked sensors hold no seed: nothing to rewrap.
            line.put("result", r.error() == RefusalCode.REVOKED ? "SKIPPED" : "FAILED").put("error", r.error().name())
                    .put("message", r.message());
        }
        if (o.outcomeUnrecorded()) {
            line.put("auditWarning", AuditedOperations.OUTCOME_UNRECORDED);
        }
        return line;
    }

    private static ObjectNode summary(Map<String, Long> counts) {
        ObjectNode line = StrictJson.object();
        line.putObject("summary")
                .put("sensors", counts.values().stream().mapToLong(Long::longValue).sum())
                .put("rewrapped", counts.getOrDefault("REWRAPPED", 0L))
                .put("alreadyCurrent", counts.getOrDefault("ALREADY_CURRENT", 0L))
                .put("skipped", counts.getOrDefault("SKIPPED", 0L)).put("failed", counts.getOrDefault("FAILED", 0L));
        return line;
    }

    /** The fleet rewrap's outcome record (the summary as detail), then the summary line. */
    private CompletionStage<ByteString> recordSummary(ObjectNode line) {
        String result = line.get("summary").get("failed").asLong() == 0 ? "OK" : "PARTIAL";
        return audited.recordOutcome(operator, ACTION, result, line.get("summary").toString(), requestId)
                .thenApply(stored -> {
                    if (!stored) {
                        line.put("auditWarning", AuditedOperations.OUTCOME_UNRECORDED);
                    }
                    return ndjson(line);
                });
    }

    static ByteString ndjson(ObjectNode line) {
        return ByteString.fromArray(StrictJson.bytes(line)).concat(ByteString.fromString("\n"));
    }
}
