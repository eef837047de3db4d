package org.microcert.cluster.sensor;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.microcert.protocol.SensorId;

/**
 * Which sensors' shards cannot answer now, so the gateway answers {@code 503 UNAVAILABLE} at once
 * instead of holding the request (and the client's connection) for the ask timeout (docs/cluster.md,
 * "Node loss"). A shard cannot answer while the node hosting it is unreachable (a message sent
 * there is lost) and, after that node is downed and removed, until the coordinator has let go of
 * it ({@code hand-off}: sharding's removal margin; before that the coordinator still names the dead
 * node as the shard's home). Everything else passes: a shard nobody hosts yet is allocated by the
 * first message that names it.
 *
 * <p>Where shards live is learned from sharding itself ({@code GetClusterShardingStats}, every
 * {@code refresh}): each region reports the shards it hosts. A shard allocated since the last
 * answer is unknown and passes, so the worst case is the old behaviour. Requests already on their
 * way to a node when it becomes unreachable are failed then ({@link #watch}), not at the ask timeout.
 */
public final class ShardAvailability {

    /** No fail-fast: every shard is taken as available (tests, a node without cluster sharding). */
    public static final ShardAvailability NONE = new ShardAvailability(1);

    private final HashCodeMessageExtractor<Object> shards;
    // Written by the tracking actor only, read by every request.
    private volatile Set<String> blocked = Set.of();
    private volatile Map<String, Address> homes = Map.of();
    private final Map<Address, Set<Runnable>> watchers = new ConcurrentHashMap<>();

    ShardAvailability(int numberOfShards) {
        this.shards = new HashCodeMessageExtractor<>(numberOfShards);
    }

    /** Starts tracking on this node: {@code numberOfShards} as configured for sharding. */
    public static ShardAvailability start(ActorSystem<?> system, int numberOfShards, Duration refresh, Duration handOff) {
        ShardAvailability availability = new ShardAvailability(numberOfShards);
        system.systemActorOf(availability.tracker(refresh, handOff), "shard-availability", Props.empty());
        return availability;
    }

    /** The shard id sharding's default extractor gives this sensor's entity. */
    String shardOf(SensorId sensor) {
        return shards.shardId(sensor.toString());
    }

    /** False when the sensor's shard is known to be on an unreachable node or being handed off. */
    public boolean available(SensorId sensor) {
        Set<String> b = blocked;
        return b.isEmpty() || !b.contains(shardOf(sensor));
    }

    /**
     * Runs {@code onLost} (once, on the tracker's thread) if the node hosting the sensor's shard
     * becomes unreachable before {@link #unwatch} is called; returns the address watched, or null
     * when the home is not known (nothing to watch).
     */
    Address watch(SensorId sensor, Runnable onLost) {
        Address home = homes.get(shardOf(sensor));
        if (home != null) {
            watchers.computeIfAbsent(home, a -> ConcurrentHashMap.newKeySet()).add(onLost);
        }
        return home;
    }

    void unwatch(Address home, Runnable onLost) {
        if (home != null) {
            Set<Runnable> set = watchers.get(home);
            if (set != null) {
                set.remove(onLost);
            }
        }
    }

    /** Makes {@code state} what requests see (the tracker's thread only). */
    void publish(Homes state, long nowNanos, long handOffNanos) {
        blocked = Set.copyOf(state.blocked(nowNanos, handOffNanos));
        homes = state.homes();
    }

    /** {@code node} can no longer answer: what waits for it is answered now (after {@link #publish}). */
    void lost(Address node) {
        Set<Runnable> waiting = watchers.remove(node);
        if (waiting != null) {
            waiting.forEach(Runnable::run);
        }
    }

    /** The tracker's state: pure, so that the rules are tested without a cluster. */
    static final class Homes {
        private final Map<String, Address> shardHome = new HashMap<>();
        private final Set<Address> unreachable = new HashSet<>();
        private final Map<Address, Long> removedAt = new HashMap<>();

        /**
         * The regions that answered, each with the shards it hosts. A region that did not answer
         * (unreachable, busy) keeps the shards it had; a shard reported by a new home moves.
         */
        void reported(Map<Address, Set<String>> byRegion) {
            for (Map.Entry<Address, Set<String>> region : byRegion.entrySet()) {
                shardHome.values().removeIf(region.getKey()::equals);
                for (String shard : region.getValue()) {
                    shardHome.put(shard, region.getKey());
                }
            }
        }

