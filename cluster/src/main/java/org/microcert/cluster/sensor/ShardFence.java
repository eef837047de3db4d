package org.microcert.cluster.sensor;

import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.coordination.lease.scaladsl.Lease;
import org.apache.pekko.coordination.lease.scaladsl.LeaseProvider;

/**
 * Whether this node still holds the lease of a sensor's shard (docs/cluster.md "Fencing"): the
 * entity asks before it accepts a certificate or writes its journal, and again before it answers
 * "accepted" after a write. A local read (the lease fails closed on its own clock): no I/O per
 * certificate.
 */
@FunctionalInterface
interface ShardFence {

    /** No lease (sharding's use-lease is off): the split brain resolver alone decides. */
    ShardFence NONE = () -> true;

    boolean held();

    /** What an operator command gets from a node without the lease (503, retry). */
    SensorMessages.Refused REFUSED = new SensorMessages.Refused(RefusalCode.UNAVAILABLE,
            "this node no longer holds the sensor's shard; retry");

    /** What a device call gets from a node without the lease (503, retry: another node takes the shard over). */
    static SensorMessages.Verdict unavailable(org.microcert.protocol.SensorId sensor, long nowSeconds) {
        return SensorMessages.Verdict.rejected(sensor.toString(), VerdictReason.UNAVAILABLE,
                "this node no longer holds the sensor's shard; retry", nowSeconds);
    }

    /**
     * The fence of each entity id under sharding on {@code system}: the lease sharding's shard
     * acquired before starting it, found through Pekko's lease provider (which hands out one lease
     * object per name and owner). Its name is the one Pekko's Shard uses:
     * {@code <system>-shard-<type>-<shard id>}, owner the node's host:port.
     */
    static Function<String, ShardFence> forSharding(ActorSystem<?> system, String typeName) {
        var config = system.settings().config();
        String leaseConfig = config.getString("pekko.cluster.sharding.use-lease");
        if (leaseConfig.isEmpty()) {
            return id -> NONE;
        }
        var classic = system.classicSystem();
        LeaseProvider leases = LeaseProvider.get(classic);
        String owner = Cluster.get(classic).selfAddress().hostPort();
        // sharding's default extractor (SensorSharding): shard = |hash(entity id)| mod number-of-shards
        HashCodeMessageExtractor<Object> shards =
                new HashCodeMessageExtractor<>(config.getInt("pekko.cluster.sharding.number-of-shards"));
        String prefix = classic.name() + "-shard-" + typeName + "-";
        return id -> {
            Lease lease = leases.getLease(prefix + shards.shardId(id), leaseConfig, owner);
            return lease::checkLease;
        };
    }
}
