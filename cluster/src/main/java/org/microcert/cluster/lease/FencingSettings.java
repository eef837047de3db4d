package org.microcert.cluster.lease;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;

/**
 * Fencing of sensor shards ({@code microcert.fencing} in cluster.conf, docs/cluster.md "Fencing"):
 * whether sharding holds a lease per shard, and the Cassandra lease's timing.
 *
 * @param ttl               the row's TTL ({@code heartbeat-timeout}): how long a crashed holder's
 *                          shards stay blocked at most
 * @param heartbeatInterval how often the holder renews
 * @param operationTimeout  a lease write not answered within this counts as failed
 * @param safetyMargin      how long before the row's TTL the holder stops counting the lease as its own
 */
public record FencingSettings(String keyspace, Duration ttl, Duration heartbeatInterval, Duration operationTimeout,
                              Duration safetyMargin) {

    /** Where the lease's configuration is (the {@code use-lease} of sharding when fencing is on). */
    public static final String LEASE_CONFIG = "microcert.fencing.lease";

    private static final String USE_LEASE = "pekko.cluster.sharding.use-lease";

    /**
     * {@code config} with sharding's {@code use-lease} set to {@link #LEASE_CONFIG} when fencing is on
     * ({@code microcert.fencing.enabled}: auto = with the Cassandra journal), unchanged when it is off
     * or another lease is configured. Refuses, by path, lease timings that could not fence.
     */
    public static Config apply(Config config) {
        if (!config.hasPath("microcert.fencing.enabled")) {
            return config;
        }
        String enabled = config.getString("microcert.fencing.enabled");
        boolean cassandra = config.getString("pekko.persistence.journal.plugin").contains("cassandra");
        boolean on = switch (enabled) {
            case "auto" -> cassandra;
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new ConfigException.BadValue(config.getValue("microcert.fencing.enabled").origin(),
                    "microcert.fencing.enabled", "must be auto, on or off");
        };
        if (!on || !config.getString(USE_LEASE).isEmpty()) {
            return config;
        }
        if (!cassandra) {
            throw new ConfigException.BadValue(config.getValue("microcert.fencing.enabled").origin(),
                    "microcert.fencing.enabled", "on needs the Cassandra journal (the lease rows live next to it)");
        }
        fromLeaseConfig(config.getConfig(LEASE_CONFIG), LEASE_CONFIG + ".");
        return config.withValue(USE_LEASE, ConfigValueFactory.fromAnyRef(LEASE_CONFIG, "microcert.fencing.enabled"));
    }

    /** From the lease's own configuration (what Pekko's LeaseSettings carries). */
    static FencingSettings fromLeaseConfig(Config lease) {
        return fromLeaseConfig(lease, "");
    }

    private static FencingSettings fromLeaseConfig(Config lease, String prefix) {
        Duration ttl = lease.getDuration("heartbeat-timeout");
        Duration margin = lease.getDuration("safety-margin");
        Duration heartbeat = lease.getDuration("heartbeat-interval");
        Duration timeout = lease.getDuration("lease-operation-timeout");
        if (ttl.toNanos() % 1_000_000_000L != 0 || ttl.toSeconds() < 2) {
            throw bad(lease, prefix, "heartbeat-timeout", "whole seconds, at least 2s (it is the row's TTL)");
        }
        if (margin.compareTo(Duration.ofSeconds(1)) < 0 || margin.compareTo(ttl) >= 0) {
            throw bad(lease, prefix, "safety-margin", "at least 1s (TTLs count whole seconds) and below heartbeat-timeout");
        }
        if (heartbeat.isNegative() || heartbeat.isZero() || heartbeat.compareTo(ttl.minus(margin)) >= 0) {
            throw bad(lease, prefix, "heartbeat-interval",
                    "above 0 and below heartbeat-timeout - safety-margin (" + ttl.minus(margin).toMillis() + "ms)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw bad(lease, prefix, "lease-operation-timeout", "a positive duration, e.g. 2s");
        }
        return new FencingSettings(lease.getString("keyspace"), ttl, heartbeat, timeout, margin);
    }

    private static ConfigException bad(Config lease, String prefix, String key, String allowed) {
        return new ConfigException.BadValue(lease.getValue(key).origin(), prefix + key, "must be " + allowed);
    }
}
