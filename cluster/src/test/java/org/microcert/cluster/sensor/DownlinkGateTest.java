package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.sensor.SensorMessages.DownlinkReply;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Verdict;

/**
 * Polls and seed uploads come from anyone who reaches the device port: the node's gates answer them
 * for ids it knows to be unknown, or while it looks up too many, as they answer certificates, so
 * neither can make it read the journal for random ids (docs/security.md, "Abuse controls").
 */
class DownlinkGateTest {

    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @Test
    void pollsAndUploadsAreDeviceCallsAnsweredInTheirOwnReplyTypes() {
        TestProbe<DownlinkReply> polls = KIT.createTestProbe();
        TestProbe<OperatorReply> uploads = KIT.createTestProbe();
        SensorMessages.Poll poll = new SensorMessages.Poll(new byte[32], polls.ref());
        SensorMessages.OfferSeed offer = new SensorMessages.OfferSeed(new byte[1026], uploads.ref());
        assertTrue(RecoveryGate.isDeviceCall(poll));
        assertTrue(RecoveryGate.isDeviceCall(offer));

        Verdict unknown = Verdict.rejected("00000000000004d2", VerdictReason.UNKNOWN_SENSOR, "not provisioned", 1);
        RecoveryGate.answer(poll, unknown);
        assertEquals(new DownlinkReply(unknown, List.of()), polls.receiveMessage());
        RecoveryGate.answer(offer, unknown);
        assertEquals(RefusalCode.UNKNOWN_SENSOR, ((Refused) uploads.receiveMessage()).error());
        RecoveryGate.answer(offer, Verdict.rejected("00000000000004d2", VerdictReason.UNAVAILABLE, "retry", 1));
        assertEquals(RefusalCode.UNAVAILABLE, ((Refused) uploads.receiveMessage()).error());
    }
}
