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

    private static MachineProbe.Reading hashing(double megabytesPerSecond) {
        return new MachineProbe.Reading(1000, 1000, 2.0, 0, Map.of("hello", 0.15), Double.NaN, megabytesPerSecond);
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
    void aChangeBeyondTheLimitEitherWayIsDrift() {
        MachineProbe.Reading base = reading(1000, Map.of("hello", 0.15));
        MachineProbe.Reading slower = reading(1000, Map.of("hello", 0.2)); // +33%
        MachineProbe.Reading faster = reading(1000, Map.of("hello", 0.115)); // -23%
        MachineProbe.Reading similar = reading(1000, Map.of("hello", 0.165)); // +10%
        assertEquals(1 / 3.0, MachineProbe.change(base, slower), 1e-9);
        assertTrue(MachineProbe.drifted(base, slower));
        assertTrue(MachineProbe.drifted(base, faster));
        assertEquals(0.1, MachineProbe.change(base, similar), 1e-9);
        assertFalse(MachineProbe.drifted(base, similar));
        // the same CPU for twice the answers is half the cost per request
        assertEquals(-0.5, MachineProbe.change(base, reading(2000, Map.of("hello", 0.15))), 1e-9);
    }

    @Test
    void aCoreThatHashesSlowerIsDriftEvenAtTheSameCpuPerRequest() {
        // the same CPU time per request, but one core does a quarter less work per wall second
        assertEquals(-0.25, MachineProbe.speedChange(hashing(400), hashing(300)), 1e-9);
        assertEquals(0, MachineProbe.change(hashing(400), hashing(300)), 1e-9);
        assertTrue(MachineProbe.drifted(hashing(400), hashing(300)));
        assertFalse(MachineProbe.drifted(hashing(400), hashing(440)));
        assertTrue(Double.isNaN(MachineProbe.speedChange(hashing(0), hashing(300))));
    }

    @Test
    void hashSpeedIsMeasuredOnRealWork() {
        double mbs = MachineProbe.hashMegabytesPerSecond(java.time.Duration.ofMillis(200));
        // any core of this decade hashes SHA-256 at tens to thousands of MB/s
        assertTrue(mbs > 1 && mbs < 100_000, String.valueOf(mbs));
    }

    @Test
    void readingsWithoutAFigureGiveNoChangeAndNoDrift() {
        MachineProbe.Reading both = reading(1000, Map.of("hello", 0.1));
        MachineProbe.Reading unwatched = reading(1000, Map.of("client", 0.9));
        MachineProbe.Reading nothingAnswered = reading(0, Map.of("hello", 0.1));
        assertTrue(Double.isNaN(MachineProbe.change(both, unwatched)));
        assertFalse(MachineProbe.drifted(both, unwatched));
        assertTrue(Double.isNaN(MachineProbe.change(both, nothingAnswered)));
        assertFalse(MachineProbe.drifted(nothingAnswered, both));
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
