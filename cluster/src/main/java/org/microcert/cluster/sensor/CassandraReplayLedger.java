package org.microcert.cluster.sensor;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.microcert.cluster.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replay ledger in Cassandra, one row per node session, next to the journal:
 * <pre>
 * CREATE TABLE IF NOT EXISTS &lt;journal keyspace&gt;.replay_sessions (
 *   session text PRIMARY KEY, reserved_until bigint, node text, started timestamp);
 * </pre>
 * Written and read with the journal's profiles (QUORUM by default), so a node recovering another
 * node's sensors after a crash reads at least the last reservation that node saw acknowledged.
 * Renewed every {@code renewEvery} to {@code now + ahead}, one write at a time; a write that fails
 * leaves {@link #durableUntil()} where it was, and entities fall back to reservations of their own
 * once the clock reaches it.
 */
public final class CassandraReplayLedger implements ReplayLedger {

    private static final Logger LOG = LoggerFactory.getLogger(CassandraReplayLedger.class);

    private final CassandraSession session;
    private final String table;
    private final String writeProfile;
    private final String readProfile;
    private final Clock clock;
    private final long aheadSeconds;
    private final String id = UUID.randomUUID().toString();
    private final String node;
    private final Instant started;
    private volatile long durableUntil = Long.MIN_VALUE;
    private long written = Long.MIN_VALUE; // highest value sent, acknowledged or not (renewal thread only)
    private boolean failing;

    private CassandraReplayLedger(CassandraSession session, String keyspace, String writeProfile, String readProfile,
                                  Clock clock, Duration ahead, String node) {
        this.session = session;
        this.table = keyspace + ".replay_sessions";
        this.writeProfile = writeProfile;
        this.readProfile = readProfile;
        this.clock = clock;
        this.aheadSeconds = ahead.toSeconds();
        this.node = node;
        this.started = clock.instant();
    }

    /**
     * Starts renewing a new session of this node every {@code renewEvery}, after creating the table
     * when {@code createTable} (dev profile only: production applies persistence's schema.cql).
     */
    public static CassandraReplayLedger start(ActorSystem<?> system, CassandraSession session, String keyspace,
                                              String writeProfile, String readProfile, Clock clock, Duration ahead,
                                              Duration renewEvery, Duration timeout, boolean createTable,
                                              Metrics metrics) {
        String node = system.address().getHost().orElse("local") + ":" + system.address().getPort().orElse(0);
        CassandraReplayLedger ledger = new CassandraReplayLedger(session, keyspace, writeProfile, readProfile, clock,
                ahead, node);
        CompletionStage<?> ready = createTable ? ledger.createTable(keyspace) : CompletableFuture.completedFuture(null);
        ready.whenComplete((d, failure) -> {
            if (failure != null) {
                LOG.warn("replay ledger table not created ({}): sensors reserve on their own",
                        failure.getClass().getSimpleName());
            }
            LOG.info("replay ledger session {} of node {}: renewed every {} ms, {} s ahead", ledger.id, node,
                    renewEvery.toMillis(), ahead.toSeconds());
            system.scheduler().scheduleWithFixedDelay(Duration.ZERO, renewEvery,
                    () -> ledger.renew(timeout, metrics), system.executionContext());
        });
        return ledger;
    }

    private CompletionStage<?> createTable(String keyspace) {
        return session.executeDDL("CREATE KEYSPACE IF NOT EXISTS " + keyspace
                        + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
                .thenCompose(d -> session.executeDDL("CREATE TABLE IF NOT EXISTS " + table
                        + " (session text PRIMARY KEY, reserved_until bigint, node text, started timestamp)"));
    }

    // Runs on the scheduler's executor; fixed delay, and a write still in flight is not overtaken
    // (the next renewal waits), so values are written in increasing order.
    private synchronized void renew(Duration timeout, Metrics metrics) {
        if (written != durableUntil && written != Long.MIN_VALUE && !failing) {
            return; // the previous write has not answered yet
        }
        long until = Math.max(written, clock.instant().getEpochSecond() + aheadSeconds);
        written = until;
        failing = false;
        SimpleStatement insert = SimpleStatement.newInstance("INSERT INTO " + table
                        + " (session, reserved_until, node, started) VALUES (?, ?, ?, ?)", id, until, node, started)
                .setExecutionProfileName(writeProfile);
        session.executeWrite(insert).toCompletableFuture().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((done, failure) -> acknowledged(until, failure, metrics));
    }

    private synchronized void acknowledged(long until, Throwable failure, Metrics metrics) {
        if (failure == null) {
            durableUntil = Math.max(durableUntil, until);
            metrics.ledgerRenewed(true);
        } else {
            // It may still have been applied: a higher stored value is only more conservative.
            failing = true;
            metrics.ledgerRenewed(false);
            LOG.warn("replay ledger not renewed ({}): sensors reserve on their own past {}",
                    failure.getClass().getSimpleName(), durableUntil);
        }
    }

    @Override
    public String session() {
        return id;
    }

    @Override
    public long durableUntil() {
        return durableUntil;
    }

    @Override
    public CompletionStage<OptionalLong> reservedUntil(String session) {
        if (id.equals(session)) {
            // this node's own: what was acknowledged, or anything written since (all at most `written`)
            synchronized (this) {
                return CompletableFuture.completedFuture(written == Long.MIN_VALUE ? OptionalLong.empty()
                        : OptionalLong.of(written));
            }
        }
        SimpleStatement select = SimpleStatement.newInstance("SELECT reserved_until FROM " + table
                + " WHERE session = ?", session).setExecutionProfileName(readProfile);
        return this.session.selectOne(select).thenApply(row -> row.isPresent() && !row.get().isNull("reserved_until")
                ? OptionalLong.of(row.get().getLong("reserved_until")) : OptionalLong.empty());
    }
}
