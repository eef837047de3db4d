package org.microcert.simulator.bench;

import java.util.Locale;
import java.util.function.DoubleConsumer;

/**
 * The search of one sweep for the highest rate a target sustains, apart from how a step is
 * measured ({@link Step}), so the search itself can be tested with made-up targets.
 */
public final class Climb {

    /** Bisections after a sweep's climb: with steps 1.25 apart, two leave the figure within 6% of the limit. */
    static final int REFINEMENTS = 2;

    /** Lowest step rate a sweep tries when even its first step is not sustained. */
    private static final double MIN_RATE = 10;

    private Climb() {}

    /** One step of a sweep: whether it was sustained, or null when the sweep must stop before it. */
    @FunctionalInterface
    public interface Step {
        Boolean run(double rate, String label) throws InterruptedException;
    }

    /**
     * Climbs by {@code factor} from {@code start} until two rates in a row have
     * failed, each twice (one GC pause or compaction on a shared box fails a 5 s step: a failure is
     * confirmed before it counts, and the next rate is still tried), halving instead when even the
     * first step fails; climbed back to just below the rate that failed, that rate gets one more
     * try, now warm (a first step can fail for a cold JIT alone: 500/s failed twice at 0.91 node
     * cores, then 488/s kept up at 0.46, docs/benchmarks.md), and a second failure there is the limit;
     * then narrows the gap
     * between the best sustained rate and the failed one by {@code refinements} geometric
     * bisections, so the figure is not an artefact of the step size (with 1.25 the true limit could
     * be up to 25% above the best step). Returns the best sustained rate, 0 when none was.
     */
    public static double search(double start, double factor, int maxSteps, int refinements, Step step,
                                DoubleConsumer sustained) throws InterruptedException {
        double rate = start;
        double best = 0;
        double failed = 0;
        double pending = 0; // a rate that failed twice: the limit, unless the next rate is sustained
        boolean retried = false;
        boolean halved = false; // failed was set by a halving, and not tried again yet
        double retrying = 0;    // a halving's failed rate, being tried again after the climb back
        for (int i = 0; i < maxSteps; i++) {
            Boolean ok = step.run(rate, String.format(Locale.ROOT, "step %2d", i + 1));
            if (ok == null) {
                break;
            }
            if (ok) {
                retried = false;
                pending = 0;
                best = rate;
                sustained.accept(rate);
                if (rate == retrying) {
                    failed = 0; // kept up warm: the climb goes on above it
                }
                rate *= factor;
                if (failed > 0 && rate >= failed) {
                    if (!halved) {
                        break; // the bisections take it from here
                    }
                    halved = false;
                    retrying = failed; // kept up just below it: once more, warm (failed stays the
                    rate = failed;     // bound for the bisections until it has passed)
                }
            } else if (!retried) {
                retried = true;
            } else if (best == 0 && rate / 2 >= MIN_RATE) {
                retried = false;
                failed = rate;
                halved = true;
                rate /= 2; // the first step was already too fast: look below it
            } else if (rate == retrying) {
                break; // failed warm too: the limit
            } else if (pending == 0 && best > 0 && !(failed > 0 && rate * factor >= failed)) {
                // One noisy pair of steps on a shared machine ended a baseline's sweep at a third of
                // its capacity (docs/benchmarks.md): a sweep ends only at two failed rates in a row.
                pending = rate;
                retried = false;
                rate *= factor;
            } else {
                failed = pending > 0 ? pending : rate;
                break;
            }
        }
        if (pending > 0 && (failed == 0 || pending < failed)) {
            failed = pending; // the steps ran out (or could not be run) just after a failed rate
        }
        for (int k = 1; k <= refinements && best > 0 && failed > best; k++) {
            double mid = Math.sqrt(best * failed);
            String label = "refine " + k;
            Boolean ok = step.run(mid, label);
            if (Boolean.FALSE.equals(ok)) {
                ok = step.run(mid, label); // confirmed like any other failure
            }
            if (ok == null) {
                break;
            }
            if (ok) {
                best = mid;
                sustained.accept(mid);
            } else {
                failed = mid;
            }
        }
        return best;
    }
}
