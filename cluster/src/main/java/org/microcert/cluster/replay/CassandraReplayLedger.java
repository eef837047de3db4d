package org.microcert.cluster.replay;

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
 * Rows expire {@code ttl} after their last renewal: a sensor recovered later from a session long
 * gone gets the conservative floor for an unknown session instead, safe by then on any clock. A
 * node with the ledger off still reads sessions (its sensors may have joined another node's).
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
    private final boolean renewing;
    private final int ttlSeconds;
    private final org.apache.pekko.cluster.Cluster cluster;
    private volatile boolean joinable;
    private final String node;
    private final Instant started;
    private volatile long durableUntil = Long.MIN_VALUE;
    private long written = Long.MIN_VALUE; // highest value sent, acknowledged or not (renewal thread only)
    private boolean failing;

    private CassandraReplayLedger(CassandraSession session, String keyspace, String writeProfile, String readProfile,
                                  Clock clock, Duration ahead, String node, boolean renewing, Duration ttl,
                                  org.apache.pekko.cluster.Cluster cluster) {
        this.session = session;
        this.renewing = renewing;
        this.ttlSeconds = (int) Math.min(Integer.MAX_VALUE, ttl.toSeconds());
        this.cluster = cluster;
        this.table = keyspace + ".replay_sessions";
        this.writeProfile = writeProfile;
        this.readProfile = readProfile;
        this.clock = clock;
        this.aheadSeconds = ahead.toSeconds();
        this.node = node;
        this.started = clock.instant();
    }

    /** The oldest MicroCert version ({@code pekko.cluster.app-version}) that reads a ledger membership. */
    static final org.apache.pekko.util.Version SINCE = new org.apache.pekko.util.Version("0.2.0");

    /**
     * Starts a session of this node, renewed every {@code renewEvery} when {@code renewing} (else it
     * only reads other nodes' sessions), after creating the table when {@code createTable} (dev
     * profile only: production applies persistence's schema.cql).
     */
    public static CassandraReplayLedger start(ActorSystem<?> system, CassandraSession session, String keyspace,
                                              String writeProfile, String readProfile, Clock clock, Duration ahead,
                                              boolean renewing, Duration renewEvery, Duration timeout, Duration ttl,
                                              boolean createTable, Metrics metrics) {
        String node = system.address().getHost().orElse("local") + ":" + system.address().getPort().orElse(0);
        CassandraReplayLedger ledger = new CassandraReplayLedger(session, keyspace, writeProfile, readProfile, clock,
                ahead, node, renewing, ttl, org.apache.pekko.cluster.Cluster.get(system.classicSystem()));
        CompletionStage<?> ready = createTable ? ledger.createTable(keyspace) : CompletableFuture.completedFuture(null);
        ready.whenComplete((d, failure) -> {
            if (failure != null) {
                LOG.warn("replay ledger table not created ({}): sensors reserve on their own",
                        failure.getClass().getSimpleName());
            }
            if (!renewing) {
                return;
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
        java.util.List<org.apache.pekko.util.Version> versions = new java.util.ArrayList<>();
        cluster.state().getMembers().forEach(m -> versions.add(m.appVersion()));
        joinable = joinsAllowed(versions);
        if (written != durableUntil && written != Long.MIN_VALUE && !failing) {
            return; // the previous write has not answered yet
        }
        long until = Math.max(written, clock.instant().getEpochSecond() + aheadSeconds);
        written = until;
        failing = false;
        try {
            SimpleStatement insert = SimpleStatement.newInstance("INSERT INTO " + table
                            + " (session, reserved_until, node, started) VALUES (?, ?, ?, ?) USING TTL ?",
                            id, until, node, started, ttlSeconds)
                    .setExecutionProfileName(writeProfile);
            session.executeWrite(insert).toCompletableFuture().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((done, failure) -> acknowledged(until, failure, metrics));
        } catch (RuntimeException e) {
            // Thrown before any callback could run: without this the next renewals would wait for it
            // forever (and a scheduled task that throws is not run again).
            acknowledged(until, e, metrics);
        }
    }

    /** Whether every member runs a version that reads a ledger membership (rolling upgrades). */
    static boolean joinsAllowed(Iterable<org.apache.pekko.util.Version> memberVersions) {
        for (org.apache.pekko.util.Version v : memberVersions) {
            if (v.compareTo(SINCE) < 0) {
                return false;
            }
        }
        return true;
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
        return renewing ? id : null;
    }

    @Override
    public boolean joinable() {
        return renewing && joinable;
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
