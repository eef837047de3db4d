package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.replay.ReplayGuard;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.CertificateJudge.Reservation;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.LedgerFloor;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SensorId;
import org.slf4j.LoggerFactory;

/** The replay protection of one incarnation in journal terms: which reservation to write, the release, the floor. */
class SensorReplayTest {

    static final long T = 1_800_000_000L;
    static final SensorId ID = new SensorId(0x7300L);
    // reservation-ahead 10 s, clock skew 120 s
    static final SensorSettings SETTINGS = new SensorSettings(Duration.ofSeconds(120), Duration.ofSeconds(10), 16,
            true, 100, 2, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(2),
            Clock.fixed(Instant.ofEpochSecond(T), ZoneOffset.UTC));

    static ActorTestKit testKit;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create("SensorReplayTest");
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    /** An ACTIVE sensor whose journal reserved up to {@code reservedUntil}. */
    static SensorRecord active(long reservedUntil) {
        SealedSeed sealed = new SealedSeed(ID, 1, 1, CipherSuite.AES128, 2026, new byte[12], new byte[48]);
        return SensorRecord.empty(ID).apply(new SensorEvent.Provisioned(sealed, "digest", Instant.ofEpochSecond(T), "a"))
                .apply(new SensorEvent.ReplayReservationExtended(reservedUntil));
    }

    SensorReplay replay(ReplayLedger ledger, SensorRecord state) {
        SensorReplay r = new SensorReplay(ID.toString(), SETTINGS, ledger, Metrics.get(testKit.system()),
                LoggerFactory.getLogger(SensorReplayTest.class));
        r.recovered(state, testKit.<Command>createTestProbe().ref());
        return r;
    }

    @Test
    void withoutALedgerASensorReservesOnItsOwn() {
        SensorRecord state = active(T + 10);
        SensorReplay r = replay(ReplayLedger.NONE, state);
        assertTrue(r.ready());
        assertEquals(T + 10, r.guard().floor(), "recovered: nothing up to the durable reservation");
        assertEquals(T + 10, r.reservedUntil(state));
        assertEquals(new SensorEvent.ReplayReservationExtended(T + 25),
                r.reservation(state, T + 15, new Reservation(T + 25, false, true)));
    }

    @Test
    void aSensorHeardAgainJoinsTheNodesSessionWhenItCoversTheTimestamp() {
        EntityLedgerTest.FakeLedger ledger = new EntityLedgerTest.FakeLedger();
        ledger.renew(T + 30);
        SensorRecord state = active(T);
        SensorReplay r = replay(ledger, state);
        assertEquals(new SensorEvent.ReplayLedgerJoined("session-1", T),
                r.reservation(state, T + 20, new Reservation(T + 30, true, true)));
        // heard once in this incarnation: a join would cost a release at each passivation on top
        assertEquals(new SensorEvent.ReplayReservationExtended(T + 30),
                r.reservation(state, T + 20, new Reservation(T + 30, true, false)));
        // beyond the session's durable reservation: the session cannot cover it
        assertEquals(new SensorEvent.ReplayReservationExtended(T + 41),
                r.reservation(state, T + 31, new Reservation(T + 41, true, true)));
        SensorRecord joined = state.apply(new SensorEvent.ReplayLedgerJoined("session-1", T));
        assertEquals(T + 30, r.reservedUntil(joined), "a member accepts up to the session's reservation");
        ledger.session = "session-2"; // the sensor's session is another node's (this one restarted)
        assertEquals(T, r.reservedUntil(joined));
    }

    @Test
    void aGracefulStopReleasesDownToWhatWasAcceptedOnlyWhileTheReservationIsAhead() {
        SensorRecord state = active(T + 10);
        assertNull(replay(ReplayLedger.NONE, state).release(state, T), "nothing accepted beyond the floor: nothing to release");
        SensorReplay r = replay(ReplayLedger.NONE, active(T - 5)); // then reserved up to T + 10 (state)
        assertTrue(r.guard().check(T + 1, 7, T + 10, T) instanceof ReplayGuard.Accept);
        assertEquals(new SensorEvent.ReplayReservationReleased(T + 1, List.of(7L)), r.release(state, T + 1));
        assertNull(r.release(state, T + 11), "the reservation has passed: a stop writes nothing");
        SensorRecord revoked = state.apply(new SensorEvent.Revoked("stolen", Instant.ofEpochSecond(T), "a"));
        assertNull(r.release(revoked, T + 1), "a revoked sensor accepts nothing again");
    }

    @Test
    void aJoinedSensorWaitsForItsSessionsReservationAndJournalsItAsItsFloor() {
        EntityLedgerTest.FakeLedger ledger = new EntityLedgerTest.FakeLedger();
        ledger.sessions.put("crashed", T + 40);
        SensorRecord state = active(T + 10).apply(new SensorEvent.ReplayLedgerJoined("crashed", T + 10));
        SensorReplay r = new SensorReplay(ID.toString(), SETTINGS, ledger, Metrics.get(testKit.system()),
                LoggerFactory.getLogger(SensorReplayTest.class));
        TestProbe<Command> self = testKit.createTestProbe();
        r.recovered(state, self.ref());
        assertFalse(r.ready(), "no floor yet: commands wait");
        LedgerFloor answer = (LedgerFloor) self.receiveMessage();
        assertEquals(new LedgerFloor(OptionalLong.of(T + 40), false), answer);
        assertEquals(new SensorEvent.ReplayReservationReleased(T + 40, null), r.floorFound(state, answer.floor(), T));
        assertTrue(r.ready());
        assertEquals(T + 40, r.guard().floor());
    }

    @Test
    void aSessionTheLedgerDoesNotKnowIsTakenAsReservedUpToTheClockPlusAheadAndSkew() {
        SensorRecord state = active(T + 10).apply(new SensorEvent.ReplayLedgerJoined("gone", T + 10));
        SensorReplay r = replay(new EntityLedgerTest.FakeLedger(), state);
        assertEquals(new SensorEvent.ReplayReservationReleased(T + 5 + 10 + 120, null),
                r.floorFound(state, OptionalLong.empty(), T + 5));
    }
}
