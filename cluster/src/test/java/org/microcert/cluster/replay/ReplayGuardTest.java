package org.microcert.cluster.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The replay rules on their own: window memory, reservations ahead of traffic, the recovered floor. */
class ReplayGuardTest {

    static final long NOW = 1_800_000_000L;

    @Test
    void aPairIsAcceptedOnceAndReservationsRunAheadOfTraffic() {
        ReplayGuard g = new ReplayGuard(0, 120, 10, 100);
        assertEquals(new ReplayGuard.Reserve(NOW + 10), g.check(NOW, 1, 0, NOW));
        assertInstanceOf(ReplayGuard.Accept.class, g.check(NOW, 2, NOW + 10, NOW));
        assertEquals(ReplayGuard.Reason.REPLAY, ((ReplayGuard.Reject) g.check(NOW, 1, NOW + 10, NOW)).reason());
        assertEquals(new ReplayGuard.Reserve(NOW + 11 + 10), g.check(NOW + 11, 3, NOW + 10, NOW),
                "a fast sensor clock reserves from its own timestamp");
    }

    @Test
    void afterRecoveryNothingUpToTheReservationIsAccepted() {
        ReplayGuard g = new ReplayGuard(NOW + 10, 120, 10, 100);
        assertEquals(ReplayGuard.Reason.REPLAY_WINDOW_RESET, ((ReplayGuard.Reject) g.check(NOW + 10, 7, NOW + 10, NOW)).reason());
        assertEquals(new ReplayGuard.Reserve(NOW + 21), g.check(NOW + 11, 7, NOW + 10, NOW + 11));
    }

    @Test
    void aBusySensorsReservationIsRenewedByTheCertificateBeforeTheOneThatWouldPassIt() {
        ReplayGuard g = new ReplayGuard(0, 120, 30, 100);
        assertEquals(new ReplayGuard.Reserve(NOW + 30), g.check(NOW, 1, 0, NOW));
        // every 6 s: accepted as they come until the next one would pass NOW + 30
        for (int t = 6; t <= 24; t += 6) {
            assertInstanceOf(ReplayGuard.Accept.class, g.check(NOW + t, 1, NOW + 30, NOW + t), "at +" + t);
        }
        assertEquals(new ReplayGuard.Renew(NOW + 60), g.check(NOW + 30, 1, NOW + 30, NOW + 30));
        assertInstanceOf(ReplayGuard.Accept.class, g.check(NOW + 36, 1, NOW + 60, NOW + 36));
    }

    @Test
    void aSparseSensorAndAFirstCertificateAreNotRenewedEarly() {
        ReplayGuard sparse = new ReplayGuard(0, 120, 30, 100);
        assertEquals(new ReplayGuard.Reserve(NOW + 30), sparse.check(NOW, 1, 0, NOW));
        // a certificate every 16 s (more than ahead/2): renewing early would write more than it saves
        assertInstanceOf(ReplayGuard.Accept.class, sparse.check(NOW + 16, 1, NOW + 30, NOW + 16));
        assertEquals(new ReplayGuard.Reserve(NOW + 62), sparse.check(NOW + 32, 1, NOW + 30, NOW + 32));
        // after recovery the pace is unknown until two certificates were accepted
        ReplayGuard recovered = new ReplayGuard(NOW, 120, 30, 100);
        assertInstanceOf(ReplayGuard.Accept.class, recovered.check(NOW + 29, 1, NOW + 30, NOW + 29));
        assertEquals(new ReplayGuard.Renew(NOW + 60), recovered.check(NOW + 29 + 1, 2, NOW + 30, NOW + 30));
    }

    /**
     * The compact sorted arrays against the obvious model (a set of pairs, dropped once stale), over
     * random traffic with repeats, out-of-order timestamps, extreme randoms, forgets, bursts that hit
     * the limit and quiet spells that empty the window.
     */
    @Test
    void decisionsMatchASetOfPairsOverRandomTraffic() {
        java.util.Random rnd = new java.util.Random(20261126);
        for (int run = 0; run < 20; run++) {
            int max = 1 + rnd.nextInt(64);
            long skew = 1 + rnd.nextInt(30);
            ReplayGuard g = new ReplayGuard(NOW - 1000, skew, 10, max);
            java.util.Map<java.util.List<Long>, Long> model = new java.util.HashMap<>(); // pair -> timestamp
            long now = NOW;
            long reserved = NOW + 10;
            for (int i = 0; i < 20_000; i++) {
                if (rnd.nextInt(500) == 0) {
                    now += skew * 2; // quiet: everything goes stale
                } else if (rnd.nextInt(4) == 0) {
                    now++;
                }
                long t = now - rnd.nextInt((int) skew + 1) + rnd.nextInt(3);
                long[] randoms = {rnd.nextInt(8), Long.MIN_VALUE, Long.MAX_VALUE, rnd.nextLong()};
                long r = randoms[rnd.nextInt(randoms.length)];
                long oldest = now - skew;
                model.values().removeIf(ts -> ts < oldest);
                java.util.List<Long> pair = java.util.List.of(t, r);
                ReplayGuard.Decision d = g.check(t, r, reserved, now);
                String expected = model.containsKey(pair) ? "REPLAY" : model.size() >= max ? "RATE_LIMITED" : "ACCEPT";
                String actual = d instanceof ReplayGuard.Reject j ? j.reason().name() : "ACCEPT";
                assertEquals(expected, actual, "run " + run + " step " + i + " pair " + pair);
                if (expected.equals("ACCEPT")) {
                    model.put(pair, t);
                    if (rnd.nextInt(50) == 0) { // its reservation could not be persisted
                        g.forget(t, r);
                        model.remove(pair);
                    }
                }
                assertEquals(model.size(), g.tracked());
                reserved = Math.max(reserved, now + 10);
            }
        }
    }

