package org.microcert.cluster.lease;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.microcert.cluster.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's term: one row of {@code <keyspace>.lease_terms} with a TTL, renewed every heartbeat,
 * under which the node holds all its shards' leases ({@link CassandraLease}). One lightweight
 * transaction per node per heartbeat, whatever the number of shards. A term whose row expired
 * never comes back (renewals are {@code UPDATE ... IF EXISTS}); the node then starts a new one.
 * The node counts a term as alive until {@code start + ttl - safety-margin} of its last
 * acknowledged write on its own monotonic clock, and on its wall clock too: Linux's monotonic clock
 * stands still while the machine is suspended, the wall clock is set forward on resume.
 */
final class NodeTerm {

    static final String TABLE = "lease_terms";

    private static final Logger LOG = LoggerFactory.getLogger(NodeTerm.class);
    private static final ConcurrentHashMap<ExtendedActorSystem, NodeTerm> NODES = new ConcurrentHashMap<>();

    /** One per node (actor system); made by its first shard lease. */
    static NodeTerm of(ExtendedActorSystem system, String owner, CompletionStage<CassandraSession> session,
                       FencingSettings settings) {
        return NODES.computeIfAbsent(system, s -> {
            s.registerOnTermination(() -> NODES.remove(s));
            return new NodeTerm(s, owner, session, settings, System::nanoTime, System::currentTimeMillis);
        });
    }

    /** One term: its id (written as shard owners), validity and what to tell when it is lost. */
    final class Term {
        final String id;
        private volatile long validUntil;
        private volatile long wallValidUntil;
        private volatile boolean alive = true;
        private final List<Runnable> onLost = new CopyOnWriteArrayList<>();

        private Term(String id, long start, long wallStart) {
            this.id = id;
            this.validUntil = start + validNanos;
            this.wallValidUntil = wallStart + validNanos / 1_000_000;
        }

        /** Alive by both clocks: a local read, no I/O. */
        boolean held() {
            return alive && ticker.getAsLong() - validUntil < 0 && wallMillis.getAsLong() < wallValidUntil;
        }

        /** Renewed by a write sent at {@code start} (ticker) / {@code wallStart} (wall clock). */
        private void extend(long start, long wallStart) {
            if (start + validNanos - validUntil > 0) {
                validUntil = start + validNanos;
            }
            wallValidUntil = Math.max(wallValidUntil, wallStart + validNanos / 1_000_000);
        }

        long validUntil() {
            return validUntil;
        }

        /** Runs {@code r} when the term is lost (at once if it already is). */
        void onLost(Runnable r) {
            onLost.add(r);
            if (!alive && onLost.remove(r)) {
                r.run();
            }
        }

        void removeOnLost(Runnable r) {
            onLost.remove(r);
        }
    }

    private final ExtendedActorSystem system;
    private final String owner;
    private final CompletionStage<CassandraSession> session;
    private final FencingSettings settings;
    private final LongSupplier ticker;
    private final LongSupplier wallMillis;
    private final Metrics metrics;
    private final String table;
    private final int ttlSeconds;
    private final long validNanos;
    private Term current; // guarded by this
    private CompletionStage<Term> starting; // guarded by this
    private Cancellable renewal; // guarded by this
    private boolean renewing; // guarded by this

    NodeTerm(ExtendedActorSystem system, String owner, CompletionStage<CassandraSession> session,
             FencingSettings settings, LongSupplier ticker, LongSupplier wallMillis) {
        this.system = system;
        this.owner = owner;
        this.session = session;
        this.settings = settings;
        this.ticker = ticker;
        this.wallMillis = wallMillis;
        this.metrics = Metrics.get(org.apache.pekko.actor.typed.javadsl.Adapter.toTyped(system));
        this.table = settings.keyspace() + "." + TABLE;
        this.ttlSeconds = (int) settings.ttl().toSeconds();
        this.validNanos = settings.ttl().minus(settings.safetyMargin()).toNanos();
    }

    LongSupplier ticker() {
        return ticker;
    }

