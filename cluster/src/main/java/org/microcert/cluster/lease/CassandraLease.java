package org.microcert.cluster.lease;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.coordination.lease.LeaseException;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.ExecutionContextExecutor;

/**
 * A lease held in Cassandra, one row per lease name next to the journal (docs/cluster.md "Fencing"):
 * <pre>
 * CREATE TABLE IF NOT EXISTS &lt;journal keyspace&gt;.shard_leases (name text PRIMARY KEY, owner text)
 *   WITH gc_grace_seconds = 3600;
 * </pre>
 * Acquired with {@code INSERT ... IF NOT EXISTS USING TTL}, renewed every {@code heartbeat-interval}
 * with {@code UPDATE ... USING TTL ... IF owner = ?}, released with {@code DELETE ... IF owner = ?},
 * all at SERIAL (one Paxos for the whole cluster: LOCAL_SERIAL would let two data centres each grant
 * it). The row expires {@code heartbeat-timeout} after the last write that succeeded.
 *
 * <p>The holder fails closed on its own clock: it holds the lease only until {@code start + ttl -
 * safety-margin} of its last acknowledged write, {@code start} read from {@link System#nanoTime()}
 * before the write was sent. The row cannot expire before that (TTL counts from when Cassandra
 * applied the write, after {@code start}; the margin covers TTL's whole-second granularity and
 * the clocks' drift), so no other owner can hold it while {@link #checkLease()} says yes.
 * {@link #checkLease()} is a local read: no I/O on the caller's path.
 *
 * <p>The owner written is the node's address plus a random id per lease object, so a restarted node
 * on the same address does not take over a row its paused predecessor still counts as its own.
 */
public final class CassandraLease extends Lease {

    /** The table, in the journal's keyspace. */
    public static final String TABLE = "shard_leases";

    private static final Logger LOG = LoggerFactory.getLogger(CassandraLease.class);

    private final LeaseSettings settings;
    private final CompletionStage<CassandraSession> session;
    private final String table;
    private final String owner;
    private final int ttlSeconds;
    private final long validNanos;
    private final Duration heartbeat;
    private final Duration operationTimeout;
    private final LongSupplier ticker;
    private final ExtendedActorSystem system;
    private final ExecutionContextExecutor executor;

    private volatile boolean held;
    private volatile long validUntil; // ticker time; meaningful while held
    private Consumer<Optional<Throwable>> lost; // guarded by this
    private Cancellable renewal; // guarded by this
    private boolean renewing; // a renewal in flight (guarded by this)

    /** Made by Pekko's LeaseProvider from the lease's configuration (see {@link FencingSettings}). */
    public CassandraLease(LeaseSettings settings, ExtendedActorSystem system) {
        this(settings, system, System::nanoTime, sessionFor(system, settings.leaseConfig()),
                FencingSettings.fromLeaseConfig(settings.leaseConfig()));
    }

    /** With a ticker (nanoseconds, like {@link System#nanoTime()}) and timings of the test's own. */
    CassandraLease(LeaseSettings settings, ExtendedActorSystem system, LongSupplier ticker,
                   CompletionStage<CassandraSession> session, FencingSettings fencing) {
        this.settings = settings;
        this.system = system;
        this.executor = system.dispatcher();
        this.ticker = ticker;
        this.session = session;
        this.table = fencing.keyspace() + "." + TABLE;
        this.owner = settings.ownerName() + " " + UUID.randomUUID();
        this.ttlSeconds = (int) fencing.ttl().toSeconds();
        this.validNanos = fencing.ttl().minus(fencing.safetyMargin()).toNanos();
        this.heartbeat = fencing.heartbeatInterval();
        this.operationTimeout = fencing.operationTimeout();
    }

