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
 * @param keepSeedOpen       keep the opened seed in memory while the entity is active
 * @param snapshotEvery      snapshot every N events
 * @param keepSnapshots      snapshots kept
 * @param idleTimeout        an entity whose sensor sent nothing for this long is passivated
 */
public record SensorSettings(Duration clockSkew, Duration reservationAhead, int maxTracked, boolean keepSeedOpen,
                             int snapshotEvery, int keepSnapshots, Duration backoffMin, Duration backoffMax,
                             Duration idleTimeout, Clock clock) {

    /** From the node's whole configuration. */
    public static SensorSettings fromConfig(Config root, Clock clock) {
        Config sensor = root.getConfig("microcert.sensor");
        Config persistence = root.getConfig("microcert.persistence");
        return new SensorSettings(sensor.getDuration("clock-skew"), sensor.getDuration("reservation-ahead"),
                sensor.getInt("max-tracked-certificates"), sensor.getBoolean("keep-seed-open"),
                persistence.getInt("snapshot-every-n-events"), persistence.getInt("keep-n-snapshots"),
                sensor.getDuration("journal-failure-backoff.min"), sensor.getDuration("journal-failure-backoff.max"),
                positive(sensor, "idle-timeout"), clock);
    }

    private static Duration positive(Config sensor, String path) {
        Duration d = sensor.getDuration(path);
        if (d.isNegative() || d.isZero()) {
            throw new ConfigException.BadValue(sensor.origin(), path, "must be a positive duration, e.g. 2 minutes");
        }
        return d;
    }
}
