package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The entity's settings as a node reads them from its configuration. */
class SensorSettingsTest {

    private static Config with(String setting) {
        return ConfigFactory.parseString(setting).withFallback(ConfigFactory.load()).resolve();
    }

    private static SensorSettings read(Config config) {
        return SensorSettings.fromConfig(config, Clock.systemUTC());
    }

    @Test
    void theDefaultsAreAccepted() {
        SensorSettings s = read(ConfigFactory.load());
        assertEquals(Duration.ofMinutes(2), s.idleTimeout());
        assertEquals(Duration.ofSeconds(120), s.clockSkew());
        assertEquals(Duration.ofSeconds(30), s.reservationAhead());
        assertEquals(4096, s.maxTracked());
        assertEquals(100, s.snapshotEvery());
    }

    @Test
    void anIdleTimeoutThatIsNotPositiveIsRefusedByName() {
        for (String bad : new String[] {"0s", "-5s"}) {
            var e = assertThrows(ConfigException.BadValue.class, () -> read(with("microcert.sensor.idle-timeout = " + bad)), bad);
            assertTrue(e.getMessage().contains("microcert.sensor.idle-timeout") && e.getMessage().contains("positive"),
                    e.getMessage());
        }
    }

    @Test
    void everyValueTheEntityCannotWorkWithIsRefusedByItsPathWithWhatIsAllowed() {
        String[][] cases = {
                // path, bad value, what the message says is allowed
                {"microcert.sensor.reservation-ahead", "-1s", "zero or positive"},
                {"microcert.sensor.max-tracked-certificates", "0", "at least 1"},
                {"microcert.sensor.max-tracked-certificates", "-4", "at least 1"},
                {"microcert.sensor.clock-skew", "-1s", "at least 1 second"},
                {"microcert.sensor.clock-skew", "0s", "at least 1 second"},
                {"microcert.sensor.clock-skew", "500ms", "at least 1 second"},
                {"microcert.sensor.journal-failure-backoff.min", "0s", "a positive duration"},
                {"microcert.sensor.journal-failure-backoff.max", "100ms", "at least journal-failure-backoff.min"},
                {"microcert.persistence.snapshot-every-n-events", "0", "at least 1"},
                {"microcert.persistence.keep-n-snapshots", "0", "at least 1"},
        };
        for (String[] c : cases) {
            String setting = c[0] + " = " + c[1];
            var e = assertThrows(ConfigException.BadValue.class, () -> read(with(setting)), setting);
            assertTrue(e.getMessage().contains("'" + c[0] + "'") && e.getMessage().contains("must be " + c[2]),
                    setting + ": " + e.getMessage());
        }
    }

    @Test
    void aZeroReservationAheadIsAcceptedItStillCoversEveryAcceptedTimestamp() {
        assertEquals(Duration.ZERO, read(with("microcert.sensor.reservation-ahead = 0s")).reservationAhead());
    }
}
