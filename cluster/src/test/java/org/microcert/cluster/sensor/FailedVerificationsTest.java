package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;

/**
 * The per-sensor limit on failed verifications: past the limit a forged certificate's answer waits
 * (here an hour, so it never comes within the test), while the genuine sensor's certificate sent
 * behind a forged flood is verified and accepted at once. No timing: the order of the replies is
 * what is checked.
 */
class FailedVerificationsTest {

    static final int LIMIT = 5;

    static ActorTestKit testKit;
    @TempDir
    static Path dir;
    static TestFleet fleet;
    static SoftwareCard card;

    @BeforeAll
    static void start() {
        Config config = ConfigFactory.parseString(
                "microcert.sensor.failed-verifications { max-failures = %d, window = 1h, delay = 1h }".formatted(LIMIT))
                .withFallback(SensorEntityFixture.testKitConfig());
        testKit = ActorTestKit.create("FailedVerificationsTest", config);
        fleet = new TestFleet(dir.resolve("card"));
        card = fleet.openCard("failed-verifications");
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
        card.close();
    }

    @Test
    void aGenuineCertificateIsAcceptedAtOnceDuringAForgedFloodAgainstTheSameSensor() throws Exception {
        SensorChip chip = TestFleet.chip(0x77, Instant.now());
        SensorId id = chip.sensorId();
        SensorSettings settings = new SensorSettings(Duration.ofSeconds(120), Duration.ofSeconds(10), 4096, true, 100, 2,
                Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(10), Clock.systemUTC());
        ActorRef<Command> entity = testKit.spawn(SensorEntities.create(id, PersistenceId.of("Sensor", id.toString()),
                card, settings));
        TestProbe<OperatorReply> provisioned = testKit.createTestProbe();
        entity.tell(new SensorMessages.Provision(fleet.transportEnvelope(chip), "alice", provisioned.ref()));
        assertInstanceOf(Done.class, provisioned.receiveMessage());

        TestProbe<Verdict> replies = testKit.createTestProbe();
        int forgedCount = 200;
        for (int i = 0; i < forgedCount; i++) {
            byte[] forged = chip.authenticate(Instant.now()).encode();
            forged[forged.length - 1] ^= 1;
            entity.tell(new SensorMessages.Authenticate(forged, replies.ref()));
        }
        entity.tell(new SensorMessages.Authenticate(chip.authenticate(Instant.now()).encode(), replies.ref()));

        // The first LIMIT failures are answered at once, then the genuine certificate, before any
        // of the 195 forged certificates queued ahead of it: their answers wait.
        for (int i = 0; i < LIMIT; i++) {
            assertEquals(VerdictReason.BAD_TAG, replies.receiveMessage().reason());
        }
        Verdict genuine = replies.receiveMessage(Duration.ofSeconds(30));
        assertTrue(genuine.accepted(), "the genuine certificate: " + genuine.reason() + " " + genuine.message());
        String metrics = new String(Metrics.get(testKit.system()).scrape(), StandardCharsets.UTF_8);
        assertTrue(metrics.contains("microcert_failed_verifications_delayed_total " + (forgedCount - LIMIT) + ".0"),
                metrics);
    }

    @Test
    void underTheLimitOrWithTheDelayOffNothingWaitsAndANewWindowStartsAfresh() {
        FailedVerifications f = new FailedVerifications(new FailedVerifications.Settings(2, Duration.ofSeconds(60),
                Duration.ofSeconds(1)));
        assertEquals(Duration.ZERO, f.failed(0));
        assertEquals(Duration.ZERO, f.failed(1));
        assertEquals(Duration.ofSeconds(1), f.failed(2));
        assertEquals(Duration.ofSeconds(1), f.failed(59_999));
        assertEquals(Duration.ZERO, f.failed(60_000), "a new window");
        FailedVerifications off = new FailedVerifications(new FailedVerifications.Settings(0, Duration.ofSeconds(60),
                Duration.ZERO));
        for (int i = 0; i < 100; i++) {
            assertEquals(Duration.ZERO, off.failed(i));
        }
    }

    @Test
    void settingsItCannotWorkWithAreRefusedByPath() {
        ConfigException e = assertThrows(ConfigException.class, () -> FailedVerifications.Settings.fromConfig(
                ConfigFactory.parseString("microcert.sensor.failed-verifications { max-failures = 1, window = 0s, delay = 1s }")));
        assertTrue(e.getMessage().contains("failed-verifications.window"), e.getMessage());
        assertThrows(ConfigException.class, () -> FailedVerifications.Settings.fromConfig(ConfigFactory.parseString(
                "microcert.sensor.failed-verifications { max-failures = -1, window = 1s, delay = 1s }")));
        assertEquals(FailedVerifications.Settings.DEFAULT, FailedVerifications.Settings.fromConfig(ConfigFactory.empty()));
    }
}
