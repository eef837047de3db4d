package org.microcert.simulator.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.microcert.simulator.report.RunReport;

/** When a measured step or window counts as kept up, and which of several windows is the figure. */
public final class StepRules {

    /** Measurement windows at half the baseline's rate; the one with the median p99 is the figure. */
    public static final int HALF_RATE_WINDOWS = 3;

    private StepRules() {}

    /** Every window kept up without failures: the median only picks the p99 figure. */
    static boolean halfMet(List<RunReport> windows, double rate, Duration window) {
        return windows.stream().allMatch(w -> w.passed() && w.summary().failures() == 0 && keptUp(w, rate, window));
    }

    /**
     * Answered at least 95% of what the schedule sent: its 1 s ramp sends half a second's worth less
     * than {@code rate} over {@code length}, so a center that answered everything reads about
     * {@code rate * (1 - 0.5 / seconds)}, a little less as the last answers' latency counts in the
     * time (compared with {@code rate} itself, 10 s windows that kept up read 0.9499 of it and never passed).
     */
    static boolean keptUp(RunReport r, double rate, Duration length) {
        double expected = r.summary().requests() == 0 ? rate : rate * (1 - 500.0 / length.toMillis());
        return r.summary().requestsPerSecond() >= 0.95 * expected;
    }

    /** The run whose good-traffic p99 is the median (the upper one of an even count). */
    static RunReport medianByP99(List<RunReport> runs) {
        return median(runs, r -> r.summary().good().p99Ms());
    }

    /** As {@link #medianByP99} by every answer's p99: the baseline's answers are not judged good or bad. */
    static RunReport medianByAllP99(List<RunReport> runs) {
        return median(runs, r -> r.summary().all().p99Ms());
    }

    private static RunReport median(List<RunReport> runs, ToDoubleFunction<RunReport> p99) {
        List<RunReport> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingDouble(p99));
        return sorted.get(sorted.size() / 2);
    }
}
