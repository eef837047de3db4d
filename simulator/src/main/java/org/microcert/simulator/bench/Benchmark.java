package org.microcert.simulator.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.report.ReportWriter;
import org.microcert.simulator.report.RunReport;
import org.microcert.simulator.run.FleetWake;
import org.microcert.simulator.run.TrafficFactory;
import org.microcert.simulator.run.WallClock;
import org.microcert.simulator.traffic.Fleet;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.TrafficMix;

/**
 * The HTTP benchmark once the node's fleet is provisioned: the plan's sweeps against the node and
 * the hello-world baseline, in a fixed order (see {@link #run}), and the results document. Every
 * figure is a <em>sustained open-loop rate</em> found by {@link Climb}.
 */
public final class Benchmark {

    /** Authenticate only: also what the fleet is provisioned for (active sensors, no role sensors). */
    public static final TrafficMix AUTH_ONLY = TrafficMix.of(Map.of(TrafficKind.AUTHENTICATE, 1), 0, List.of());
    private static final TrafficMix BATCH_ONLY = TrafficMix.of(Map.of(TrafficKind.BATCH, 1), 0, List.of());

    private final BenchPlan plan;
    private final PrintStream out;
    private final StepRunner steps;

    public Benchmark(BenchPlan plan, CpuMeter cpu, PrintStream out) {
        this.plan = plan;
        this.out = out;
        this.steps = new StepRunner(plan, cpu, out);
    }

    /**
     * Each endpoint is warmed up right before it is measured, not recorded. Freshly started JVMs
     * (node, baseline, this client) run interpreted and C1 code for their first tens of thousands
     * of requests: measured that way, the ratio says more about the JIT than about the node
     * (bench-persistence showed the same, docs/persistence.md).
     *
     * @return the results, without the attachments (the caller adds those)
     */
    public ObjectNode run(GatewayClient node, GatewayClient baseline, Fleet fleet) throws InterruptedException {
        boolean probing = plan.probing();
        ArrayNode wakes = ReportWriter.json().createArrayNode();
        Sweep helloSweep = null;
        if (plan.runs("baseline") || probing) {
            steps.warmUp("the hello-world baseline", auth(fleet, baseline), plan.startRate() / 2);
        }
        // Without this, "before" read up to 56% above "after": the baseline's JIT was still compiling
        // after --warmup's 7,500 requests (30 s at 250/s by default). 15 s at 1,000/s is 15,000
        // requests more, three times the calls after which HotSpot queues a method for C2
        // (Tier4InvocationThreshold). Its reading is kept: warm-up ~ before shows it sufficed.
        MachineProbe.Reading probeWarm = probing && !plan.probeWarmup().isZero()
                ? probe("warm-up", fleet, baseline, plan.probeWarmup()) : null;
        MachineProbe.Reading probeBefore = probing ? probe("before", fleet, baseline, plan.probeDuration()) : null;
        if (plan.runs("baseline")) {
            helloSweep = steps.sweep("hello-world baseline", auth(fleet, baseline), false);
        }
        Sweep authSweep = null;
        List<RunReport> halfRuns = new ArrayList<>();
        List<RunReport> helloHalfRuns = new ArrayList<>();
        double half = helloSweep == null ? 0 : Math.max(1, helloSweep.maxRate() / 2);
        Duration halfWindow = plan.stepDuration().multipliedBy(2);
        if (plan.runs("authenticate") || plan.runs("half-rate")) {
            wakes.add(wake(node, fleet));
            steps.warmUp("authenticate", auth(fleet, node), plan.startRate() / 2);
        }
        if (plan.runs("authenticate")) {
            authSweep = steps.sweep("authenticate", auth(fleet, node), false);
        }
        if (plan.runs("half-rate")) {
            // Three windows, the median counts (all three are reported): on a shared box one flush or
            // compaction of Cassandra inside a single window decides its p99 (docs/benchmarks.md).
            // Each right after a window of the baseline at the same rate: on a shared machine the
            // p99 moves with the machine from minute to minute, and the baseline's says what the
            // machine and this client allowed just then.
            for (int i = 0; i < StepRules.HALF_RATE_WINDOWS; i++) {
                helloHalfRuns.add(steps.step(auth(fleet, baseline), half, halfWindow));
                halfRuns.add(steps.step(auth(fleet, node), half, halfWindow));
                out.printf(Locale.ROOT, "  authenticate at half    window %d: %,9.0f/s -> answered %,9.0f/s, p99 %8.2f ms "
                                + "(hello-world at that rate just before: p99 %.2f ms)%n", i + 1, half,
                        halfRuns.get(i).summary().requestsPerSecond(), halfRuns.get(i).summary().good().p99Ms(),
                        helloHalfRuns.get(i).summary().all().p99Ms());
            }
        }
        Sweep batchSweep = null;
        if (plan.runs("batch")) {
            wakes.add(wake(node, fleet));
            steps.warmUp("batch", batches(fleet, node), Math.max(1, plan.startRate() / 20));
            batchSweep = steps.sweep("batch", batches(fleet, node), true);
        }
        MachineProbe.Reading probeAfter = probing ? probe("after", fleet, baseline, plan.probeDuration()) : null;

        ObjectNode result = ReportWriter.json().createObjectNode();
        result.put("benchmark", "http").put("time", Instant.now().toString())
                .put("processors", Runtime.getRuntime().availableProcessors())
                .put("java", System.getProperty("java.version")).put("sensors", plan.sensors());
        result.putArray("sweeps").addAll(plan.sweeps().stream().map(TextNode::valueOf).toList());
        if (!wakes.isEmpty()) {
            result.set("fleetWakes", wakes);
        }
        out.println();
        BenchResults.sweeps(result, helloSweep, authSweep, plan.p99Limit(), out);
        if (plan.runs("half-rate")) {
            BenchResults.halfRate(result, half, halfWindow, halfRuns, helloHalfRuns, plan.p99Limit(), out);
        }
        if (batchSweep != null) {
            BenchResults.batch(result, batchSweep, plan.batchSize(), out);
        }
        if (probing) {
            result.set("machineProbe", ProbeReport.json(plan.probeRate(), plan.probeDuration(), probeWarm, probeBefore,
                    probeAfter, out));
        }
        return result;
    }

    /** Fresh authenticate requests of the fleet against {@code target} (the node or the baseline). */
    private static TrafficFactory auth(Fleet fleet, GatewayClient target) {
        return new TrafficFactory(AUTH_ONLY, fleet, target, WallClock::nowSeconds, 1, 0);
    }

    private TrafficFactory batches(Fleet fleet, GatewayClient node) {
        return new TrafficFactory(BATCH_ONLY, fleet, node, WallClock::nowSeconds, plan.batchSize(), 0);
    }

    private MachineProbe.Reading probe(String when, Fleet fleet, GatewayClient baseline, Duration duration)
            throws InterruptedException {
        return ProbeReport.probe(steps, plan.probeRate(), when, auth(fleet, baseline), duration, out);
    }

    private ObjectNode wake(GatewayClient node, Fleet fleet) throws InterruptedException {
        return ReportWriter.json().valueToTree(FleetWake.run(node, 1, fleet.active(), plan.batchSize(),
                plan.wakeSettle(), out));
    }
}
