package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.protocol.SensorChip;

/**
 * Idle passivation through real sharding: sharding's own idle strategy is off (cluster.conf), so
 * an entity leaves memory only because it asked its shard (within seconds here, where sharding's
 * default would take minutes), and comes back on the next request.
 */
class IdlePassivationTest {

    @TempDir
    static Path dir;

    @Test
    void anIdleSensorLeavesMemoryAndItsNextCertificateBringsItBack() throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        try (TestNode node = new TestNode("idle", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString(
                "microcert.sensor.idle-timeout = 1s")), fleet.openCard("idle"))) {
            SensorClient sensors = new SensorClient(node.system(), Duration.ofSeconds(10));
            Metrics metrics = Metrics.get(node.system());
            SensorChip chip = TestFleet.chip(0x1D1EL, Instant.now());
            assertInstanceOf(SensorMessages.Done.class, sensors.provision(chip.sensorId(), fleet.transportEnvelope(chip),
                    "alice").toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertTrue(authenticate(sensors, chip));
            assertEquals(1, metrics.activeEntities());
            // (whether a busy sensor stays: SensorEntityTest, on a clock the test moves)
            awaitActive(node, metrics, 0, Duration.ofSeconds(10));
            assertTrue(authenticate(sensors, chip), "the passivated sensor's next certificate recovers it");
            assertEquals(1, metrics.activeEntities());
        }
    }

    @Test
    void anUnknownSensorLeavesMemoryAtOnceAndCanStillBeProvisioned() throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("card-unknown"));
        // the default idle timeout: 2 minutes
        try (TestNode node = new TestNode("unknown", TestNode.inMemoryJournal(), fleet.openCard("unknown"))) {
            SensorClient sensors = new SensorClient(node.system(), Duration.ofSeconds(10));
            Metrics metrics = Metrics.get(node.system());
            SensorChip chip = TestFleet.chip(0x1D1FL, Instant.now());
            assertEquals(VerdictReason.UNKNOWN_SENSOR, sensors.authenticate(chip.sensorId(), chip.authenticate(Instant.now()).encode())
                    .toCompletableFuture().get(10, TimeUnit.SECONDS).reason());
            awaitActive(node, metrics, 0, Duration.ofSeconds(10));
            // A provisioning right behind an unknown certificate may find the entity passivating:
            // sharding then buffers it and starts a new one. Either way the sensor is provisioned.
            var unknown = sensors.authenticate(chip.sensorId(), chip.authenticate(Instant.now()).encode());
            var provisioned = sensors.provision(chip.sensorId(), fleet.transportEnvelope(chip), "alice");
            assertEquals(VerdictReason.UNKNOWN_SENSOR, unknown.toCompletableFuture().get(10, TimeUnit.SECONDS).reason());
            assertInstanceOf(SensorMessages.Done.class, provisioned.toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertTrue(authenticate(sensors, chip));
        }
    }

    private static boolean authenticate(SensorClient sensors, SensorChip chip) throws Exception {
        return sensors.authenticate(chip.sensorId(), chip.authenticate(Instant.now()).encode())
                .toCompletableFuture().get(10, TimeUnit.SECONDS).accepted();
    }

    private static void awaitActive(TestNode node, Metrics metrics, long expected, Duration within) {
        TestProbe.create(node.system()).awaitAssert(within, Duration.ofMillis(50), () -> {
            assertEquals(expected, metrics.activeEntities(), "sensor entities in memory");
            return null;
        });
    }
}
