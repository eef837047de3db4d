package org.microcert.cluster.trail;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Audit trail kept in memory (and in the audit log): for tests and single-node development only. */
public final class InMemoryAuditTrail implements AuditTrail {

    private static final Logger AUDIT_LOG = LoggerFactory.getLogger("microcert.audit");
    private final List<AuditRecord> records = new ArrayList<>();

    @Override
    public synchronized CompletionStage<Void> record(AuditRecord record) {
        AUDIT_LOG.info(record.toLogLine());
        records.add(record);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletionStage<List<AuditRecord>> query(Instant since, Instant until, String sensorId, int limit) {
        List<AuditRecord> out = new ArrayList<>();
        for (int i = records.size() - 1; i >= 0 && out.size() < limit; i--) {   // appended in time order
            AuditRecord r = records.get(i);
            if (!r.time().isBefore(since) && !r.time().isAfter(until)
                    && (sensorId == null || sensorId.equals(r.sensorId()))) {
                out.add(r);
            }
        }
        return CompletableFuture.completedFuture(out);
    }
}
