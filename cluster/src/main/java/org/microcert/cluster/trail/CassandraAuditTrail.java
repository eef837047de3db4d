package org.microcert.cluster.trail;

import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchableStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail in Cassandra, one partition per UTC day, newest first:
 * <pre>
 * CREATE TABLE IF NOT EXISTS &lt;keyspace&gt;.audit_trail (
 *   day date, time timestamp, id uuid, actor text, role text, action text, sensor_id text,
 *   result text, detail text, request_id text,
 *   PRIMARY KEY ((day), time, id)) WITH CLUSTERING ORDER BY (time DESC, id ASC);
 * </pre>
 * The table is created at start-up only when {@code microcert.audit.tables-autocreate} is on (dev);
 * production applies the CQL above with the journal schema (docs/cluster.md).
 */
public final class CassandraAuditTrail implements AuditTrail {

    private static final Logger AUDIT_LOG = LoggerFactory.getLogger("microcert.audit");
    private static final Logger LOG = LoggerFactory.getLogger(CassandraAuditTrail.class);
    /** Queries never walk back more than this many day partitions. */
    private static final int MAX_DAYS = 366;

    private final CassandraSession session;
    private final String table;
    private final Executor executor;

    public CassandraAuditTrail(CassandraSession session, String keyspace, Executor executor) {
        this.session = session;
        this.table = keyspace + ".audit_trail";
        this.executor = executor;
    }

    /** Creates the keyspace (SimpleStrategy, RF 1: dev only) and the table when missing. */
    public CompletionStage<Void> createTables(String keyspace) {
        return session.executeDDL("CREATE KEYSPACE IF NOT EXISTS " + keyspace
                        + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
                .thenComposeAsync(d -> session.executeDDL("CREATE TABLE IF NOT EXISTS " + table + " ("
                        + "day date, time timestamp, id uuid, actor text, role text, action text, sensor_id text, "
                        + "result text, detail text, request_id text, PRIMARY KEY ((day), time, id)) "
                        + "WITH CLUSTERING ORDER BY (time DESC, id ASC)"), executor)
                .thenApply(d -> null);
    }

    /**
     * Records are group-committed: one goes out at once while fewer than {@value #MAX_WRITES_IN_FLIGHT}
     * writes are in flight; the ones that arrive meanwhile wait and go together, up to
     * {@value #MAX_BATCH} of one day in an unlogged batch. A batch within one partition is a single
     * mutation (and no batch-size warning), so a bulk import's two records per sensor cost the key
     * database a fraction of a write each. Each record's stage still completes only once its own
     * row is stored, and fails when its batch's write fails.
     */
    @Override
    public CompletionStage<Void> record(AuditRecord r) {
        AUDIT_LOG.info(r.toLogLine());
        Pending p = new Pending(r, Uuids.random(), new CompletableFuture<>());
        synchronized (queued) {
            queued.add(p);
        }
        drain();
        return p.stored();
    }

    static final int MAX_BATCH = 100;
    static final int MAX_WRITES_IN_FLIGHT = 4;

    private record Pending(AuditRecord record, java.util.UUID id, CompletableFuture<Void> stored) {}

    private final java.util.ArrayDeque<Pending> queued = new java.util.ArrayDeque<>();
    private int writing; // guarded by queued
    private volatile CompletionStage<PreparedStatement> insert;

    private void drain() {
        while (true) {
            List<Pending> batch = new ArrayList<>();
            synchronized (queued) {
                if (writing >= MAX_WRITES_IN_FLIGHT || queued.isEmpty()) {
                    return;
                }
                writing++;
                LocalDate day = day(queued.peek().record().time());
                while (!queued.isEmpty() && batch.size() < MAX_BATCH && day(queued.peek().record().time()).equals(day)) {
                    batch.add(queued.poll());
                }
            }
            write(batch).whenCompleteAsync((done, failure) -> {
                synchronized (queued) {
                    writing--;
                }
                if (failure != null) {
                    // The log lines above already hold the records; the store is caught up by nobody,
                    // so say it loudly.
                    LOG.error("{} audit record(s) not stored in Cassandra (kept in the audit log), the first {}: {}",
                            batch.size(), batch.get(0).record().action(), failure.toString());
                }
                for (Pending p : batch) {
                    if (failure == null) {
                        p.stored().complete(null);
                    } else {
                        p.stored().completeExceptionally(new IllegalStateException("audit store unavailable"));
                    }
                }
                drain();
            }, executor);
        }
    }

    private CompletionStage<?> write(List<Pending> batch) {
        CompletionStage<PreparedStatement> prepared = insert;
        if (prepared == null) {
            prepared = session.prepare("INSERT INTO " + table
                    + " (day, time, id, actor, role, action, sensor_id, result, detail, request_id)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
            insert = prepared;
        }
        return prepared.thenComposeAsync(ps -> {
            List<BatchableStatement<?>> rows = new ArrayList<>(batch.size());
            for (Pending p : batch) {
                AuditRecord r = p.record();
                rows.add(ps.bind(day(r.time()), r.time(), p.id(), r.actor(), r.role(), r.action(), r.sensorId(),
                        r.result(), r.detail(), r.requestId()));
            }
            return session.executeWrite(rows.size() == 1 ? (BoundStatement) rows.get(0)
                    : BatchStatement.newInstance(DefaultBatchType.UNLOGGED, rows));
        }, executor).whenComplete((d, failure) -> {
            if (failure != null) {
                insert = null; // prepared again next time (e.g. the table was created since)
            }
        });
    }

    @Override
    public CompletionStage<List<AuditRecord>> query(Instant since, Instant until, String sensorId, int limit) {
        List<AuditRecord> out = new ArrayList<>();
        return queryDay(day(until), day(since), since, until, sensorId, limit, out, 0);
    }

    private CompletionStage<List<AuditRecord>> queryDay(LocalDate day, LocalDate lastDay, Instant since, Instant until,
                                                        String sensorId, int limit, List<AuditRecord> out, int walked) {
        if (day.isBefore(lastDay) || out.size() >= limit || walked >= MAX_DAYS) {
            return CompletableFuture.completedFuture(out);
        }
        return session.selectAll("SELECT time, actor, role, action, sensor_id, result, detail, request_id FROM " + table
                        + " WHERE day = ? AND time >= ? AND time <= ?", day, since, until)
                .thenComposeAsync(rows -> {
                    for (Row row : rows) {
                        if (out.size() >= limit) {
                            break;
                        }
                        String sid = row.getString("sensor_id");
                        if (sensorId == null || sensorId.equals(sid)) {
                            out.add(new AuditRecord(row.getInstant("time"), row.getString("actor"),
                                    row.getString("role"), row.getString("action"), sid, row.getString("result"),
                                    row.getString("detail"), row.getString("request_id")));
                        }
                    }
                    return queryDay(day.minusDays(1), lastDay, since, until, sensorId, limit, out, walked + 1);
                }, executor);
    }

    private static LocalDate day(Instant t) {
        return LocalDate.ofInstant(t, ZoneOffset.UTC);
    }
}
