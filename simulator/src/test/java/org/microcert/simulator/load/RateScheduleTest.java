package org.microcert.simulator.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateScheduleTest {

    @Test
    void constantRateWithoutRampSpacesRequestsEvenly() {
        RateSchedule s = new RateSchedule(1_000, Duration.ZERO, Duration.ofSeconds(10));
        assertEquals(10_000, s.totalRequests());
        assertEquals(0, s.dueNanos(0));
        assertEquals(1_000_000, s.dueNanos(1));
        assertEquals(5_000_000_000L, s.dueNanos(5_000));
    }

    @Test
    void rampClimbsLinearlyThenHoldsTheRate() {
        RateSchedule s = new RateSchedule(100, Duration.ofSeconds(10), Duration.ofSeconds(20));
        // ramp carries rate * ramp / 2 = 500 requests, then 100/s for 10 s
        assertEquals(1_500, s.totalRequests());
        assertEquals(10_000_000_000L, s.dueNanos(500), 1_000);
        // half-way through the ramp a quarter of its requests are due: n = 100 * 25 / 20 = 125
        assertEquals(5_000_000_000L, s.dueNanos(125), 1_000);
        assertEquals(50, s.rateAt(5_000_000_000L), 1e-9);
        assertEquals(100, s.rateAt(15_000_000_000L), 1e-9);
        assertEquals(10_000_000, s.dueNanos(1_001) - s.dueNanos(1_000), 1_000);
    }

    @Test
    void dueTimesNeverGoBackwards() {
        RateSchedule s = new RateSchedule(3_333, Duration.ofMillis(1_500), Duration.ofSeconds(3));
        long prev = -1;
        for (long n = 0; n < s.totalRequests(); n++) {
            long t = s.dueNanos(n);
            assertTrue(t >= prev, "request " + n);
            prev = t;
        }
        assertTrue(prev < 3_000_000_000L);
    }

    @Test
    void nonsensicalSchedulesAreRefusedWithTheReason() {
        assertThrows(IllegalArgumentException.class, () -> new RateSchedule(0, Duration.ZERO, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new RateSchedule(Double.NaN, Duration.ZERO, Duration.ofSeconds(1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RateSchedule(10, Duration.ofSeconds(5), Duration.ofSeconds(2)));
        assertTrue(e.getMessage().contains("ramp"));
    }
}
