package org.microcert.simulator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuMeterTest {

    private static Duration ownCpu() {
        return ProcessHandle.current().info().totalCpuDuration().orElseThrow();
    }

    @Test
    void aProcessThatWorksIsSeenUsingCpuUnderEachOfItsNames() {
        long self = ProcessHandle.current().pid();
        CpuMeter meter = new CpuMeter(Map.of("node", self));
        CpuMeter.Snapshot before = meter.snapshot();
        Duration start = ownCpu();
        long spin = 0;
        // a second of CPU: the OS counts in 10 ms ticks, which the two readings below may straddle
        while (ownCpu().minus(start).compareTo(Duration.ofSeconds(1)) < 0) {
            spin += Long.numberOfTrailingZeros(spin + System.nanoTime()); // work the JIT cannot drop
        }
        Map<String, Double> cores = meter.snapshot().coresSince(before);
        assertEquals(java.util.Set.of("node", CpuMeter.CLIENT), cores.keySet(), cores + " " + spin);
        assertTrue(cores.get("node") > 0, cores.toString());
        assertEquals(cores.get("node"), cores.get(CpuMeter.CLIENT), 0.05, cores.toString()); // the same process
    }

    @Test
    void aPidThatIsNoRunningProcessIsRefusedByName() {
        long gone = ProcessHandle.allProcesses().mapToLong(ProcessHandle::pid).max().orElse(1) + 100_000;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CpuMeter(Map.of("cassandra", gone)));
        assertTrue(e.getMessage().startsWith("cassandra=" + gone + ": no running process"), e.getMessage());
    }
}
