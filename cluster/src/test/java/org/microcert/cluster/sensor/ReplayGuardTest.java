package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

/** The replay rules on their own: window memory, reservations ahead of traffic, the recovered floor. */
class ReplayGuardTest {

    static final long NOW = 1_800_000_000L;

    @Test
    void aPairIsAcceptedOnceAndReservationsRunAheadOfTraffic() {
        ReplayGuard g = new ReplayGuard(0, 120, 10, 100);
        assertEquals(new ReplayGuard.Reserve(NOW + 10), g.check(NOW, 1, 0, NOW));
        assertInstanceOf(ReplayGuard.Accept.class, g.check(NOW, 2, NOW + 10, NOW));
        assertEquals("REPLAY", ((ReplayGuard.Reject) g.check(NOW, 1, NOW + 10, NOW)).reason());
        assertEquals(new ReplayGuard.Reserve(NOW + 11 + 10), g.check(NOW + 11, 3, NOW + 10, NOW),
                "a fast sensor clock reserves from its own timestamp");
    }

    @Test
    void afterRecoveryNothingUpToTheReservationIsAccepted() {
        ReplayGuard g = new ReplayGuard(NOW + 10, 120, 10, 100);
        assertEquals("REPLAY_WINDOW_RESET", ((ReplayGuard.Reject) g.check(NOW + 10, 7, NOW + 10, NOW)).reason());
        assertEquals(new ReplayGuard.Reserve(NOW + 21), g.check(NOW + 11, 7, NOW + 10, NOW + 11));
    }

    @Test
    void memoryIsBoundedAndForgetsWhatTheVerifierWouldCallStale() {
        ReplayGuard g = new ReplayGuard(0, 120, 10, 3);
        for (int r = 0; r < 3; r++) {
            g.check(NOW, r, NOW + 10, NOW);
        }
        assertEquals("RATE_LIMITED", ((ReplayGuard.Reject) g.check(NOW, 9, NOW + 10, NOW)).reason());
        assertEquals(3, g.tracked());
        g.check(NOW + 121, 9, NOW + 200, NOW + 121);
        assertEquals(1, g.tracked(), "pairs older than the skew window were dropped");
        g.forget(NOW + 121, 9);
        assertEquals(0, g.tracked());
    }
}
