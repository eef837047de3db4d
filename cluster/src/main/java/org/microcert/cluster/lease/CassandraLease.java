package org.microcert.cluster.lease;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.coordination.lease.LeaseException;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * A shard's lease in Cassandra (docs/cluster.md "Fencing"), held under the node's {@link NodeTerm}:
 * <pre>
 * CREATE TABLE &lt;journal keyspace&gt;.lease_terms (term text PRIMARY KEY, node text)  -- TTL'd, renewed
 * CREATE TABLE &lt;journal keyspace&gt;.shard_leases (name text PRIMARY KEY, owner text) -- owner: a term
 * </pre>
 * A shard is acquired by writing the node's term as its owner, only when the row names no owner,
 * this term, or a term whose row has expired (read at SERIAL, then a compare-and-set on the owner);
 * released with {@code DELETE ... IF owner = ?}. All at SERIAL: one Paxos for the whole cluster.
 *
 * <p>The lease is held while this node's term is alive by the node's own monotonic clock (it fails
 * closed before the term's row can expire: {@link NodeTerm}), so {@link #checkLease()} is a local
 * read, and only one write per node per heartbeat keeps every shard's lease. A term once expired
 * never comes back, and nobody takes a shard from a term before its row expired: so nobody holds
 * a shard while its previous holder still counts it as its own.
 */
public final class CassandraLease extends Lease {

    /** The table of shard owners, in the journal's keyspace. */
    public static final String TABLE = "shard_leases";

    private final LeaseSettings settings;
    private final NodeTerm node;
    private final String table;
    private volatile NodeTerm.Term held; // the term this shard is held under, or null
    private Runnable onLost; // guarded by this

    /** Made by Pekko's LeaseProvider from the lease's configuration (see {@link FencingSettings}). */
    public CassandraLease(LeaseSettings settings, ExtendedActorSystem system) {
        this(settings, NodeTerm.of(system, settings.ownerName(), sessionFor(system, settings.leaseConfig()),
                FencingSettings.fromLeaseConfig(settings.leaseConfig())),
                FencingSettings.fromLeaseConfig(settings.leaseConfig()).keyspace());
    }

    /** Under a node term of the test's own. */
    CassandraLease(LeaseSettings settings, NodeTerm node, String keyspace) {
        this.settings = settings;
        this.node = node;
        this.table = keyspace + "." + TABLE;
    }

    /** The node's Cassandra session, after creating the tables when the lease's tables-autocreate says so. */
    private static CompletionStage<CassandraSession> sessionFor(ExtendedActorSystem system, Config lease) {
        CassandraSession s = CassandraSessionRegistry.get(system).sessionFor(lease.getString("session-config"));
        if (!lease.getBoolean("tables-autocreate")) {
            return CompletableFuture.completedFuture(s);
        }
        String keyspace = lease.getString("keyspace");
        CompletionStage<?> ready = s.executeDDL("CREATE KEYSPACE IF NOT EXISTS " + keyspace
                + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
        for (String ddl : createTables(keyspace)) {
            ready = ready.thenCompose(d -> s.executeDDL(ddl));
        }
        return ready.thenApply(d -> s);
    }

    /** The tables' CQL (also in the persistence module's schema.cql). */
    static String[] createTables(String keyspace) {
        return new String[] {
            "CREATE TABLE IF NOT EXISTS " + keyspace + "." + NodeTerm.TABLE
                    + " (term text PRIMARY KEY, node text) WITH gc_grace_seconds = 3600",
            "CREATE TABLE IF NOT EXISTS " + keyspace + "." + TABLE + " (name text PRIMARY KEY, owner text)"};
    }

    @Override
    public LeaseSettings getSettings() {
        return settings;
    }

    /** Ticker time until which this shard counts as held (meaningful while held). */
    long validUntil() {
        NodeTerm.Term t = held;
        return t == null ? node.ticker().getAsLong() : t.validUntil();
    }

    @Override
    public boolean checkLease() {
        NodeTerm.Term t = held;
        return t != null && t.held();
    }

    @Override
    public CompletionStage<Boolean> acquire() {
        return acquire(reason -> {});
    }

    @Override
    public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
        return node.term().thenCompose(term -> claim(term).thenApply(claimed -> {
            if (claimed) {
                held(term, leaseLostCallback);
            }
            return claimed;
        }));
    }

    /** Makes {@code term} the shard's owner if nobody alive owns it. */
    private CompletionStage<Boolean> claim(NodeTerm.Term term) {
        return node.execute(SimpleStatement.newInstance("SELECT owner FROM " + table + " WHERE name = ?",
                settings.leaseName())).thenCompose(rs -> {
                    Row row = rs.one();
                    String owner = row == null ? null : row.getString("owner");
                    if (owner == null) {
                        return applied(SimpleStatement.newInstance("INSERT INTO " + table
                                + " (name, owner) VALUES (?, ?) IF NOT EXISTS", settings.leaseName(), term.id));
                    }
                    if (owner.equals(term.id)) {
                        return CompletableFuture.completedFuture(true);
                    }
                    // another term: only once its row has expired, and only if it still is the owner then
                    return node.alive(owner).thenCompose(alive -> alive ? CompletableFuture.completedFuture(false)
                            : applied(SimpleStatement.newInstance("UPDATE " + table + " SET owner = ? WHERE name = ?"
                                    + " IF owner = ?", term.id, settings.leaseName(), owner)));
                });
    }

    private CompletionStage<Boolean> applied(SimpleStatement statement) {
        return node.execute(statement).thenApply(AsyncResultSet::wasApplied);
    }

    private synchronized void held(NodeTerm.Term term, Consumer<Optional<Throwable>> callback) {
        if (onLost != null && held != null) {
            held.removeOnLost(onLost);
        }
        held = term;
        Runnable lost = () -> lost(term, callback);
        onLost = lost;
        term.onLost(lost);
    }

    private void lost(NodeTerm.Term term, Consumer<Optional<Throwable>> callback) {
        synchronized (this) {
            if (held != term) {
                return; // released, or held again under a newer term
            }
            held = null;
            onLost = null;
        }
        callback.accept(Optional.of(new LeaseException("lease " + settings.leaseName() + " lost: its node term "
                + term.id + " expired or was not renewed in time")));
    }

    @Override
    public CompletionStage<Boolean> release() {
        NodeTerm.Term term;
        synchronized (this) {
            term = held;
            held = null; // fail closed before the row goes: another node may hold it as soon as it is deleted
            if (term != null && onLost != null) {
                term.removeOnLost(onLost);
            }
            onLost = null;
        }
        if (term == null) {
            return CompletableFuture.completedFuture(false);
        }
        return applied(SimpleStatement.newInstance("DELETE FROM " + table + " WHERE name = ? IF owner = ?",
                settings.leaseName(), term.id));
    }
}
