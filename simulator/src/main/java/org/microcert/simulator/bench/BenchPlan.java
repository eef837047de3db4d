package org.microcert.simulator.bench;

import java.time.Duration;
import java.util.List;

/**
 * What one {@code microcert-sim bench} measures and how: the options, checked by the CLI, as one
 * value, so that the benchmark's pieces take what they need without knowing the command line.
 *
 * @param sweeps values of {@link #SWEEPS}, those to run
 */
public record BenchPlan(double startRate, double stepFactor, Duration stepDuration, Duration p99Limit, int batchSize,
                        Duration batchP99Limit, Duration warmup, Duration wakeSettle, int maxSteps, List<String> sweeps,
                        double probeRate, Duration probeDuration, Duration probeWarmup, int connections,
                        Duration timeout, int sensors, String suite) {

    /** The values of --sweeps, in the order a full run measures them. */
    public static final List<String> SWEEPS = List.of("baseline", "authenticate", "half-rate", "batch");

    /**
     * Longest step, and longest prebuild of one: a prebuilt certificate is then at most 60 s old when
     * sent, half the center's default 120 s skew window.
     */
    public static final Duration MAX_AGE = Duration.ofSeconds(30);

    /** At most this many certificates are prebuilt for one batch step (about 50 bytes each in memory). */
    static final long MAX_PREBUILT_CERTIFICATES = 4_000_000;

    /** Most certificates the node takes in one batch request (docs/http-api.md, BATCH_TOO_LARGE). */
    public static final int MAX_BATCH = 1_000;

    public BenchPlan {
        sweeps = List.copyOf(sweeps);
    }

    boolean runs(String sweep) {
        return sweeps.contains(sweep);
    }

    boolean probing() {
        return probeRate > 0;
    }
}
