package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class RecoveryGateConfigTest {

    private static String refusal(String setting) {
        var config = ConfigFactory.parseString("microcert.sensor.unknown-recoveries." + setting)
                .withFallback(ConfigFactory.parseResources("sensor.conf"));
        // the check comes before the gate touches its metrics
        return assertThrows(IllegalArgumentException.class, () -> RecoveryGate.fromConfig(config, null)).getMessage();
    }

    @Test
    void aBadSettingStopsTheNodeNamingIt() {
        assertEquals("microcert.sensor.unknown-recoveries.max-concurrent must be at least 1, not 0",
                refusal("max-concurrent = 0"));
        assertEquals("microcert.sensor.unknown-recoveries.max-waiting must be at least 0, not -1",
                refusal("max-waiting = -1"));
        assertEquals("microcert.sensor.unknown-recoveries.max-wait must be above 0, not 0ms", refusal("max-wait = 0s"));
        assertEquals("microcert.sensor.unknown-recoveries.known-ids must be at least 1, not 0", refusal("known-ids = 0"));
    }
}
