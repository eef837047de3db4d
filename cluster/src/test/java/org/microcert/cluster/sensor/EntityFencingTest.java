package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.SensorId;

/**
 * The entity under a shard lease (docs/cluster.md "Fencing"): once this node no longer holds the
 * sensor's shard it accepts nothing and writes nothing; an accept or an operator write whose lease
 * lapsed while it was being written is not answered as done.
 */
class EntityFencingTest extends SensorEntityFixture {

    /** Held while {@code remaining} is above zero: each check uses one (a pause scripted by count). */
    final AtomicInteger remaining = new AtomicInteger(Integer.MAX_VALUE);

    EventSourcedBehaviorTestKit<Command, SensorEvent, SensorRecord> fencedEntity() {
        SensorId id = new SensorId(SENSOR);
        SensorSettings settings = settings(true);
        return EventSourcedBehaviorTestKit.create(testKit.system(), SensorEntity.create(id,
                PersistenceId.of("Sensor", id.toString()), card, settings, ReplayLedger.NONE, null,
                Passivation.UNUSED_AFTER_PROVISION, settings.newSeedCache(1), null, RecoveryListener.NONE,
                () -> remaining.getAndDecrement() > 0));
    }

    @Test
    void withoutTheLeaseNothingIsAcceptedOrWrittenAndTheSameCertificateCountsOnceItIsBack() throws Exception {
        kit = fencedEntity();
        provision();
        byte[] cert = certBytes();
        remaining.set(0);
        var refused = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert, r));
        assertFalse(refused.reply().accepted());
        assertEquals(VerdictReason.UNAVAILABLE, refused.reply().reason());
        assertTrue(refused.hasNoEvents(), "a fenced entity writes nothing");
        var revoke = kit.<OperatorReply>runCommand(r -> new SensorMessages.Revoke("lost", "alice", r));
        assertEquals(RefusalCode.UNAVAILABLE, assertInstanceOf(Refused.class, revoke.reply()).error());
        assertTrue(revoke.hasNoEvents());
        assertEquals(SensorRecord.Status.ACTIVE, kit.getState().status());

        // refused before judging: the certificate did not take its place in the replay guard
        remaining.set(Integer.MAX_VALUE);
        var accepted = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert, r));
        assertTrue(accepted.reply().accepted(), () -> "rejected: " + accepted.reply().reason());
        assertFalse(accepted.hasNoEvents(), "the first accept reserves");
    }

    @Test
    void aLeaseThatLapsesWhileTheReservationIsWrittenTurnsTheAcceptIntoUnavailable() throws Exception {
        kit = fencedEntity();
        provision();
        byte[] cert = certBytes();
        remaining.set(2); // held before and after judging, lapsed by the time the write is done
        var result = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert, r));
        assertEquals(VerdictReason.UNAVAILABLE, result.reply().reason(), "not answered accepted");
        result.eventOfType(SensorEvent.ReplayReservationExtended.class); // written while held: a new owner reads it
    }

    @Test
    void aLeaseThatLapsesWhileJudgingAnswersUnavailableAndWritesNothing() throws Exception {
        kit = fencedEntity();
        provision();
        byte[] cert = certBytes();
        remaining.set(1); // held before judging only
        var result = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert, r));
        assertEquals(VerdictReason.UNAVAILABLE, result.reply().reason());
        assertTrue(result.hasNoEvents());
    }

    @Test
    void aRevocationWrittenAsTheLeaseLapsesIsNotAcknowledged() {
        kit = fencedEntity();
        provision();
        remaining.set(1); // held when the write starts, lapsed when it is done
        var result = kit.<OperatorReply>runCommand(r -> new SensorMessages.Revoke("stolen", "alice", r));
        assertEquals(RefusalCode.UNAVAILABLE, assertInstanceOf(Refused.class, result.reply()).error(),
                "an operator retries; the revocation may or may not count");
        result.eventOfType(SensorEvent.Revoked.class);
    }

    @Test
    void aStopWithoutTheLeaseReleasesNothing() throws Exception {
        kit = fencedEntity();
        provision();
        SensorId id = new SensorId(SENSOR);
        SensorSettings settings = settings(true);
        var entity = testKit.spawn(SensorEntity.create(id, PersistenceId.of("Sensor", id.toString()), card, settings,
                ReplayLedger.NONE, null, Passivation.UNUSED_AFTER_PROVISION, settings.newSeedCache(1), null,
                RecoveryListener.NONE, () -> remaining.getAndDecrement() > 0));
        assertTrue(authenticate(entity, auth()).accepted()); // reserves up to START + 10
        clock.advanceSeconds(2);
        assertTrue(authenticate(entity, auth()).accepted());
        remaining.set(0);
        stopAsShardingDoes(entity); // held, it would release down to START + 2 (EntityReplayTest)
        remaining.set(Integer.MAX_VALUE);
        kit.restart();
        assertEquals(START.getEpochSecond() + 10, kit.getState().replayReservedUntilEpochSecond(), "no release written");
    }
}