        void unreachable(Address node) {
            unreachable.add(node);
        }

        void reachable(Address node) {
            unreachable.remove(node);
        }

        /**
         * A node left the cluster. Downed while unreachable (a crash, a partition): the coordinator
         * lets go of its shards only after the removal margin, so they stay blocked for the hand-off.
         * Left gracefully: it handed its shards off before leaving, so they pass at once (the next
         * poll names their new homes).
         */
        void removed(Address node, long nowNanos) {
            if (unreachable.remove(node)) {
                removedAt.put(node, nowNanos);
            } else {
                shardHome.values().removeIf(node::equals);
            }
        }

        /** Shards that cannot answer at {@code nowNanos}; forgets removed nodes once their hand-off is over. */
        Set<String> blocked(long nowNanos, long handOffNanos) {
            removedAt.entrySet().removeIf(e -> {
                if (nowNanos - e.getValue() < handOffNanos) {
                    return false;
                }
                shardHome.values().removeIf(e.getKey()::equals); // unallocated: the next message allocates it
                return true;
            });
            Set<String> out = new HashSet<>();
            shardHome.forEach((shard, home) -> {
                if (unreachable.contains(home) || removedAt.containsKey(home)) {
                    out.add(shard);
                }
            });
            return out;
        }

        Map<String, Address> homes() {
            return Map.copyOf(shardHome);
        }

        Set<Address> unreachableNodes() {
            return Set.copyOf(unreachable);
        }
    }

    private enum Tick { INSTANCE }

    private record Stats(ShardRegion.ClusterShardingStats stats) {}

    private record Membership(ClusterEvent.ClusterDomainEvent event) {}

    private Behavior<Object> tracker(Duration refresh, Duration handOff) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            Homes state = new Homes();
            ActorRef<ShardRegion.ClusterShardingStats> statsAdapter = ctx.messageAdapter(
                    ShardRegion.ClusterShardingStats.class, Stats::new);
            Cluster cluster = Cluster.get(ctx.getSystem());
            cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class,
                    Membership::new), ClusterEvent.ReachabilityEvent.class));
            cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.MemberRemoved.class,
                    Membership::new), ClusterEvent.MemberRemoved.class));
            ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
            timers.startTimerWithFixedDelay(Tick.INSTANCE, refresh);
            long handOffNanos = handOff.toNanos();
            Runnable publish = () -> publish(state, System.nanoTime(), handOffNanos);
            return Behaviors.receive(Object.class)
                    .onMessageEquals(Tick.INSTANCE, () -> {
                        // the answer comes within the timeout, with the regions that answered in it
                        sharding.shardState().tell(new GetClusterShardingStats(SensorSharding.TYPE_KEY, refresh,
                                statsAdapter));
                        publish.run(); // a removed node's hand-off may just have ended
                        return Behaviors.same();
                    })
                    .onMessage(Stats.class, s -> {
                        Map<Address, Set<String>> byRegion = new HashMap<>();
                        s.stats().getRegions().forEach((address, region) -> {
                            Set<String> hosted = new HashSet<>(region.getStats().keySet());
                            hosted.addAll(region.getFailed()); // hosted, only too busy to count its entities
                            byRegion.put(address, hosted);
                        });
                        state.reported(byRegion);
                        publish.run();
                        return Behaviors.same();
                    })
                    .onMessage(Membership.class, m -> {
                        Address lost = null;
                        if (m.event() instanceof ClusterEvent.UnreachableMember u) {
                            lost = u.member().address();
                            state.unreachable(lost);
                        } else if (m.event() instanceof ClusterEvent.ReachableMember r) {
                            state.reachable(r.member().address());
                        } else if (m.event() instanceof ClusterEvent.MemberRemoved r) {
                            // no watcher fires: one that crashed was lost when unreachable; one that
                            // left gracefully handed its shards off, and their answers still come
                            state.removed(r.member().address(), System.nanoTime());
                        }
                        publish.run();
                        if (lost != null) {
                            lost(lost);
                        }
                        return Behaviors.same();
                    })
                    .build();
        }));
    }
}
