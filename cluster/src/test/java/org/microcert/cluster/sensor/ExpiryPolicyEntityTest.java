package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.DownlinkReply;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorId;

/** The expiry policy: a sensor heard from within the configured time before its seed ends gets an update queued. */
class ExpiryPolicyEntityTest extends SensorEntityFixture {

    private static final ActorTestKit POLICY = ActorTestKit.create("ExpiryPolicyTest", ConfigFactory.parseString(
            "microcert.sensor.seed-update-before-expiry = 90d").withFallback(testKitConfig()));

    @AfterAll
    static void stopPolicyKit() {
        POLICY.shutdownTestKit();
    }

    @Test
    void aSensorHeardFromNearTheEndOfItsSeedGetsASeedUpdateThroughItsNextPoll() throws Exception {
        SensorId id = new SensorId(SENSOR);
        EventSourcedBehaviorTestKit<Command, SensorEvent, SensorRecord> policy = EventSourcedBehaviorTestKit.create(
                POLICY.system(), SensorEntities.create(id, PersistenceId.of("Sensor", id.toString()), card, settings(true)));
        byte[] envelope = fleet.transportEnvelope(chip);
        policy.<OperatorReply>runCommand(r -> new SensorMessages.Provision(envelope, "alice", r));
        MicroCertificate early = auth();
        var now = policy.<DownlinkReply>runCommand(r -> new SensorMessages.Poll(early.encode(), r));
        assertEquals(List.of(), now.reply().commands(), "years before the end: nothing");
        assertEquals(SensorRecord.Status.ACTIVE, policy.getState().status());

        clock.advanceSeconds(Duration.between(START, Instant.parse("2030-11-01T00:00:00Z")).getSeconds()); // 61 days left
        MicroCertificate late = auth();
        assertTrue(policy.<DownlinkReply>runCommand(r -> new SensorMessages.Poll(late.encode(), r)).reply().verdict().accepted());
        awaitPending(policy);
        clock.advanceSeconds(5);
        MicroCertificate next = auth();
        DownlinkReply queued = policy.<DownlinkReply>runCommand(r -> new SensorMessages.Poll(next.encode(), r)).reply();
        assertEquals(new CommandOrder.SeedUpdate(2), chip.accept(MicroCertificate.decode(queued.commands().get(0)),
                clock.instant()));
    }

    /** The policy's own StartSeedUpdate runs after the poll that triggered it: await its event. */
    private static void awaitPending(EventSourcedBehaviorTestKit<Command, SensorEvent, SensorRecord> kit) {
        POLICY.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
            assertEquals(SensorRecord.Status.UPDATE_PENDING, kit.getState().status());
            return null;
        });
    }

    @Test
    void thePolicySettingIsOffOrADurationWithinTheSeedsLife() {
        assertNull(Downlink.beforeExpiry(ConfigFactory.parseString("microcert.sensor.seed-update-before-expiry = off")));
        assertEquals(Duration.ofDays(30),
                Downlink.beforeExpiry(ConfigFactory.parseString("microcert.sensor.seed-update-before-expiry = 30d")));
        assertThrows(ConfigException.BadValue.class, () -> Downlink.beforeExpiry(
                ConfigFactory.parseString("microcert.sensor.seed-update-before-expiry = 2000d")));
        assertThrows(ConfigException.class, () -> Downlink.beforeExpiry(
                ConfigFactory.parseString("microcert.sensor.seed-update-before-expiry = soon")));
    }
}