    /** The node's Cassandra session, after creating the table when the lease's tables-autocreate says so. */
    private static CompletionStage<CassandraSession> sessionFor(ExtendedActorSystem system, Config lease) {
        CassandraSession s = CassandraSessionRegistry.get(system).sessionFor(lease.getString("session-config"));
        if (!lease.getBoolean("tables-autocreate")) {
            return CompletableFuture.completedFuture(s);
        }
        String keyspace = lease.getString("keyspace");
        return s.executeDDL("CREATE KEYSPACE IF NOT EXISTS " + keyspace
                        + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
                .thenCompose(d -> s.executeDDL(createTable(keyspace)))
                .thenApply(d -> s);
    }

    /** The table's CQL (also in the persistence module's schema.cql). */
    static String createTable(String keyspace) {
        return "CREATE TABLE IF NOT EXISTS " + keyspace + "." + TABLE
                + " (name text PRIMARY KEY, owner text) WITH gc_grace_seconds = 3600";
    }

    @Override
    public LeaseSettings getSettings() {
        return settings;
    }

    /** The owner this object writes: the node's address and its random id. */
    String owner() {
        return owner;
    }

    /** Ticker time until which this holder counts the lease as its own (meaningful while held). */
    long validUntil() {
        return validUntil;
    }

    @Override
    public boolean checkLease() {
        return held && ticker.getAsLong() - validUntil < 0;
    }

    @Override
    public CompletionStage<Boolean> acquire() {
        return acquire(reason -> {});
    }

    @Override
    public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
        long start = ticker.getAsLong();
        SimpleStatement insert = SimpleStatement.newInstance("INSERT INTO " + table
                + " (name, owner) VALUES (?, ?) IF NOT EXISTS USING TTL ?", settings.leaseName(), owner, ttlSeconds);
        return execute(insert).thenCompose(rs -> {
            if (rs.wasApplied()) {
                return CompletableFuture.completedFuture(true);
            }
            Row existing = rs.one();
            if (existing != null && owner.equals(existing.getString("owner"))) {
                // ours already: an earlier attempt was applied but its answer was lost
                return renew(start);
            }
            return CompletableFuture.completedFuture(false);
        }).thenApply(acquired -> {
            if (acquired) {
                held(start, leaseLostCallback);
            }
            return acquired;
        });
    }

    private synchronized void held(long start, Consumer<Optional<Throwable>> callback) {
        validUntil = start + validNanos;
        held = true;
        lost = callback;
        if (renewal == null) {
            renewal = system.scheduler().scheduleWithFixedDelay(heartbeat, heartbeat, this::renewNow, executor);
        }
    }

    /** One heartbeat: renews unless a renewal is in flight; declares the lease lost once it lapsed. */
    void renewNow() {
        synchronized (this) {
            if (!held || renewing) {
                if (held && !checkLease()) {
                    lose(new LeaseException("lease " + settings.leaseName() + " not renewed in time (a renewal hangs)"));
                }
                return;
            }
            if (!checkLease()) {
                lose(new LeaseException("lease " + settings.leaseName() + " not renewed in time"));
                return;
            }
            renewing = true;
        }
        long start = ticker.getAsLong();
        renew(start).whenComplete((applied, failure) -> {
            synchronized (this) {
                renewing = false;
                if (failure != null) {
                    // the row may still be ours: checkLease() lapses by itself, the next heartbeat tries again
                    LOG.warn("lease {} not renewed ({}); fails closed in {} ms unless renewed", settings.leaseName(),
                            failure.getClass().getSimpleName(),
                            Math.max(0, (validUntil - ticker.getAsLong()) / 1_000_000));
                } else if (!applied) {
                    lose(new LeaseException("lease " + settings.leaseName() + " is no longer ours (expired or taken)"));
                }
            }
        });
    }

    /** {@code UPDATE ... IF owner = ?}; extends validity from {@code start} when applied. */
    private CompletionStage<Boolean> renew(long start) {
        SimpleStatement update = SimpleStatement.newInstance("UPDATE " + table + " USING TTL ? SET owner = ? WHERE name = ?"
                + " IF owner = ?", ttlSeconds, owner, settings.leaseName(), owner);
        return execute(update).thenApply(rs -> {
            boolean applied = rs.wasApplied();
            if (applied) {
                synchronized (this) {
                    if (held && start + validNanos - validUntil > 0) {
                        validUntil = start + validNanos;
                    }
                }
            }
            return applied;
        });
    }

    // Caller holds the monitor.
    private void lose(LeaseException reason) {
        if (!held) {
            return;
        }
        held = false;
        LOG.warn("{}: this node stops serving what it covers", reason.getMessage());
        Consumer<Optional<Throwable>> callback = lost;
        lost = null;
        stopRenewing();
        if (callback != null) {
            executor.execute(() -> callback.accept(Optional.of(reason)));
        }
    }

    private void stopRenewing() {
        if (renewal != null) {
            renewal.cancel();
            renewal = null;
        }
    }

    @Override
    public CompletionStage<Boolean> release() {
        synchronized (this) {
            held = false; // fail closed before the row goes: another node may hold it as soon as it is deleted
            lost = null;
            stopRenewing();
        }
        SimpleStatement delete = SimpleStatement.newInstance("DELETE FROM " + table + " WHERE name = ? IF owner = ?",
                settings.leaseName(), owner);
        return execute(delete).thenApply(AsyncResultSet::wasApplied);
    }

    private CompletionStage<AsyncResultSet> execute(SimpleStatement statement) {
        SimpleStatement s = statement.setSerialConsistencyLevel(ConsistencyLevel.SERIAL)
                .setConsistencyLevel(ConsistencyLevel.QUORUM).setTimeout(operationTimeout);
        return session.thenCompose(CassandraSession::underlying)
                .thenCompose(cql -> cql.executeAsync(s))
                .toCompletableFuture().orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