    /** The live term, or a new one once its row is written. */
    synchronized CompletionStage<Term> term() {
        if (current != null && current.held()) {
            return CompletableFuture.completedFuture(current);
        }
        if (current != null) {
            lose(current, "not renewed in time");
        }
        if (starting != null) {
            return starting;
        }
        long start = ticker.getAsLong();
        long wallStart = wallMillis.getAsLong();
        String id = owner + " " + UUID.randomUUID();
        CompletionStage<Term> s = execute(SimpleStatement.newInstance("INSERT INTO " + table
                + " (term, node) VALUES (?, ?) IF NOT EXISTS USING TTL ?", id, owner, ttlSeconds))
                .thenApply(rs -> {
                    if (!rs.wasApplied()) {
                        throw new IllegalStateException("lease term " + id + " already exists"); // a random id: never
                    }
                    return started(new Term(id, start, wallStart));
                });
        starting = s;
        s.whenComplete((t, failure) -> {
            synchronized (this) {
                starting = null;
            }
        });
        return s;
    }

    private synchronized Term started(Term t) {
        current = t;
        if (renewal == null) {
            Duration every = settings.heartbeatInterval();
            renewal = system.scheduler().scheduleWithFixedDelay(every, every, this::renewNow, system.dispatcher());
        }
        LOG.info("lease term {} started: shard leases held under it", t.id);
        metrics.leaseTerm("started");
        return t;
    }

    /** One heartbeat: renews the live term unless a renewal is in flight; loses it once lapsed. */
    void renewNow() {
        Term t;
        synchronized (this) {
            t = current;
            if (t == null) {
                return;
            }
            if (!t.held()) {
                lose(t, "not renewed in time");
                return;
            }
            if (renewing) {
                return;
            }
            renewing = true;
        }
        long start = ticker.getAsLong();
        long wallStart = wallMillis.getAsLong();
        execute(SimpleStatement.newInstance("UPDATE " + table + " USING TTL ? SET node = ? WHERE term = ? IF EXISTS",
                ttlSeconds, owner, t.id)).whenComplete((rs, failure) -> {
                    synchronized (this) {
                        renewing = false;
                        if (failure != null) {
                            // the row may still be there: held() lapses by itself, the next heartbeat tries again
                            metrics.leaseTerm("failed");
                            LOG.warn("lease term {} not renewed ({}); shards fail closed in {} ms unless renewed", t.id,
                                    (failure.getCause() == null ? failure : failure.getCause()).getClass().getSimpleName(),
                                    Math.max(0, (t.validUntil - ticker.getAsLong()) / 1_000_000));
                        } else if (!rs.wasApplied()) {
                            lose(t, "expired in Cassandra");
                        } else if (t.alive) {
                            metrics.leaseTerm("ok");
                            t.extend(start, wallStart);
                        }
                    }
                });
    }

    // Caller holds the monitor.
    private void lose(Term t, String why) {
        if (!t.alive) {
            return;
        }
        t.alive = false;
        if (current == t) {
            current = null;
        }
        metrics.leaseTerm("lost");
        LOG.warn("lease term {} lost ({}): this node stops serving the shards it held under it", t.id, why);
        for (Runnable r : t.onLost) {
            system.dispatcher().execute(r);
        }
        t.onLost.clear();
    }

    /** Whether {@code term} is still alive in Cassandra (SERIAL read: sees every acknowledged renewal). */
    CompletionStage<Boolean> alive(String term) {
        return execute(SimpleStatement.newInstance("SELECT node FROM " + table + " WHERE term = ?", term))
                .thenApply(rs -> rs.one() != null);
    }

    CompletionStage<AsyncResultSet> execute(SimpleStatement statement) {
        Duration timeout = settings.operationTimeout();
        SimpleStatement s = statement.setSerialConsistencyLevel(ConsistencyLevel.SERIAL)
                .setConsistencyLevel(statement.getQuery().startsWith("SELECT") ? ConsistencyLevel.SERIAL
                        : ConsistencyLevel.QUORUM)
                .setTimeout(timeout);
        return session.thenCompose(CassandraSession::underlying)
                .thenCompose(cql -> cql.executeAsync(s))
                .toCompletableFuture().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
