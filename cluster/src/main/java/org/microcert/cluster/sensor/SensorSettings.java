package org.microcert.cluster.sensor;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Clock;
import java.time.Duration;

/**
 * The sensor entity's settings ({@code microcert.sensor} in sensor.conf, snapshots from the
 * persistence module's {@code microcert.persistence}) and its clock.
 *
 * @param clockSkew          largest accepted |certificate timestamp - now|
 * @param reservationAhead   how far beyond accepted traffic a replay reservation reaches
 * @param maxTracked         accepted pairs remembered per sensor within the skew window
 * @param keepSeedOpen       keep opened seeds in memory (the node's {@link SeedCache}); off: open per request
 * @param snapshotEvery      snapshot every N events
 * @param keepSnapshots      snapshots kept
 * @param idleTimeout        an entity whose sensor sent nothing for this long is passivated
 * @param maxOpenSeeds       with keepSeedOpen, seeds kept in clear at most on this node
 * @param openSeedIdleTimeout with keepSeedOpen, a kept seed unused this long is wiped
 */
public record SensorSettings(Duration clockSkew, Duration reservationAhead, int maxTracked, boolean keepSeedOpen,
                             int snapshotEvery, int keepSnapshots, Duration backoffMin, Duration backoffMax,
                             Duration idleTimeout, Clock clock, int maxOpenSeeds, Duration openSeedIdleTimeout) {

    /** With sensor.conf's seed-cache defaults (tests that do not exercise the cache). */
    public SensorSettings(Duration clockSkew, Duration reservationAhead, int maxTracked, boolean keepSeedOpen,
                          int snapshotEvery, int keepSnapshots, Duration backoffMin, Duration backoffMax,
                          Duration idleTimeout, Clock clock) {
        this(clockSkew, reservationAhead, maxTracked, keepSeedOpen, snapshotEvery, keepSnapshots, backoffMin, backoffMax,
                idleTimeout, clock, 100_000, Duration.ofMinutes(2));
    }

    /**
     * A seed cache for these settings holding at most {@code maxOpen} seeds: the node's one
     * ({@link SensorSharding#init}, {@link #maxOpenSeeds}), or 1 for an entity spawned on its own (tests).
     */
    SeedCache newSeedCache(int maxOpen) {
        return keepSeedOpen ? new SeedCache(maxOpen, openSeedIdleTimeout, System::nanoTime) : SeedCache.off();
    }

    /**
     * From the node's whole configuration. Refuses, by path, every value the entity cannot work
     * with: the node would otherwise start and report ready while each entity fails or misjudges.
     */
    public static SensorSettings fromConfig(Config root, Clock clock) {
        String s = "microcert.sensor.";
        String p = "microcert.persistence.";
        // Certificate timestamps are whole seconds: under a second the verifier's window is zero.
        Duration skew = atLeast(root, s + "clock-skew", Duration.ofSeconds(1), "at least 1 second, e.g. 120s");
        // Reserve(max(t, now) + ahead) must not fall below t, or an accepted timestamp would lie beyond
        // the durable reservation and could be accepted again after a crash. Zero is safe (a journal
        // write for each new second of a sensor's traffic).
        Duration ahead = atLeast(root, s + "reservation-ahead", Duration.ZERO, "zero or positive, e.g. 30s");
        int maxTracked = atLeast(root, s + "max-tracked-certificates", 1);
        Duration backoffMin = atLeast(root, s + "journal-failure-backoff.min", Duration.ofNanos(1),
                "a positive duration, e.g. 200ms");
        Duration backoffMax = atLeast(root, s + "journal-failure-backoff.max", backoffMin,
                "at least journal-failure-backoff.min (" + backoffMin.toMillis() + " ms)");
        return new SensorSettings(skew, ahead, maxTracked, root.getBoolean(s + "keep-seed-open"),
                atLeast(root, p + "snapshot-every-n-events", 1), atLeast(root, p + "keep-n-snapshots", 1),
                backoffMin, backoffMax,
                atLeast(root, s + "idle-timeout", Duration.ofNanos(1), "a positive duration, e.g. 2 minutes"), clock,
                // checked even with keep-seed-open = off, so that turning it on later cannot fail at start-up
                maxOpenSeeds(root, s + "max-open-seeds"),
                atLeast(root, s + "open-seed-idle-timeout", Duration.ofSeconds(1), "at least 1 second, e.g. 2 minutes"));
    }

    /** The cache's slots are allocated at start-up (a reference each): a bound far beyond any node's heap fails here. */
    private static int maxOpenSeeds(Config root, String path) {
        int n = root.getInt(path);
        if (n < 1 || n > 10_000_000) {
            throw bad(root, path, "between 1 and 10000000 (about 2 KB of heap per kept seed)");
        }
        return n;
    }

    private static Duration atLeast(Config root, String path, Duration min, String allowed) {
        Duration d = root.getDuration(path);
        if (d.compareTo(min) < 0) {
            throw bad(root, path, allowed);
        }
        return d;
    }

    private static int atLeast(Config root, String path, int min) {
        int n = root.getInt(path);
        if (n < min) {
            throw bad(root, path, "at least " + min);
        }
        return n;
    }

    /** Names the path in full and where its value was set (the operator's file and line). */
    private static ConfigException bad(Config root, String path, String allowed) {
        return new ConfigException.BadValue(root.getValue(path).origin(), path, "must be " + allowed);
    }
}
