package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.DownlinkReply;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.MicroCertificate;

/** The downlink queue and the two-phase seed update on one entity (in-memory journal). */
class DownlinkEntityTest extends SensorEntityFixture {

    DownlinkReply poll(MicroCertificate cert) {
        return kit.<DownlinkReply>runCommand(r -> new SensorMessages.Poll(cert.encode(), r)).reply();
    }

    OperatorReply offer(byte[] envelope) {
        return kit.<OperatorReply>runCommand(r -> new SensorMessages.CompleteSeedUpdate(envelope, "sensor", r)).reply();
    }

    OperatorReply cancel() {
        return kit.<OperatorReply>runCommand(r -> new SensorMessages.CancelDownlink("carol", r)).reply();
    }

    /** Provisioned, an update started, the chip obeyed and its envelope arrived (its answer not yet). */
    void provisionAndOfferAnUpdate() throws Exception {
        provision();
        Done started = (Done) kit.<OperatorReply>runCommand(r -> new SensorMessages.StartSeedUpdate("bob", r)).reply();
        chip.accept(MicroCertificate.decode(started.certificate()), clock.instant());
        offer(chip.pendingUpdate().orElseThrow().encode());
    }

    Done status() {
        return (Done) kit.<OperatorReply>runCommand(SensorMessages.GetStatus::new).reply();
    }

    @Test
    void aSleepingSensorGetsItsSeedUpdateTaggedAnewWhenItWakesAndALostAnswerIsRecoveredByTheNextPoll() throws Exception {
        provision();
        assertEquals(List.of(), poll(auth()).commands(), "nothing pending");
        kit.<OperatorReply>runCommand(r -> new SensorMessages.StartSeedUpdate("bob", r));
        clock.advanceSeconds(6 * 3600); // asleep far beyond the chip's skew window
        DownlinkReply woke = poll(auth());
        assertTrue(woke.verdict().accepted());
        assertEquals(1, woke.commands().size());
        MicroCertificate command = MicroCertificate.decode(woke.commands().get(0));
        assertEquals(clock.instant().getEpochSecond(), command.timestamp(), "tagged at the poll, not at the start");
        assertEquals(new CommandOrder.SeedUpdate(2), chip.accept(command, clock.instant()));
        byte[] lostAnswer = chip.pendingUpdate().orElseThrow().encode();
        assertEquals("UPDATE_PENDING", ((Done) offer(lostAnswer)).status().status());
        // the answer to that upload was lost: the chip still uses seed 1 and is still accepted
        clock.advanceSeconds(60);
        DownlinkReply again = poll(auth());
        assertTrue(again.verdict().accepted());
        assertEquals(1, again.verdict().seedVersion());
        chip.accept(MicroCertificate.decode(again.commands().get(0)), clock.instant()); // a new seed 2
        byte[] second = chip.pendingUpdate().orElseThrow().encode();
        assertInstanceOf(Done.class, offer(second));
        assertInstanceOf(Done.class, offer(lostAnswer), "the late duplicate of the first upload is harmless");
        chip.activatePendingSeed();
        clock.advanceSeconds(60);

        byte[] underNewSeed = auth().encode();
        var proof = kit.<DownlinkReply>runCommand(r -> new SensorMessages.Poll(underNewSeed, r));
        assertTrue(proof.reply().verdict().accepted());
        assertEquals(2, proof.reply().verdict().seedVersion());
        assertEquals(List.of(), proof.reply().commands(), "the poll proved the new seed: nothing pending");
        assertEquals(2, proof.eventOfType(SensorEvent.SeedUpdated.class).seed().seedVersion());
        assertEquals("ACTIVE", status().status().status());
        assertEquals(2, status().status().seedVersion());
        assertEquals(List.of(), kit.getState().downlink().candidates(), "the other offered seed is gone");
    }

    @Test
    void aRevocationIsDeliveredToEveryPollUntilAnOperatorEndsIt() throws Exception {
        provision();
        MicroCertificate asleep = auth();
        Done revoked = (Done) kit.<OperatorReply>runCommand(r -> new SensorMessages.Revoke("stolen", "alice", r)).reply();
        assertEquals("REVOKED", revoked.status().status());
        assertEquals(VerdictReason.REVOKED, authenticate(auth()).reason(), "revoked at once for everything else");
        clock.advanceSeconds(30 * 86400);
        MicroCertificate woke = auth();
        MicroCertificate later = chip.authenticate(clock.instant().plusSeconds(1));
        DownlinkReply reply = poll(woke);
        assertEquals(VerdictReason.REVOKED, reply.verdict().reason());
        assertEquals(1, reply.commands().size());
        assertEquals(List.of(), poll(asleep).commands(), "a stale poll gets nothing");
        kit.restart();
        DownlinkReply afterRestart = poll(woke); // a replayed poll only gets another REVOKE
        assertEquals(1, afterRestart.commands().size(), "the queue is persisted");
        assertEquals(new CommandOrder.Revoke(1), chip.accept(MicroCertificate.decode(afterRestart.commands().get(0)),
                clock.instant()));

        var ended = kit.<OperatorReply>runCommand(r -> new SensorMessages.CancelDownlink("carol", r));
        assertEquals(new SensorEvent.RevocationDeliveryEnded(false, clock.instant(), "carol"), ended.event());
        assertEquals("REVOKED", ((Done) ended.reply()).status().status());
        assertNull(kit.getState().downlink().revocationSeed(), "the revoked seed is dropped");
        assertEquals(List.of(), poll(later).commands());
        assertEquals(RefusalCode.NOTHING_PENDING, ((Refused) cancel()).error());
    }

    @Test
    void aSensorRevokedWhileAlreadyOnItsOfferedSeedGetsTheRevokeUnderThatSeed() throws Exception {
        provisionAndOfferAnUpdate();
        chip.activatePendingSeed();
        kit.<OperatorReply>runCommand(r -> new SensorMessages.Revoke("stolen", "alice", r));
        DownlinkReply reply = poll(auth());
        assertEquals(1, reply.commands().size());
        assertEquals(new CommandOrder.Revoke(2), chip.accept(MicroCertificate.decode(reply.commands().get(0)),
                clock.instant()));
        assertTrue(chip.isRevoked());
    }

    @Test
    void cancellingAnUpdateKeepsTheCurrentSeedAndForgetsTheOfferedOnes() throws Exception {
        provisionAndOfferAnUpdate();
        var cancelled = kit.<OperatorReply>runCommand(r -> new SensorMessages.CancelDownlink("carol", r));
        assertInstanceOf(SensorEvent.SeedUpdateCancelled.class, cancelled.event());
        assertEquals("ACTIVE", ((Done) cancelled.reply()).status().status());
        assertTrue(poll(auth()).commands().isEmpty());
        chip.activatePendingSeed(); // a chip that switched anyway is refused: the operator chose so
        assertEquals(VerdictReason.BAD_TAG, authenticate(auth()).reason());
        assertEquals(1, status().status().seedVersion());
        assertEquals(RefusalCode.NOTHING_PENDING, ((Refused) cancel()).error());
    }
}
