package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorId;

/** A busy sensor on its node's replay ledger: joining, the recovered floor, leaving it. */
class EntityLedgerTest extends SensorEntityFixture {

    /** A node's replay ledger whose session and reservations the test sets. */
    static final class FakeLedger implements ReplayLedger {
        volatile String session = "session-1";
        volatile long durableUntil = Long.MIN_VALUE;
        final java.util.Map<String, Long> sessions = new java.util.concurrent.ConcurrentHashMap<>();
        // when set, the next lookup's answer (the test completes it); then lookups read `sessions`
        volatile java.util.concurrent.CompletableFuture<java.util.OptionalLong> next;
        final java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();

        void renew(long until) {
            durableUntil = until;
            sessions.put(session, until);
        }

        @Override
        public String session() {
            return session;
        }

        @Override
        public long durableUntil() {
            return durableUntil;
        }

        @Override
        public java.util.concurrent.CompletionStage<java.util.OptionalLong> reservedUntil(String s) {
            lookups.incrementAndGet();
            var pending = next;
            if (pending != null) {
                next = null;
                return pending;
            }
            Long v = sessions.get(s);
            return java.util.concurrent.CompletableFuture.completedFuture(
                    v == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(v));
        }
    }

    EventSourcedBehaviorTestKit<Command, SensorEvent, SensorRecord> ledgerEntity(ReplayLedger ledger) {
        SensorId id = new SensorId(SENSOR);
        return EventSourcedBehaviorTestKit.create(testKit.system(),
                SensorEntities.create(id, PersistenceId.of("Sensor", id.toString()), card, settings(true), ledger));
    }

