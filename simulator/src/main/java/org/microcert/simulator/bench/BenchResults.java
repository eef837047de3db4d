package org.microcert.simulator.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.microcert.simulator.report.RunReport;

/**
 * The benchmark's figures as they go into its JSON and onto the console, each section beside the
 * line that prints it, so that the two cannot drift apart.
 */
final class BenchResults {

    private BenchResults() {}

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** The baseline's and the node's authenticate sweeps, and their ratio when both ran. */
    static void sweeps(ObjectNode result, Sweep hello, Sweep auth, Duration p99Limit, PrintStream out) {
        if (hello != null) {
            result.set("helloWorld", hello.json());
            out.printf(Locale.ROOT, "hello-world baseline      %,10.0f requests/s sustained (p99 <= %d ms); peak answered %,.0f/s%n",
                    hello.maxRate(), p99Limit.toMillis(), hello.peakAnswered());
        }
        if (auth != null) {
            result.set("authenticate", auth.json());
        }
        if (auth != null && hello != null) {
            double ratio = hello.maxRate() == 0 ? 0 : auth.maxRate() / hello.maxRate();
            ObjectNode ratios = result.putObject("ratios");
            ratios.put("authenticateVsHelloWorld", round(ratio)).put("target", 0.5).put("met", ratio >= 0.5)
                    .put("peakAuthenticateVsPeakHelloWorld", hello.peakAnswered() == 0 ? 0
                            : round(auth.peakAnswered() / hello.peakAnswered()));
            result.put("clientHeadroom", "the same client reached " + round(hello.maxRate())
                    + " requests/s against the baseline, " + round(ratio == 0 ? 0 : 1 / ratio)
                    + "x the node's authenticate rate: the client is not what limits the node's figure"
                    + (ratio >= 0.9 ? " (CAUTION: ratio near 1, the client or the box may be the limit)" : ""));
            out.printf(Locale.ROOT, "authenticate (HTTP)       %,10.0f requests/s sustained -> %.1f%% of baseline (target >= 50%%); "
                    + "peak answered %,.0f/s -> %.1f%% of the baseline's peak%n", auth.maxRate(), 100 * ratio,
                    auth.peakAnswered(), hello.peakAnswered() == 0 ? 0 : 100 * auth.peakAnswered() / hello.peakAnswered());
        } else if (auth != null) {
            out.printf(Locale.ROOT, "authenticate (HTTP)       %,10.0f requests/s sustained (no baseline measured: no ratio); "
                    + "peak answered %,.0f/s%n", auth.maxRate(), auth.peakAnswered());
        }
    }

    /**
     * Authenticate at half the baseline's rate: the window with the median p99 is the figure; each
     * window and the baseline's window just before it are reported.
     */
    static void halfRate(ObjectNode result, double half, Duration halfWindow, List<RunReport> halfRuns,
                         List<RunReport> helloHalfRuns, Duration p99Limit, PrintStream out) {
        RunReport atHalf = StepRules.medianByP99(halfRuns);
        RunReport.Summary s = atHalf.summary();
        ObjectNode half50 = result.putObject("authenticateAtHalfHelloWorldRate");
        half50.put("rate", round(half)).put("answeredPerSecond", s.requestsPerSecond())
                .put("p50Ms", s.good().p50Ms()).put("p99Ms", s.good().p99Ms())
                .put("p999Ms", s.good().p999Ms()).put("failures", s.failures())
                .put("p99TargetMs", p99Limit.toMillis())
                .put("met", StepRules.halfMet(halfRuns, half, halfWindow) && s.good().p99Ms() <= p99Limit.toMillis())
                .put("windows", halfRuns.size()).put("figureIs", "the window with the median p99");
        ArrayNode windows = half50.putArray("eachWindow");
        for (int i = 0; i < halfRuns.size(); i++) {
            RunReport.Summary w = halfRuns.get(i).summary();
            windows.addObject().put("answeredPerSecond", w.requestsPerSecond())
                    .put("p50Ms", w.good().p50Ms()).put("p99Ms", w.good().p99Ms())
                    .put("p999Ms", w.good().p999Ms()).put("failures", w.failures())
                    .put("helloWorldJustBeforeP99Ms", helloHalfRuns.get(i).summary().all().p99Ms())
                    .put("helloWorldJustBeforeFailures", helloHalfRuns.get(i).summary().failures());
        }
        double helloP99 = StepRules.medianByAllP99(helloHalfRuns).summary().all().p99Ms();
        half50.put("helloWorldAtThatRateP99Ms", helloP99).put("baselineMissedP99Limit", helloP99 > p99Limit.toMillis());
        out.printf(Locale.ROOT, "authenticate at %,.0f/s   answered %,.0f/s, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms "
                        + "(median of %d windows; target p99 <= %d ms); the hello-world baseline at that rate, "
                        + "each window just before: p99 %.2f ms (median)%n", half, s.requestsPerSecond(),
                s.good().p50Ms(), s.good().p99Ms(), s.good().p999Ms(), halfRuns.size(), p99Limit.toMillis(), helloP99);
        if (helloP99 > p99Limit.toMillis()) {
            out.printf(Locale.ROOT, "  CAUTION: the baseline itself missed %d ms at that rate: the machine and this "
                    + "client, not only the node, set this p99%n", p99Limit.toMillis());
        }
    }

    /** The batch sweep's certificates per second, and per node core when the node was watched. */
    static void batch(ObjectNode result, Sweep sweep, int batchSize, PrintStream out) {
        double certsPerSecond = sweep.maxItemsPerSecond();
        ObjectNode batch = result.putObject("batch");
        batch.set("sweep", sweep.json());
        batch.put("batchSize", batchSize).put("certificatesPerSecond", round(certsPerSecond))
                .put("answeredCertificatesPerSecondAtThatStep", round(sweep.bestAnsweredItems()))
                .put("target", 100_000).put("met", certsPerSecond >= 100_000);
        // The sustained figure is the step's plateau rate (every request answered within the p99
        // limit); what was answered per second over that step includes its ramp, so it reads lower.
        out.printf(Locale.ROOT, "batch (%d per request)    %,10.0f certificates/s sustained at the plateau "
                        + "(target >= 100,000); %,.0f/s answered over that step with its ramp; best step %,.0f/s%n",
                batchSize, certsPerSecond, sweep.bestAnsweredItems(), sweep.peakItems());
        Double nodeCores = sweep.bestCores().get("node");
        if (nodeCores != null && nodeCores > 0) {
            // what the node did per core it actually got: on a shared machine it gets only part of it
            double perCore = sweep.bestAnsweredItems() / nodeCores;
            batch.put("nodeCoresAtMaxSustained", round(nodeCores)).put("answeredCertificatesPerNodeCore", round(perCore));
            out.printf(Locale.ROOT, "                          at that step the node used %.2f cores: %,.0f answered "
                    + "certificates/s per node core%n", nodeCores, perCore);
        }
    }
}
