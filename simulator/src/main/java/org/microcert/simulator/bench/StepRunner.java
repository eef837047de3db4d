package org.microcert.simulator.bench;

import static org.microcert.simulator.bench.BenchResults.round;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.microcert.simulator.load.Operation;
import org.microcert.simulator.load.Prebuilt;
import org.microcert.simulator.load.RateSchedule;
import org.microcert.simulator.report.RunReport;
import org.microcert.simulator.run.Simulation;
import org.microcert.simulator.run.TrafficFactory;

/**
 * Runs the benchmark's steps: each a short open-loop run at one rate, measured with the CPU the
 * watched processes used meanwhile. A sweep is {@link Climb} over these steps.
 */
final class StepRunner {

    private final BenchPlan plan;
    private final CpuMeter cpu;
    private final PrintStream out;

    StepRunner(BenchPlan plan, CpuMeter cpu, PrintStream out) {
        this.plan = plan;
        this.cpu = cpu;
        this.out = out;
    }

    CpuMeter cpu() {
        return cpu;
    }

    void warmUp(String what, Operation.Source source, double rate) throws InterruptedException {
        out.printf(Locale.ROOT, "warming %s up for %d s at %,.0f/s (not measured)...%n", what,
                plan.warmup().toSeconds(), rate);
        step(source, rate, plan.warmup());
    }

    Sweep sweep(String name, TrafficFactory factory, boolean batch) throws InterruptedException {
        Sweep s = new Sweep(name);
        Climb.search(batch ? Math.max(1, plan.startRate() / 10) : plan.startRate(), plan.stepFactor(), plan.maxSteps(),
                Climb.REFINEMENTS, (rate, label) -> measure(s, factory, batch, rate, label),
                rate -> s.pass(rate, batch ? rate * plan.batchSize() : rate));
        return s;
    }

    private Boolean measure(Sweep s, TrafficFactory factory, boolean batch, double rate, String label)
            throws InterruptedException {
        String name = s.name();
        Duration length = plan.stepDuration();
        if (batch && schedule(rate, length).totalRequests() * plan.batchSize() > BenchPlan.MAX_PREBUILT_CERTIFICATES) {
            out.printf(Locale.ROOT, "  %-22s %s: %,9.0f/s would prebuild more than %,d certificates in memory: "
                    + "the sweep stops here%n", name, label, rate, BenchPlan.MAX_PREBUILT_CERTIFICATES);
            return null;
        }
        // Batches are built before the step's clock starts: building 500 certificates (CSK, MAC,
        // base64, JSON) costs the client about what judging them costs the node, and on a shared
        // box that CPU would be taken from the node being measured.
        Operation.Source source = factory;
        if (batch) {
            long building = System.nanoTime();
            source = Prebuilt.build(factory, schedule(rate, length).totalRequests());
            Duration built = Duration.ofNanos(System.nanoTime() - building);
            if (built.compareTo(BenchPlan.MAX_AGE) > 0) { // sent, its oldest certificates could pass the skew window
                out.printf(Locale.ROOT, "  %-22s %s: %,9.0f/s took %d s to prebuild (more than %d s): "
                        + "the sweep stops here%n", name, label, rate, built.toSeconds(), BenchPlan.MAX_AGE.toSeconds());
                return null;
            }
        }
        CpuMeter.Snapshot before = cpu.snapshot();
        RunReport r = step(source, rate, length);
        Map<String, Double> cores = cpu.snapshot().coresSince(before);
        double limitMs = (batch ? plan.batchP99Limit() : plan.p99Limit()).toMillis();
        RunReport.Summary sum = r.summary();
        boolean ok = sum.failures() == 0 && sum.unanswered() == 0 && sum.wrongOutcomes() == 0
                && sum.all().p99Ms() <= limitMs && StepRules.keptUp(r, rate, length);
        ObjectNode step = s.steps().addObject().put("step", label.replaceAll(" +", " ")).put("rate", round(rate))
                .put("answeredPerSecond", sum.requestsPerSecond())
                .put("itemsPerSecond", sum.itemsPerSecond()).put("p50Ms", sum.all().p50Ms())
                .put("p99Ms", sum.all().p99Ms()).put("failures", sum.failures())
                .put("wrong", sum.wrongOutcomes()).put("sustained", ok);
        ObjectNode stepCores = step.putObject("cpuCores");
        StringBuilder used = new StringBuilder();
        cores.forEach((process, c) -> {
            stepCores.put(process, round(c));
            used.append(String.format(Locale.ROOT, " %s %.2f", process, c));
        });
        out.printf(Locale.ROOT, "  %-22s %s: %,9.0f/s -> answered %,9.0f/s, items %,10.0f/s, p99 %8.2f ms, failures %d: %s;"
                        + " cores%s%n", name, label, rate, sum.requestsPerSecond(), sum.itemsPerSecond(),
                sum.all().p99Ms(), sum.failures(), ok ? "sustained" : "NOT sustained", used);
        s.measured(cores, sum.requestsPerSecond(), sum.itemsPerSecond());
        return ok;
    }

    /** One unsampled run of {@code source} at {@code rate}: no progress lines, no failure allowed. */
    RunReport step(Operation.Source source, double rate, Duration duration) throws InterruptedException {
        Simulation sim = new Simulation(schedule(rate, duration), plan.connections(),
                new Simulation.Limits(0, plan.timeout().plusSeconds(5)), Runnable::run,
                new PrintStream(PrintStream.nullOutputStream()), Duration.ofSeconds(1));
        RunReport.Settings settings = new RunReport.Settings(List.of(), plan.sensors(), rate, 1,
                duration.toSeconds(), Map.of(), plan.connections(), plan.batchSize(), plan.suite());
        return sim.run(source, settings, null, null, d -> { });
    }

    private static RateSchedule schedule(double rate, Duration duration) {
        return new RateSchedule(rate, Duration.ofSeconds(1), duration);
    }
}
