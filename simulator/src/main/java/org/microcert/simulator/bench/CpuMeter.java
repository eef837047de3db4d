package org.microcert.simulator.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The CPU a few processes on this machine used over an interval, in cores (CPU seconds per wall
 * second), from the operating system's per-process CPU time ({@link ProcessHandle.Info}). On one
 * shared machine a throughput figure says little without it: it tells how much of the machine the
 * node actually got, and so what the same node would do per core elsewhere.
 */
public final class CpuMeter {

    /** The name this client's own process is reported under. */
    public static final String CLIENT = "client";

    private final Map<String, ProcessHandle> processes = new LinkedHashMap<>();

    /**
     * Watches the given processes (name to pid) and this one.
     *
     * @throws IllegalArgumentException if a pid is not a running process whose CPU time can be read
     */
    public CpuMeter(Map<String, Long> pids) {
        for (Map.Entry<String, Long> e : pids.entrySet()) {
            ProcessHandle h = ProcessHandle.of(e.getValue()).filter(p -> p.info().totalCpuDuration().isPresent())
                    .orElseThrow(() -> new IllegalArgumentException(e.getKey() + "=" + e.getValue()
                            + ": no running process with that pid whose CPU time this user can read"));
            processes.put(e.getKey(), h);
        }
        processes.putIfAbsent(CLIENT, ProcessHandle.current());
    }

    /** CPU times now; {@link Snapshot#coresSince} turns two of them into cores. */
    public Snapshot snapshot() {
        Map<String, Duration> cpu = new LinkedHashMap<>();
        processes.forEach((name, h) -> h.info().totalCpuDuration().ifPresent(d -> cpu.put(name, d)));
        return new Snapshot(System.nanoTime(), cpu);
    }

    /** Per-process CPU time at one instant. */
    public record Snapshot(long nanoTime, Map<String, Duration> cpu) {

        /**
         * Cores each process used from {@code earlier} to this snapshot; a process that ended in
         * between (or whose time could not be read) is left out.
         */
        public Map<String, Double> coresSince(Snapshot earlier) {
            Map<String, Double> cores = new LinkedHashMap<>();
            double wall = nanoTime - earlier.nanoTime;
            if (wall <= 0) {
                return cores;
            }
            cpu.forEach((name, d) -> Optional.ofNullable(earlier.cpu.get(name))
                    .ifPresent(before -> cores.put(name, d.minus(before).toNanos() / wall)));
            return cores;
        }
    }
}
