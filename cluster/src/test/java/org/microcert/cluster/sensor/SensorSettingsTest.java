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
import org.microcert.cluster.replay.ReplayGuard;

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
        assertEquals(Duration.ofSeconds(5), s.reservationAhead());
        assertEquals(4096, s.maxTracked());
        assertEquals(100, s.snapshotEvery());
        assertTrue(s.keepSeedOpen());
        assertEquals(100_000, s.maxOpenSeeds());
        assertEquals(Duration.ofMinutes(2), s.openSeedIdleTimeout());
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
                {"microcert.sensor.max-open-seeds", "0", "between 1 and 10000000"},
                {"microcert.sensor.max-open-seeds", "10000001", "between 1 and 10000000"},
                {"microcert.sensor.open-seed-idle-timeout", "500ms", "at least 1 second"},
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

    /**
     * Zero is allowed because the guard reserves max(t, now) + ahead: with ahead 0 each certificate
     * beyond the reservation reserves its own second (or the node's, if later), never less than t.
     */
    @Test
    void aZeroReservationAheadIsAcceptedAndStillCoversEveryAcceptedTimestamp() {
        SensorSettings s = read(with("microcert.sensor.reservation-ahead = 0s"));
        assertEquals(Duration.ZERO, s.reservationAhead());
        ReplayGuard guard = new ReplayGuard(0, s.clockSkew().toSeconds(), s.reservationAhead().toSeconds(), s.maxTracked());
        long t0 = 1_700_000_000L;
        long[][] traffic = { // {certificate timestamp, node clock}
                {t0, t0}, {t0, t0},          // in step; a second certificate of the same second
                {t0 + 1, t0 + 3},            // the sensor's clock behind the node's
                {t0 + 2, t0 + 3},            // within the reservation that made
                {t0 + 5, t0 + 4}, {t0 + 5, t0 + 4}, // the sensor's clock ahead
                {t0 + 6, t0 + 6},
        };
        long reserved = 0;
        long random = 0;
        for (long[] c : traffic) {
            long t = c[0];
            long now = c[1];
            ReplayGuard.Decision d = guard.check(t, random++, reserved, now);
            String at = "t = t0 + " + (t - t0) + ", now = t0 + " + (now - t0);
            if (t > reserved) {
                assertEquals(new ReplayGuard.Reserve(Math.max(t, now)), d, at);
                reserved = ((ReplayGuard.Reserve) d).until();
            } else {
                assertEquals(new ReplayGuard.Accept(), d, at);
            }
            assertTrue(t <= reserved, at + ": accepted beyond the durable reservation " + reserved);
        }
    }
}
