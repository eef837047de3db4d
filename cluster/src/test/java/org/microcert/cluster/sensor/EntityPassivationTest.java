package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;

/** When an entity asks its shard (a probe here) to passivate it: unused, idle, unknown. */
class EntityPassivationTest extends SensorEntityFixture {

    @Test
    void aSensorThatDoesNotTalkSoonAfterItsProvisioningIsPassivatedAndOneThatDoesIsNot() throws Exception {
        Duration unused = Duration.ofMillis(400);
        TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
        // a factory import: provisioned, then silent
        SensorChip quietChip = TestFleet.chip(0x9ABCL, START);
        var quiet = spawnProvisioned(quietChip, shard, unused);
        // refused, so no second timer: exactly one passivation request follows
        TestProbe<OperatorReply> reply = testKit.createTestProbe();
        quiet.tell(new SensorMessages.Provision(fleet.transportEnvelope(quietChip), "alice", reply.ref()));
        assertEquals(RefusalCode.ALREADY_PROVISIONED, assertInstanceOf(Refused.class, reply.receiveMessage()).error());
        var passivate = assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage(Duration.ofSeconds(3)));
        assertEquals(quiet, passivate.entity());
        shard.expectNoMessage(unused.multipliedBy(2));
        stopAsShardingDoes(quiet);
        // a sensor that talks right after its provisioning stays running
        SensorChip busyChip = TestFleet.chip(0x9ABDL, START);
        var busy = spawnProvisioned(busyChip, shard, unused);
        assertTrue(authenticate(busy, busyChip.authenticate(clock.instant())).accepted());
        shard.expectNoMessage(unused.multipliedBy(3));
        stopAsShardingDoes(busy);
    }

    @Test
    void anEntityAsksToBePassivatedOnceNothingButItsOwnChecksArrivedForTheIdleTimeout() throws Exception {
        // The checks run on a real 300 ms timer; whether the entity is idle is judged by the manual
        // clock, so the outcome does not depend on how fast this machine runs the test.
        TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
        SensorChip busyChip = TestFleet.chip(0x9ABEL, START);
        var entity = spawnProvisioned(busyChip, shard, Duration.ofMinutes(1), settings(true, Duration.ofMillis(300)));
        assertTrue(authenticate(entity, busyChip.authenticate(clock.instant())).accepted());
        shard.expectNoMessage(Duration.ofSeconds(1)); // about three checks, none idle
        clock.advanceMillis(200);
        assertTrue(authenticate(entity, busyChip.authenticate(clock.instant())).accepted());
        clock.advanceMillis(250); // 450 ms after the provisioning, but only 250 after the last certificate
        shard.expectNoMessage(Duration.ofMillis(800));
        clock.advanceMillis(100);
        var passivate = assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage(Duration.ofSeconds(3)));
        assertEquals(entity, passivate.entity());
        shard.expectNoMessage(Duration.ofSeconds(1)); // asked once, then no more checks
        stopAsShardingDoes(entity);
    }

    @Test
    void anUnknownSensorsEntityAsksToBePassivatedAtOnceAndOnceProvisionedItStays() throws Exception {
        // The idle timeout is 10 minutes here: any passivation this test sees is not the idle one.
        TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
        SensorChip unknownChip = TestFleet.chip(0x9AC0L, START);
        SensorId id = unknownChip.sensorId();
        var entity = testKit.spawn(SensorEntities.create(id, PersistenceId.of("Sensor", id.toString()), card, settings(true),
                ReplayLedger.NONE, shard.ref(), Duration.ofMinutes(1)));
        assertEquals(VerdictReason.UNKNOWN_SENSOR, authenticate(entity, unknownChip.authenticate(clock.instant())).reason());
        assertEquals(entity, assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage(Duration.ofSeconds(3))).entity());
        // A refused Provision leaves it unknown: asked again.
        TestProbe<OperatorReply> reply = testKit.createTestProbe();
        entity.tell(new SensorMessages.Provision(new byte[] {1, 2, 3}, "alice", reply.ref()));
        assertEquals(RefusalCode.BAD_ENVELOPE, assertInstanceOf(Refused.class, reply.receiveMessage()).error());
        assertEquals(entity, assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage(Duration.ofSeconds(3))).entity());
        // Commands reaching it before sharding's stop are still handled; a Provision makes the sensor
        // known, and the check queued behind it (done before the next reply) then keeps the entity.
        entity.tell(new SensorMessages.Provision(fleet.transportEnvelope(unknownChip), "alice", reply.ref()));
        assertInstanceOf(Done.class, reply.receiveMessage());
        assertTrue(authenticate(entity, unknownChip.authenticate(clock.instant())).accepted());
        shard.expectNoMessage(Duration.ofMillis(300));
        stopAsShardingDoes(entity);
    }
}
