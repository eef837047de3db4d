package org.microcert.simulator.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * How fast this machine is right now, measured the same way before and after a benchmark's sweeps:
 * the hello-world baseline driven at one fixed rate, and the CPU time the baseline's server spent
 * per answered request. On a shared or virtual machine that cost moved by more than 2x within an
 * hour (docs/benchmarks.md), as much as most changes being measured; a run whose two readings differ
 * says so, so its early and late figures are not compared as if the machine were the same.
 * CPU per request at a fixed rate, not a peak rate: it needs no saturation (which would itself
 * disturb the run). Only the baseline's server counts: it does nothing but the probe's work, where
 * the client's CPU also holds its own collections and compilations of whatever ran before.
 */
public final class MachineProbe {

    /** The watched process whose CPU counts (ops/bin/bench watches the baseline under this name). */
    public static final String COUNTED = "hello";

    /** Beyond this change of either figure between the readings, the run's figures are flagged as not comparable. */
    public static final double DRIFT_LIMIT = 0.20;

    private MachineProbe() {}

    /**
     * One probe: the fixed rate, what was answered, its p99, the cores each watched process used,
     * the share of the machine's CPU time the hypervisor took (steal; NaN where not readable) and
     * this client's single-core SHA-256 speed right after ({@link #hashMegabytesPerSecond()}).
     */
    public record Reading(double rate, double answeredPerSecond, double p99Ms, long failures,
                          Map<String, Double> cores, double stealShare, double hashMegabytesPerSecond) {

        /** The baseline server's CPU microseconds per answered request; NaN if it was not watched or nothing was answered. */
        public double cpuMicrosPerRequest() {
            Double hello = cores.get(COUNTED);
            return hello == null || answeredPerSecond <= 0 ? Double.NaN : hello / answeredPerSecond * 1e6;
        }
    }

    /**
     * How fast one core hashes right now, in MB/s: SHA-256 over a 64 KiB buffer for {@code duration},
     * timed by the wall clock. CPU time per request does not see a core that is slower in wall time
     * (another guest on the host, a lower clock); this does, on the same fixed work every time.
     */
    public static double hashMegabytesPerSecond(java.time.Duration duration) {
        return hashMegabytesPerSecond(duration, System::nanoTime);
    }

    /** As above, on {@code nanoTime}'s clock (a test's clock proves the arithmetic). */
    static double hashMegabytesPerSecond(java.time.Duration duration, java.util.function.LongSupplier nanoTime) {
        java.security.MessageDigest sha;
        try {
            sha = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
        byte[] buffer = new byte[64 * 1024];
        long bytes = 0;
        long start = nanoTime.getAsLong();
        long end = start + duration.toNanos();
        long now;
        do {
            sha.update(buffer);
            buffer[0] = sha.digest()[0]; // chained: the work cannot be skipped
            bytes += buffer.length;
            now = nanoTime.getAsLong();
        } while (now < end);
        return bytes / 1e6 / ((now - start) / 1e9);
    }

    /** The relative change of single-core hash speed from {@code before} to {@code after} (-0.25: 25% slower); NaN without both. */
    public static double speedChange(Reading before, Reading after) {
        return relativeChange(before.hashMegabytesPerSecond(), after.hashMegabytesPerSecond());
    }

    /**
     * The relative change of CPU per request from {@code before} to {@code after} (0.25: the same
     * work cost 25% more CPU at the end, the machine was slower); NaN when either reading has no figure.
     */
    public static double change(Reading before, Reading after) {
        return relativeChange(before.cpuMicrosPerRequest(), after.cpuMicrosPerRequest());
    }

    /** {@code after / before - 1}; NaN unless both are above 0 (a missing figure, or nothing measured). */
    static double relativeChange(double before, double after) {
        return before > 0 && after > 0 ? after / before - 1 : Double.NaN;
    }

    /**
     * How the two figures moved between the readings, each flagged on its own: they do not fail
     * alike. The baseline's CPU per request also moves with its own JIT's warmth (read before the
     * sweeps it was up to 56% above the reading after them while the hash speed moved 3.6%,
     * docs/benchmarks.md); the hash speed is fixed work on a warm loop. Knowing which moved tells a
     * settling baseline from a slower machine. {@link Drift#drifted()} is still either: both measure
     * the same machine, and either moving leaves early and late figures not comparable.
     */
    public record Drift(double cpuChange, double hashChange) {

        /** The baseline's CPU per request moved more than {@link MachineProbe#DRIFT_LIMIT} either way. */
        public boolean cpuDrifted() {
            return beyondLimit(cpuChange);
        }

        /** One core's hash speed moved more than {@link MachineProbe#DRIFT_LIMIT} either way. */
        public boolean hashDrifted() {
            return beyondLimit(hashChange);
        }

        public boolean drifted() {
            return cpuDrifted() || hashDrifted();
        }

        private static boolean beyondLimit(double change) {
            return Math.abs(change) > DRIFT_LIMIT; // false for NaN: no figure is no drift
        }
    }

    public static Drift drift(Reading before, Reading after) {
        return new Drift(change(before, after), speedChange(before, after));
    }

    /** The machine's CPU time counters (Linux /proc/stat), for the steal share of an interval. */
    public record CpuTimes(long total, long steal) {

        private static final Path PROC_STAT = Path.of("/proc/stat");

        /** The counters now, or null where the OS does not offer them. */
        public static CpuTimes now() {
            try {
                return Files.isReadable(PROC_STAT) ? parse(Files.readAllLines(PROC_STAT).get(0)) : null;
            } catch (IOException | RuntimeException e) {
                return null; // no steal figure, nothing else lost
            }
        }

        /** Parses the aggregate "cpu" line: user nice system idle iowait irq softirq steal ... (in ticks). */
        static CpuTimes parse(String line) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 9 || !f[0].equals("cpu")) {
                throw new IllegalArgumentException("not the aggregate cpu line of /proc/stat");
            }
            long total = 0;
            for (int i = 1; i <= 8; i++) { // guest time is already inside user and nice
                total += Long.parseLong(f[i]);
            }
            return new CpuTimes(total, Long.parseLong(f[8]));
        }

        /** Steal's share of the machine's CPU time since {@code earlier}; NaN if either reading is missing. */
        public static OptionalDouble stealShare(CpuTimes earlier, CpuTimes later) {
            if (earlier == null || later == null || later.total <= earlier.total) {
                return OptionalDouble.empty();
            }
            return OptionalDouble.of((double) (later.steal - earlier.steal) / (later.total - earlier.total));
        }
    }
}
