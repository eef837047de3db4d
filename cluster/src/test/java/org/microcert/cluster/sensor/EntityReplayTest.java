package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorId;

/** Replay protection through the entity: reservations, restarts, graceful stops, journal failures. */
class EntityReplayTest extends SensorEntityFixture {

    @Test
    void replayReservationIsPersistedOncePerWindowNotPerCertificate() throws Exception {
        provision();
        byte[] firstCert = certBytes();
        var first = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(firstCert, r));
        assertTrue(first.reply().accepted());
        SensorEvent.ReplayReservationExtended reservation =
                first.eventOfType(SensorEvent.ReplayReservationExtended.class);
        assertEquals(START.getEpochSecond() + 10, reservation.reservedUntilEpochSecond());
        for (int i = 0; i < 5; i++) {
            byte[] cert = certBytes();
            var next = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert, r));
            assertTrue(next.reply().accepted());
            assertTrue(next.hasNoEvents(), "a certificate inside the reservation writes nothing");
        }
        clock.advanceSeconds(11);
        byte[] laterCert = certBytes();
        var later = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(laterCert, r));
        assertTrue(later.reply().accepted());
        assertEquals(START.getEpochSecond() + 21,
                later.eventOfType(SensorEvent.ReplayReservationExtended.class).reservedUntilEpochSecond());
    }

    @Test
    void aSensorAtASteadyPaceFindsItsReservationRenewedBeforeItsNextCertificate() throws Exception {
        provision();
        double waitedBefore = reservationWrites("before_answer");
        double backgroundBefore = reservationWrites("background");
        int renewals = 0;
        for (int i = 0; i < 14; i++) { // max-tracked-certificates is 16 here
            byte[] cert = certBytes();
            long t = clock.instant().getEpochSecond();
            long reservedBefore = kit.getState().replayReservedUntilEpochSecond();
            var result = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert, r));
            assertTrue(result.reply().accepted(), () -> "rejected: " + result.reply().reason());
            if (i >= 2) {
                // from the third certificate on (the pace is known after two), none arrives beyond
                // the durable reservation, so none waits for a journal write before its answer
                assertTrue(t <= reservedBefore, "certificate " + i + " at " + t + " beyond the reservation " + reservedBefore);
            }
            if (i >= 2 && !result.hasNoEvents()) {
                renewals++;
                assertTrue(result.eventOfType(SensorEvent.ReplayReservationExtended.class).reservedUntilEpochSecond() > t + 5);
            }
            clock.advanceSeconds(3); // a certificate every 3 s, reservation-ahead 10 s
        }
        // 3rd to 14th certificate (+6 s to +39 s): a renewal every 9 s (+9, +18, +27, +36)
        assertEquals(4, renewals);
        // the metric tells the one write an answer waited for from those journaled behind an answer
        assertEquals(1, reservationWrites("before_answer") - waitedBefore);
        assertEquals(4, reservationWrites("background") - backgroundBefore);
    }

    @Test
    void replayedCertificateIsRejectedAfterRestartAndNewerOnesAreAccepted() throws Exception {
        provision();
        MicroCertificate cert = auth();
        assertTrue(authenticate(cert).accepted());
        kit.restart();
        Verdict replay = authenticate(cert);
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, replay.reason(), "a restarted entity must not accept the same pair");
        // A fresh certificate inside the recovered reservation cannot be told apart from one accepted
        // before the restart: refused too. Beyond it, accepted again.
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(auth()).reason());
        clock.advanceSeconds(11);
        assertTrue(authenticate(auth()).accepted());
    }

    @Test
    void aGracefulStopReleasesTheReservationSoTheNextIncarnationAcceptsFreshCertificatesAtOnce() throws Exception {
        provision();
        var entity = spawnIncarnation();
        MicroCertificate first = auth();
        assertTrue(authenticate(entity, first).accepted()); // reserves up to START + 10
        clock.advanceSeconds(2);
        MicroCertificate second = auth();
        assertTrue(authenticate(entity, second).accepted());
        stopAsShardingDoes(entity);
        kit.restart();
        assertEquals(START.getEpochSecond() + 2, kit.getState().replayReservedUntilEpochSecond(),
                "the reservation comes down to the newest accepted timestamp");
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(first).reason(), "what was accepted stays refused");
        assertEquals(VerdictReason.REPLAY, authenticate(second).reason(), "the released second lists it");
        clock.advanceSeconds(1);
        Verdict fresh = authenticate(auth()); // START + 3: inside the old reservation, refused after a crash
        assertTrue(fresh.accepted(), () -> "rejected: " + fresh.reason());
    }

    @Test
    void aCertificateOfTheSecondOfAGracefulStopIsAcceptedOnceAndStaysRefusedAfterACrash() throws Exception {
        provision();
        var entity = spawnIncarnation();
        MicroCertificate first = auth();
        assertTrue(authenticate(entity, first).accepted()); // reserves up to START + 10
        stopAsShardingDoes(entity); // e.g. passivated while the sensor's next certificate is on its way
        kit.restart();
        assertEquals(START.getEpochSecond(), kit.getState().replayReservedUntilEpochSecond());
        assertEquals(java.util.List.of(first.random()), kit.getState().replayRandomsAtReserved());
        assertEquals(VerdictReason.REPLAY, authenticate(first).reason(), "what was accepted stays refused");
        MicroCertificate sameSecond = auth();
        Verdict fresh = authenticate(sameSecond);
        assertTrue(fresh.accepted(), () -> "never used, so accepted: " + fresh.reason());
        assertEquals(START.getEpochSecond() + 10, kit.getState().replayReservedUntilEpochSecond(),
                "accepted only behind a new reservation");
        assertEquals(VerdictReason.REPLAY, authenticate(sameSecond).reason());
        kit.restart(); // a crash: no release, the durable reservation is the floor
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(sameSecond).reason());
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(first).reason());
    }

    @Test
    void aRenewalThatFailsToPersistLeavesEveryAnsweredCertificateUnderTheDurableFloor() throws Exception {
        provision();
        var entity = spawnIncarnation();
        java.util.List<MicroCertificate> answered = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) { // +0 (reserves up to +10), +3, +6: a pace of 3 s
            MicroCertificate c = auth();
            assertTrue(authenticate(entity, c).accepted());
            answered.add(c);
            clock.advanceSeconds(3);
        }
        PersistenceTestKit.create(testKit.system()).failNextPersisted(PersistenceId.of("Sensor", new SensorId(SENSOR).toString()).id());
        MicroCertificate renewing = auth(); // +9: the next, at +12, would pass +10, so renewed behind this answer
        assertTrue(authenticate(entity, renewing).accepted(), "answered before the renewal is written");
        answered.add(renewing);
        // The renewal never reached the journal (the incarnation restarts with backoff). Recovered,
        // the floor is the durable +10, so nothing answered can be accepted a second time.
        kit.restart();
        assertEquals(START.getEpochSecond() + 10, kit.getState().replayReservedUntilEpochSecond());
        for (MicroCertificate c : answered) {
            assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(c).reason());
        }
    }

    @Test
    void aCertificateBeyondTheReservationIsNotAnsweredWhenItsReservationFailsToPersist() throws Exception {
        provision();
        var entity = spawnIncarnation();
        for (int i = 0; i < 3; i++) { // +0 (reserves up to +10), +3, +6: a pace of 3 s
            assertTrue(authenticate(entity, auth()).accepted());
            clock.advanceSeconds(3);
        }
        clock.advanceSeconds(3); // +12: beyond the reservation, so it must wait for a new one
        MicroCertificate beyond = auth();
        PersistenceTestKit.create(testKit.system()).failNextPersisted(PersistenceId.of("Sensor", new SensorId(SENSOR).toString()).id());
        TestProbe<Verdict> probe = testKit.createTestProbe();
        entity.tell(new SensorMessages.Authenticate(beyond.encode(), probe.ref()));
        // answered only once durable, and the write failed: no answer (the gateway's ask times out)
        probe.expectNoMessage(Duration.ofMillis(500));
        kit.restart();
        assertEquals(START.getEpochSecond() + 10, kit.getState().replayReservedUntilEpochSecond());
        Verdict once = authenticate(beyond);
        assertTrue(once.accepted(), () -> "never accepted before, so accepted now: " + once.reason());
    }

    @Test
    void aStopWritesNothingOnceTheReservationHasPassed() throws Exception {
        provision();
        var entity = spawnIncarnation();
        assertTrue(authenticate(entity, auth()).accepted());
        clock.advanceSeconds(11); // idle past the reservation, as before an idle passivation
        stopAsShardingDoes(entity);
        kit.restart();
        assertEquals(START.getEpochSecond() + 10, kit.getState().replayReservedUntilEpochSecond(), "no release written");
        assertTrue(authenticate(auth()).accepted());
    }
}
