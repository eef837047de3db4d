package org.microcert.cluster.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.TestNode;

/** Where fencing is on by default, and lease timings that could not fence refused by path. */
class FencingSettingsTest {

    static final String CASSANDRA = "pekko.persistence.journal.plugin = \"pekko.persistence.cassandra.journal\"\n";

    static Config node(String overrides) {
        return TestNode.config(ConfigFactory.parseString(overrides).withFallback(TestNode.inMemoryJournal()));
    }

    @Test
    void onWithTheCassandraJournalOffWithTheInMemoryOneAndAnotherConfiguredLeaseIsKept() {
        assertEquals("microcert.fencing.lease", node(CASSANDRA).getString("pekko.cluster.sharding.use-lease"));
        assertEquals("", node("").getString("pekko.cluster.sharding.use-lease"), "in-memory journal: off");
        assertEquals("", node(CASSANDRA + "microcert.fencing.enabled = off").getString("pekko.cluster.sharding.use-lease"));
        assertEquals("my-lease", node(CASSANDRA + "pekko.cluster.sharding.use-lease = my-lease")
                .getString("pekko.cluster.sharding.use-lease"));
        FencingSettings defaults = FencingSettings.fromLeaseConfig(node(CASSANDRA).getConfig(FencingSettings.LEASE_CONFIG));
        assertEquals(Duration.ofSeconds(6), defaults.ttl(), "a crashed node's shards are free within 6 s");
        assertEquals(Duration.ofSeconds(1), defaults.heartbeatInterval());
        assertEquals(Duration.ofSeconds(2), defaults.safetyMargin());
    }

    @Test
    void timingsThatCouldNotFenceAreRefusedByPath() {
        String lease = CASSANDRA + "microcert.fencing.lease.";
        for (String[] bad : new String[][] {
            {"heartbeat-timeout = 1500ms", "heartbeat-timeout"},
            {"heartbeat-timeout = 1s", "heartbeat-timeout"},
            {"safety-margin = 500ms", "safety-margin"},
            {"safety-margin = 6s", "safety-margin"},
            {"heartbeat-interval = 4s", "heartbeat-interval"},
            {"heartbeat-interval = 0s", "heartbeat-interval"},
            {"lease-operation-timeout = 0s", "lease-operation-timeout"}}) {
            var e = assertThrows(ConfigException.BadValue.class, () -> node(lease + bad[0]), bad[0]);
            assertTrue(e.getMessage().contains("microcert.fencing.lease." + bad[1]), e.getMessage());
        }
        var e = assertThrows(ConfigException.BadValue.class, () -> node("microcert.fencing.enabled = on"));
        assertTrue(e.getMessage().contains("needs the Cassandra journal"), e.getMessage());
        assertThrows(ConfigException.BadValue.class, () -> node("microcert.fencing.enabled = maybe"));
    }
}
