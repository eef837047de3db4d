package org.microcert.cluster.sensor;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;

/**
 * The sensor entity's settings ({@code microcert.sensor} in sensor.conf) and its clock.
 *
 * @param clockSkew          largest accepted |certificate timestamp - now|
 * @param reservationAhead   how far beyond accepted traffic a replay reservation reaches
 * @param maxTracked         accepted pairs remembered per sensor within the skew window
 * @param keepSeedOpen       keep the opened seed in memory while the entity is active
 * @param snapshotEvery      snapshot every N events
 */
public record SensorSettings(Duration clockSkew, Duration reservationAhead, int maxTracked, boolean keepSeedOpen,
                             int snapshotEvery, Duration backoffMin, Duration backoffMax, Clock clock) {

    public static SensorSettings fromConfig(Config sensor, Clock clock) {
        return new SensorSettings(sensor.getDuration("clock-skew"), sensor.getDuration("reservation-ahead"),
                sensor.getInt("max-tracked-certificates"), sensor.getBoolean("keep-seed-open"),
                sensor.getInt("snapshot-every"), sensor.getDuration("journal-failure-backoff.min"),
                sensor.getDuration("journal-failure-backoff.max"), clock);
    }

    public SensorSettings withClock(Clock c) {
        return new SensorSettings(clockSkew, reservationAhead, maxTracked, keepSeedOpen, snapshotEvery,
                backoffMin, backoffMax, c);
    }
}
