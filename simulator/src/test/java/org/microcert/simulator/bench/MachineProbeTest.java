package org.microcert.simulator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MachineProbeTest {

    private static MachineProbe.Reading reading(double answered, Map<String, Double> cores) {
        return new MachineProbe.Reading(1000, answered, 2.0, 0, cores, Double.NaN, 500);
    }

    /** A reading of the baseline's CPU per request ({@code micros} at 1,000/s) and of the hash speed. */
    private static MachineProbe.Reading at(double micros, double megabytesPerSecond) {
        return new MachineProbe.Reading(1000, 1000, 2.0, 0, Map.of("hello", micros / 1000), Double.NaN, megabytesPerSecond);
    }

    @Test
    void cpuPerRequestIsTheBaselineServersAlone() {
        // the client's and the node's CPU hold work of their own: only the baseline's counts
        MachineProbe.Reading r = reading(1000, Map.of("client", 0.9, "hello", 0.15, "node", 0.5));
        assertEquals(150, r.cpuMicrosPerRequest(), 1e-9); // 0.15 cores / 1,000 per second
        assertTrue(Double.isNaN(reading(1000, Map.of("client", 0.2)).cpuMicrosPerRequest()));
        assertTrue(Double.isNaN(reading(0, Map.of("hello", 0.2)).cpuMicrosPerRequest()));
    }

    @Test
    void theCpuFigureMovingBeyondTheLimitEitherWayIsFlaggedAsCpuDrift() {
        for (double after : new double[] {500, 300}) { // +25%, -25%
            MachineProbe.Drift d = MachineProbe.drift(at(400, 500), at(after, 500));
            assertTrue(d.cpuDrifted(), d.toString());
            assertFalse(d.hashDrifted(), d.toString());
            assertTrue(d.drifted(), d.toString());
        }
        for (double after : new double[] {440, 360}) { // +10%, -10%
            MachineProbe.Drift d = MachineProbe.drift(at(400, 500), at(after, 500));
            assertFalse(d.cpuDrifted() || d.hashDrifted() || d.drifted(), d.toString());
        }
        assertEquals(0.25, MachineProbe.drift(at(400, 500), at(500, 500)).cpuChange(), 1e-9);
        // the same CPU for twice the answers is half the cost per request
        assertEquals(-0.5, MachineProbe.change(reading(1000, Map.of("hello", 0.15)), reading(2000, Map.of("hello", 0.15))), 1e-9);
    }

    @Test
    void theHashSpeedMovingBeyondTheLimitEitherWayIsFlaggedAsHashDrift() {
        // the same CPU time per request, but one core does a quarter more or less work per wall second
        for (double after : new double[] {625, 375}) { // +25%, -25%
            MachineProbe.Drift d = MachineProbe.drift(at(400, 500), at(400, after));
            assertTrue(d.hashDrifted(), d.toString());
            assertFalse(d.cpuDrifted(), d.toString());
            assertTrue(d.drifted(), d.toString());
        }
        for (double after : new double[] {550, 450}) { // +10%, -10%
            MachineProbe.Drift d = MachineProbe.drift(at(400, 500), at(400, after));
            assertFalse(d.cpuDrifted() || d.hashDrifted() || d.drifted(), d.toString());
        }
        assertEquals(-0.25, MachineProbe.drift(at(400, 500), at(400, 375)).hashChange(), 1e-9);
    }

    @Test
    void bothFiguresMovingAreBothFlagged() {
        MachineProbe.Drift d = MachineProbe.drift(at(400, 500), at(500, 375));
        assertTrue(d.cpuDrifted() && d.hashDrifted() && d.drifted(), d.toString());
    }

    @Test
    void aMissingOrZeroFigureIsNoChangeAndNoDrift() {
        MachineProbe.Reading both = reading(1000, Map.of("hello", 0.1));
        MachineProbe.Reading unwatched = reading(1000, Map.of("client", 0.9)); // CPU figure NaN
        MachineProbe.Reading nothingAnswered = reading(0, Map.of("hello", 0.1)); // CPU figure NaN
        for (MachineProbe.Drift d : new MachineProbe.Drift[] {
                MachineProbe.drift(both, unwatched), MachineProbe.drift(nothingAnswered, both),
                MachineProbe.drift(at(0, 500), at(400, 500)), // no CPU used at all: no figure, not -100%
                MachineProbe.drift(at(400, 0), at(400, 500)), // no hash speed
                MachineProbe.drift(at(400, Double.NaN), at(400, 500))}) {
            assertFalse(d.cpuDrifted() || d.hashDrifted() || d.drifted(), d.toString());
        }
        assertTrue(Double.isNaN(MachineProbe.drift(both, unwatched).cpuChange()));
        assertTrue(Double.isNaN(MachineProbe.drift(at(400, 0), at(400, 500)).hashChange()));
        // one figure missing does not hide the other's drift
        MachineProbe.Drift d = MachineProbe.drift(at(400, Double.NaN), at(500, 500));
        assertTrue(d.cpuDrifted() && !d.hashDrifted() && d.drifted(), d.toString());
    }

    @Test
    void hashSpeedIsTheBytesHashedOverTheTimeTheyTook() {
        // a clock that moves 1 ms per reading: 10 rounds of 64 KiB fit in 10 ms, then the loop ends
        long[] now = {5_000_000};
        double mbs = MachineProbe.hashMegabytesPerSecond(java.time.Duration.ofMillis(10), () -> now[0] += 1_000_000);
        assertEquals(10 * 65_536 / 1e6 / 0.010, mbs, 1e-9);
        // a clock that jumps past the end at once: one round, over the time that really passed (2 ms)
        int[] readings = {0};
        double one = MachineProbe.hashMegabytesPerSecond(java.time.Duration.ofMillis(1), () -> readings[0]++ == 0 ? 0 : 2_000_000);
        assertEquals(65_536 / 1e6 / 0.002, one, 1e-9);
    }

    @Test
    void stealIsItsShareOfTheMachinesTicksInTheInterval() {
        MachineProbe.CpuTimes a = MachineProbe.CpuTimes.parse("cpu  100 10 50 800 20 0 10 10 0 0");
        MachineProbe.CpuTimes b = MachineProbe.CpuTimes.parse("cpu  150 10 70 860 20 0 10 40 5 0");
        assertEquals(1000, a.total());
        assertEquals(10, a.steal());
        assertEquals(30 / 160.0, MachineProbe.CpuTimes.stealShare(a, b).getAsDouble(), 1e-12);
        assertTrue(MachineProbe.CpuTimes.stealShare(b, a).isEmpty());
        assertTrue(MachineProbe.CpuTimes.stealShare(null, b).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> MachineProbe.CpuTimes.parse("cpu0 1 2 3 4 5 6 7 8"));
        assertThrows(IllegalArgumentException.class, () -> MachineProbe.CpuTimes.parse("cpu 1 2 3"));
    }

    @Test
    void thisMachinesCountersAreReadWhereTheOsHasThem() {
        MachineProbe.CpuTimes now = MachineProbe.CpuTimes.now();
        if (java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/stat"))) {
            assertTrue(now != null && now.total() > 0 && now.steal() >= 0 && now.steal() <= now.total(), String.valueOf(now));
        } else {
            assertEquals(null, now);
        }
    }
}
