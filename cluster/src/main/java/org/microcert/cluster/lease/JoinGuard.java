package org.microcert.cluster.lease;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a restarted first seed node from forming a second cluster (docs/deploy.md "Cluster
 * formation"). Pekko lets the node first in its own seed list join itself when no other seed
 * answers within {@code seed-node-timeout}; on a slow or partly cut network a restarted first seed
 * then runs a cluster of its own beside the live one, which no split brain resolver sees. With
 * fencing on, {@link FencingSettings#apply} moves the seed list here ({@value #SEEDS}) and this
 * class joins: the first seed node first reads the live node terms ({@code lease_terms}, every Up
 * member renews one); if another node holds one, a cluster runs, and the node joins it with itself
 * last in the list, so it can only join, never form one (after
 * {@code shutdown-after-unsuccessful-join-seed-nodes} it exits for its supervisor to retry). With
 * no live foreign term (first start of a cluster, or every node down longer than a term's TTL) it
 * joins as configured. Until the terms can be read it does not join (a fenced node cannot serve
 * without Cassandra anyway).
 */
public final class JoinGuard {

    /** Where {@link FencingSettings#apply} keeps the configured seed nodes. */
    public static final String SEEDS = "microcert.fencing.seed-nodes";

    private static final Logger LOG = LoggerFactory.getLogger(JoinGuard.class);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private JoinGuard() {}

    /**
     * Joins the configured seed nodes as above; nothing when fencing did not take them over. Completes
     * with the seed list it joined (empty: nothing to join).
     */
    public static CompletionStage<List<Address>> join(ActorSystem<?> system) {
        Config config = system.settings().config();
        if (!config.hasPath(SEEDS) || config.getStringList(SEEDS).isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        List<Address> seeds = config.getStringList(SEEDS).stream().map(AddressFromURIString::parse).toList();
        ExtendedActorSystem classic = (ExtendedActorSystem) Adapter.toClassic(system);
        Cluster cluster = Cluster.get(classic);
        // Every Up member keeps a live term, shards or none, so that a restarted first seed sees the
        // cluster (term() is a local read while the term holds; a lost one is started again).
        Config leaseConfig = config.getConfig(FencingSettings.LEASE_CONFIG);
        FencingSettings fencing = FencingSettings.fromLeaseConfig(leaseConfig);
        cluster.registerOnMemberUp(() -> {
            NodeTerm term = NodeTerm.of(classic, cluster.selfAddress().hostPort(),
                    CassandraLease.sessionFor(classic, leaseConfig), fencing);
            classic.scheduler().scheduleWithFixedDelay(Duration.ZERO, fencing.heartbeatInterval(), () -> {
                if (cluster.selfMember().status() == MemberStatus.up()) {
                    term.term();
                }
            }, classic.dispatcher());
        });
        if (!seeds.get(0).equals(cluster.selfAddress())) {
            cluster.joinSeedNodes(seeds); // not first in its own list: it cannot form a cluster
            return CompletableFuture.completedFuture(seeds);
        }
        String table = fencing.keyspace() + "." + NodeTerm.TABLE;
        CompletableFuture<List<Address>> joined = new CompletableFuture<>();
        attempt(classic, cluster, seeds, CassandraLease.sessionFor(classic, leaseConfig), table, 0, joined);
        return joined;
    }

    private static void attempt(ExtendedActorSystem classic, Cluster cluster, List<Address> seeds,
                                CompletionStage<CassandraSession> session, String table, int tries,
                                CompletableFuture<List<Address>> joined) {
        session.thenCompose(s -> s.selectAll(SimpleStatement.newInstance("SELECT node FROM " + table)))
                .whenCompleteAsync((rows, failure) -> {
                    if (failure != null) {
                        if (tries % 30 == 0) {
                            Throwable cause = failure.getCause() == null ? failure : failure.getCause();
                            LOG.warn("cluster join waits: the live node terms ({}) cannot be read ({}; bin/schema makes "
                                    + "the table)", table, cause.getClass().getSimpleName());
                        }
                        classic.scheduler().scheduleOnce(RETRY, () -> attempt(classic, cluster, seeds, session, table,
                                tries + 1, joined), classic.dispatcher());
                        return;
                    }
                    Set<Address> others = new LinkedHashSet<>();
                    for (Row row : rows) {
                        String node = row.getString("node");
                        if (node != null && !node.equals(cluster.selfAddress().hostPort())) {
                            others.add(AddressFromURIString.parse(cluster.selfAddress().protocol() + "://" + node));
                        }
                    }
                    if (!others.isEmpty()) {
                        LOG.warn("a cluster runs (live node terms of {}): joining it, not forming one of this node's own",
                                others);
                    }
                    List<Address> order = joinOrder(seeds, cluster.selfAddress(), others);
                    cluster.joinSeedNodes(order);
                    joined.complete(order);
                }, classic.dispatcher());
    }

    /**
     * The seed list to join: as configured when no other node holds a live term; else the live
     * nodes, then the configured seeds, with this node last: not first in its own list, it can only
     * join (the live nodes first: a single-seed configuration names no one else).
     */
    static List<Address> joinOrder(List<Address> seeds, Address self, Set<Address> live) {
        if (live.isEmpty()) {
            return seeds;
        }
        Set<Address> order = new LinkedHashSet<>(live);
        order.addAll(seeds);
        order.remove(self);
        List<Address> list = new ArrayList<>(order);
        list.add(self);
        return list;
    }
}
