package org.microcert.cluster.trail;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Where the audit trail of key-management operations goes. Every record is also written to the
 * {@code microcert.audit} log (file appender in logback.xml), so a record survives even when the
 * store is down.
 */
public interface AuditTrail {

    /** Stores a record; completes when it is durable in the store. */
    CompletionStage<Void> record(AuditRecord record);

    /**
     * Records with {@code since <= time <= until}, newest first, at most {@code limit}, optionally only
     * those of one sensor ({@code sensorId} null for all).
     */
    CompletionStage<List<AuditRecord>> query(Instant since, Instant until, String sensorId, int limit);
}
