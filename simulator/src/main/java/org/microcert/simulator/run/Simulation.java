package org.microcert.simulator.run;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.microcert.simulator.load.LoadMetrics;
import org.microcert.simulator.load.OpenLoopDriver;
import org.microcert.simulator.load.Operation;
import org.microcert.simulator.load.RateSchedule;
import org.microcert.simulator.load.Timeline;
import org.microcert.simulator.report.IntervalSample;
import org.microcert.simulator.report.LatencySummary;
import org.microcert.simulator.report.OutcomeLedger;
import org.microcert.simulator.report.RunReport;
import org.microcert.simulator.traffic.TrafficKind;

/**
 * One timed run: drives the schedule, samples the timeline every interval (printing a progress
 * line), and assembles the {@link RunReport}. Provisioning happens before (fleet.FleetLoader).
 */
public final class Simulation {

    /** The pass/fail limits of a run. */
    public record Limits(double maxFailureRatio, Duration drain) {}

    private final RateSchedule schedule;
    private final int connections;
    private final Limits limits;
    private final Executor completions;
    private final PrintStream console;
    private final Duration progressInterval;
    private volatile java.util.function.Consumer<IntervalSample> onSample = s -> { };

    public Simulation(RateSchedule schedule, int connections, Limits limits, Executor completions,
                      PrintStream console, Duration progressInterval) {
        this.schedule = schedule;
        this.connections = connections;
        this.limits = limits;
        this.completions = completions;
        this.console = console;
        this.progressInterval = progressInterval;
    }

    /** Also hands every timeline sample to {@code listener} (on the sampler's thread), e.g. a drill. */
    public Simulation onSample(java.util.function.Consumer<IntervalSample> listener) {
        this.onSample = listener;
        return this;
    }

    /** Runs the schedule to its end (or until {@link OpenLoopDriver#stop()} from a shutdown hook). */
    public RunReport run(Operation.Source source, RunReport.Settings settings, RunReport.Provisioning provisioning,
                         RunReport.Wake wake, java.util.function.Consumer<OpenLoopDriver> onStart) throws InterruptedException {
        LoadMetrics metrics = new LoadMetrics();
        OpenLoopDriver driver = new OpenLoopDriver(schedule, source, connections, metrics, completions, System::nanoTime);
        Timeline timeline = new Timeline(metrics, driver, schedule);
        Instant started = Instant.now();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "simulator-sampler");
            t.setDaemon(true);
            return t;
        });
        onStart.accept(driver);
        int unanswered;
        long startNanos;
        try {
            // the driver fixes its start inside run(); the sampler only reads after the first interval
            sampler.scheduleAtFixedRate(() -> progress(timeline.sample(System.nanoTime())),
                    progressInterval.toNanos(), progressInterval.toNanos(), TimeUnit.NANOSECONDS);
            unanswered = driver.run(limits.drain().toNanos());
        } finally {
            sampler.shutdown();
            sampler.awaitTermination(5, TimeUnit.SECONDS);
        }
        startNanos = driver.startNanos();
        long end = System.nanoTime();
        progress(timeline.sample(end));
        double elapsed = Math.round((end - startNanos) / 1e7) / 100.0;
        List<OutcomeLedger.KindOutcome> outcomes = metrics.ledger().snapshot();
        long items = outcomes.stream().mapToLong(OutcomeLedger.KindOutcome::items).sum();
        long wrong = outcomes.stream().mapToLong(OutcomeLedger.KindOutcome::wrong).sum();
        long failures = outcomes.stream().mapToLong(OutcomeLedger.KindOutcome::failed).sum();
        Map<String, LatencySummary> byKind = new LinkedHashMap<>();
        timeline.latencyByKind().forEach((k, v) -> byKind.put(k.label(), v));
        RunReport.Summary summary = new RunReport.Summary(elapsed, metrics.completed(), items,
                round(metrics.completed() / elapsed), round(items / elapsed), wrong, failures, unanswered,
                timeline.latencyAll(), timeline.latencyOf(List.of(TrafficKind.goodKinds())), timeline.sendLag());
        List<String> problems = problems(outcomes, items, failures, unanswered, limits);
        if (driver.overflowed()) {
            problems.add(0, String.format(Locale.ROOT, "stopped after %.1f s with %,d requests waiting for a connection: "
                    + "the center (or --connections) cannot keep up with --rate", elapsed, OpenLoopDriver.MAX_WAITING));
        }
        if (wake != null && wake.notAccepted() > 0) {
            // before the drive, but the same rule: a good certificate rejected fails the run, and so
            // does a sensor the center never answered for
            long noVerdict = wake.notAccepted() - wake.rejected();
            if (wake.rejected() > 0) {
                problems.add(String.format(Locale.ROOT, "the fleet wake: %,d fresh certificate(s) of active sensors <REJECTED>",
                        wake.rejected()));
            }
            if (noVerdict > 0) {
                // a round gives up on an item only after its last pass
                problems.add(String.format(Locale.ROOT, "the fleet wake: %,d certificate(s) without a verdict after %d passes",
                        noVerdict, FleetWake.PASSES));
            }
        }
        return new RunReport("microcert-simulator", 1, started.toString(), settings, provisioning, wake, summary, byKind,
                outcomes, timeline.samples(), problems.isEmpty(), problems);
    }

    static List<String> problems(List<OutcomeLedger.KindOutcome> outcomes, long items, long failures, long unanswered,
                                 Limits limits) {
        List<String> problems = new ArrayList<>();
        for (OutcomeLedger.KindOutcome o : outcomes) {
            if (o.wrong() > 0) {
                problems.add(String.format(Locale.ROOT, "%d %s item(s) %s", o.wrong(), o.kind(),
                        o.expected().equals("accept") ? "rejected (good traffic must be accepted): " + o.rejectedByReason()
                                : "ACCEPTED (bad traffic must be rejected)"));
            }
        }
        if (items > 0 && failures > limits.maxFailureRatio() * items) {
            problems.add(String.format(Locale.ROOT, "%d of %d items got no verdict (%.2f%%, limit %.2f%%)", failures,
                    items, 100.0 * failures / items, 100 * limits.maxFailureRatio()));
        }
        if (unanswered > 0) {
            problems.add(unanswered + " request(s) still unanswered " + limits.drain().toSeconds()
                    + " s after the end of the schedule");
        }
        if (items == 0) {
            problems.add("no request was answered");
        }
        return problems;
    }

    private void progress(IntervalSample s) {
        onSample.accept(s);
        console.printf(Locale.ROOT, "[%6.1fs] %8.0f req/s (target %7.0f)  %8.0f items/s  p50 %7.2f ms  p99 %8.2f ms"
                        + "  in-flight %4d  queued %5d  failures %d  wrong %d%n", s.t(), s.requestsPerSecond(),
                s.targetRate(), s.itemsPerSecond(), s.latency().p50Ms(), s.latency().p99Ms(), s.inFlight(),
                s.waiting(), s.failures(), s.wrong());
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