    /** Certificates every 2 s while the node renews its ledger 10 s ahead; the events they journaled. */
    java.util.List<SensorEvent> talkEvery2s(FakeLedger ledger, int certificates, java.util.List<MicroCertificate> answered)
            throws Exception {
        java.util.List<SensorEvent> events = new java.util.ArrayList<>();
        for (int i = 0; i < certificates; i++) {
            ledger.renew(clock.instant().getEpochSecond() + 10);
            MicroCertificate c = auth();
            var result = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(c.encode(), r));
            assertTrue(result.reply().accepted(), () -> "rejected: " + result.reply().reason());
            answered.add(c);
            events.addAll(result.events());
            clock.advanceSeconds(2);
        }
        return events;
    }

    @Test
    void aBusySensorJoinsItsNodesReplayLedgerOnceAndThenJournalsNoReservationsOfItsOwn() throws Exception {
        FakeLedger ledger = new FakeLedger();
        kit = ledgerEntity(ledger);
        provision();
        // 28 s, nearly 3 reservation-aheads (and below the 16 certificates the window tracks)
        java.util.List<SensorEvent> events = talkEvery2s(ledger, 14, new java.util.ArrayList<>());
        // The first certificate reserves on its own (its pace is unknown); where a reservation of its
        // own would be renewed, the busy sensor joins the ledger instead, and then writes nothing.
        assertEquals(java.util.List.of(new SensorEvent.ReplayReservationExtended(START.getEpochSecond() + 10),
                new SensorEvent.ReplayLedgerJoined("session-1", 0)), events);
        assertEquals("session-1", kit.getState().replayLedgerSession());
    }

    @Test
    void afterACrashAJoinedSensorRefusesEverythingUpToItsSessionsLastReservation() throws Exception {
        FakeLedger ledger = new FakeLedger();
        kit = ledgerEntity(ledger);
        provision();
        java.util.List<MicroCertificate> answered = new java.util.ArrayList<>();
        talkEvery2s(ledger, 10, answered);
        long lastReservation = ledger.durableUntil; // START + 18 + 10
        // The node crashed; the sensor comes back on another node, whose session has not renewed yet.
        ledger.session = "session-2";
        ledger.durableUntil = Long.MIN_VALUE;
        kit.restart();
        for (MicroCertificate c : answered) {
            assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(c).reason());
        }
        clock.advanceSeconds(lastReservation - clock.instant().getEpochSecond());
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(auth()).reason(), "anything up to the session's reservation");
        clock.advanceSeconds(1);
        Verdict beyond = authenticate(auth());
        assertTrue(beyond.accepted(), () -> "rejected: " + beyond.reason());
    }

    @Test
    void commandsWaitForTheLedgersAnswerAFailedReadIsAskedAgainAndTheFloorIsJournaled() throws Exception {
        FakeLedger ledger = new FakeLedger();
        kit = ledgerEntity(ledger);
        provision();
        java.util.List<MicroCertificate> answered = new java.util.ArrayList<>();
        talkEvery2s(ledger, 10, answered);
        long lastReservation = ledger.durableUntil;
        ledger.session = "session-2"; // recovered on another node after a crash
        var firstRead = new java.util.concurrent.CompletableFuture<java.util.OptionalLong>();
        ledger.next = firstRead;
        ledger.lookups.set(0);
        SensorId id = new SensorId(SENSOR);
        var entity = testKit.spawn(SensorEntities.create(id, PersistenceId.of("Sensor", id.toString()), card,
                settings(true), ledger));
        TestProbe<Verdict> probe = testKit.createTestProbe();
        entity.tell(new SensorMessages.Authenticate(answered.get(answered.size() - 1).encode(), probe.ref()));
        probe.expectNoMessage(Duration.ofMillis(300)); // stashed: the floor is not known yet
        firstRead.completeExceptionally(new IllegalStateException("read timed out"));
        probe.expectNoMessage(Duration.ofMillis(300)); // still stashed, asked again after the backoff (1 s)
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, probe.receiveMessage(Duration.ofSeconds(10)).reason());
        assertEquals(2, ledger.lookups.get());
        stopAsShardingDoes(entity);
        kit.restart();
        // the floor was journaled (as a release): the membership ended, the next recovery reads nothing
        assertEquals(lastReservation, kit.getState().replayReservedUntilEpochSecond());
        assertNull(kit.getState().replayLedgerSession());
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(answered.get(0)).reason());
        assertEquals(2, ledger.lookups.get());
    }

    @Test
    void aSessionTheLedgerDoesNotKnowIsTakenAsReservedUpToTheClockPlusAheadAndSkew() throws Exception {
        FakeLedger ledger = new FakeLedger();
        kit = ledgerEntity(ledger);
        provision();
        talkEvery2s(ledger, 10, new java.util.ArrayList<>());
        ledger.sessions.clear(); // e.g. restored from a backup into a new cluster
        ledger.session = "session-2";
        kit.restart();
        kit.runCommand(SensorMessages.GetStatus::new); // answered once the floor is set (commands wait for it)
        clock.advanceSeconds(10 + 120); // reservation-ahead and clock skew
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(auth()).reason());
        clock.advanceSeconds(1);
        assertTrue(authenticate(auth()).accepted());
    }

    @Test
    void aJoinedSensorStoppedGracefullyLeavesTheLedgerWithAnExactFloor() throws Exception {
        FakeLedger ledger = new FakeLedger();
        provision();
        SensorId id = new SensorId(SENSOR);
        var entity = testKit.spawn(SensorEntities.create(id, PersistenceId.of("Sensor", id.toString()), card,
                settings(true), ledger));
        java.util.List<MicroCertificate> answered = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) { // joins at +10 (see above)
            ledger.renew(clock.instant().getEpochSecond() + 10);
            MicroCertificate c = auth();
            assertTrue(authenticate(entity, c).accepted());
            answered.add(c);
            clock.advanceSeconds(2);
        }
        stopAsShardingDoes(entity);
        kit.restart();
        MicroCertificate last = answered.get(answered.size() - 1);
        assertNull(kit.getState().replayLedgerSession(), "the release ends the membership");
        assertEquals(last.timestamp(), kit.getState().replayReservedUntilEpochSecond());
        assertEquals(java.util.List.of(last.random()), kit.getState().replayRandomsAtReserved());
        for (MicroCertificate c : answered) {
            assertEquals(c == last ? VerdictReason.REPLAY : VerdictReason.REPLAY_WINDOW_RESET, authenticate(c).reason());
        }
        Verdict fresh = authenticate(auth()); // inside the ledger's reservation: refused after a crash
        assertTrue(fresh.accepted(), () -> "rejected: " + fresh.reason());
    }
}