    @Test
    void memoryIsBoundedAndForgetsWhatTheVerifierWouldCallStale() {
        ReplayGuard g = new ReplayGuard(0, 120, 10, 3);
        for (int r = 0; r < 3; r++) {
            g.check(NOW, r, NOW + 10, NOW);
        }
        assertEquals(ReplayGuard.Reason.RATE_LIMITED, ((ReplayGuard.Reject) g.check(NOW, 9, NOW + 10, NOW)).reason());
        assertEquals(3, g.tracked());
        g.check(NOW + 121, 9, NOW + 200, NOW + 121);
        assertEquals(1, g.tracked(), "pairs older than the skew window were dropped");
        g.forget(NOW + 121, 9);
        assertEquals(0, g.tracked());
    }

    @Test
    void afterAGracefulStopTheReleasedSecondRefusesExactlyItsListedRandoms() {
        ReplayGuard g = new ReplayGuard(NOW, new long[] {9, 5}, 120, 10, 100);
        assertEquals(ReplayGuard.Reason.REPLAY, ((ReplayGuard.Reject) g.check(NOW, 5, NOW, NOW)).reason());
        assertEquals(ReplayGuard.Reason.REPLAY, ((ReplayGuard.Reject) g.check(NOW, 9, NOW, NOW)).reason());
        assertEquals(ReplayGuard.Reason.REPLAY_WINDOW_RESET, ((ReplayGuard.Reject) g.check(NOW - 1, 6, NOW, NOW)).reason(),
                "seconds before the released one are refused whole");
        // a new pair of the released second waits for a reservation: the durable list does not name it
        assertEquals(new ReplayGuard.Reserve(NOW + 10), g.check(NOW, 6, NOW, NOW));
        assertEquals(ReplayGuard.Reason.REPLAY, ((ReplayGuard.Reject) g.check(NOW, 6, NOW + 10, NOW)).reason());
        // once reserved past that second, a crash refuses it whole, so no write is needed
        assertInstanceOf(ReplayGuard.Accept.class, g.check(NOW, 7, NOW + 10, NOW));
        assertArrayEquals(new long[] {5, 6, 7, 9}, g.randomsAtAcceptedUpTo(), "the next stop lists old and new");
        assertInstanceOf(ReplayGuard.Accept.class, g.check(NOW + 1, 1, NOW + 10, NOW + 1));
        assertArrayEquals(new long[] {1}, g.randomsAtAcceptedUpTo());
    }

    @Test
    void aStopListsTheRandomsOfTheNewestSecondOnlyWhenAllAreKnown() {
        ReplayGuard g = new ReplayGuard(0, 120, 10, 100);
        g.check(NOW - 1, 8, 0, NOW);
        g.check(NOW, Long.MAX_VALUE, NOW + 9, NOW);
        g.check(NOW, Long.MIN_VALUE, NOW + 9, NOW);
        g.check(NOW, 3, NOW + 9, NOW);
        assertArrayEquals(new long[] {Long.MIN_VALUE, 3, Long.MAX_VALUE}, g.randomsAtAcceptedUpTo());

        assertNull(new ReplayGuard(NOW, 120, 10, 100).randomsAtAcceptedUpTo(),
                "a floor recovered after a crash: that second's randoms are unknown");
        ReplayGuard busy = new ReplayGuard(0, 120, 10, 1_000);
        for (int r = 0; r <= ReplayGuard.MAX_RELEASED_RANDOMS; r++) {
            busy.check(NOW, r, NOW + 10, NOW);
        }
        assertNull(busy.randomsAtAcceptedUpTo(), "too many to journal: the second is refused whole");

        // The verifier refuses a timestamp this stale before the guard sees it; on its own the guard
        // must still not list a second of which it forgot a pair.
        ReplayGuard forgot = new ReplayGuard(0, 120, 10, 100);
        forgot.check(NOW, 1, NOW + 10, NOW);
        forgot.check(NOW, 2, NOW + 10, NOW + 121);
        assertNull(forgot.randomsAtAcceptedUpTo());
    }
}
