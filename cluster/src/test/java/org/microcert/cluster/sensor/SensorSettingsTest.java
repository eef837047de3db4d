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

    private static Config withIdleTimeout(String value) {
        return ConfigFactory.parseString("microcert.sensor.idle-timeout = " + value)
                .withFallback(ConfigFactory.load()).resolve();
    }

    @Test
    void theIdleTimeoutDefaultsToTwoMinutes() {
        assertEquals(Duration.ofMinutes(2), SensorSettings.fromConfig(ConfigFactory.load(), Clock.systemUTC()).idleTimeout());
    }

    @Test
    void anIdleTimeoutThatIsNotPositiveIsRefusedByName() {
        for (String bad : new String[] {"0s", "-5s"}) {
            var e = assertThrows(ConfigException.BadValue.class,
                    () -> SensorSettings.fromConfig(withIdleTimeout(bad), Clock.systemUTC()), bad);
            assertTrue(e.getMessage().contains("idle-timeout") && e.getMessage().contains("positive"), e.getMessage());
        }
    }
}
