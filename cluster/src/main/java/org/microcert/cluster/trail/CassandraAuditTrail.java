package org.microcert.cluster.trail;

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

    @Override
    public CompletionStage<Void> record(AuditRecord r) {
        AUDIT_LOG.info(r.toLogLine());
        return session.executeWrite("INSERT INTO " + table
                                + " (day, time, id, actor, role, action, sensor_id, result, detail, request_id)"
                                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        day(r.time()), r.time(), Uuids.random(), r.actor(), r.role(), r.action(), r.sensorId(),
                        r.result(), r.detail(), r.requestId())
                .handleAsync((done, failure) -> {
                    if (failure != null) {
                        // The log line above already holds the record; the store is caught up by nobody,
                        // so say it loudly.
                        LOG.error("audit record not stored in Cassandra (kept in the audit log): {} {}",
                                r.action(), failure.toString());
                        throw new IllegalStateException("audit store unavailable");
                    }
                    return null;
                }, executor);
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
