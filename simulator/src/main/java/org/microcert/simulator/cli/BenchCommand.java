package org.microcert.simulator.cli;

import static org.microcert.simulator.cli.DurationConverter.human;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.microcert.simulator.bench.BenchPlan;
import org.microcert.simulator.bench.Benchmark;
import org.microcert.simulator.bench.CpuMeter;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.gateway.GatewayException;
import org.microcert.simulator.load.RateSchedule;
import org.microcert.simulator.report.ReportWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code microcert-sim bench}: the HTTP part of the benchmark harness (ops/bin/bench runs it
 * between a node and a hello-world baseline it started). Every figure is a <em>sustained open-loop
 * rate</em>: the rate climbs in steps and is then narrowed by bisection (bench.Climb); the highest
 * rate whose answered rate kept within 5% of the target, with no failures and p99 within the limit,
 * counts.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Measures, in one run and with the same client: the sustained authenticate rate of a Pekko HTTP hello-world "
                + "endpoint (--hello, the baseline) and of a MicroCert node (--gateway); their ratio (target >= 50%%); "
                + "the p99 of authenticate at half the baseline rate (median of three windows; target <= 25 ms, open loop); and the "
                + "certificates/s of the batch endpoint (target >= 100,000/s). Prints the ratios and writes JSON.",
            "Normally run through ops/bin/bench, which starts the node, the baseline and Cassandra."})
public final class BenchCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    GatewayOptions gateway;

    @Mixin
    FleetOptions fleet;

    @Option(names = "--hello", required = true, paramLabel = "URL",
            description = "Base URL of the hello-world baseline (microcert-sim hello-server).")
    URI hello;

    @Option(names = "--start-rate", defaultValue = "500", paramLabel = "PER_SECOND",
            description = "First step of each rate sweep (default: ${DEFAULT-VALUE}).")
    double startRate;

    @Option(names = "--step-factor", defaultValue = "1.25", paramLabel = "FACTOR",
            description = "Each step's rate is the previous one times this (default: ${DEFAULT-VALUE}).")
    double stepFactor;

    @Option(names = "--step-duration", defaultValue = "5s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Length of one step, 1 s ramp included, 2s to 30s (default: ${DEFAULT-VALUE}). A batch step's "
                    + "requests are all built before its clock starts, so the client's crypto is not measured.")
    Duration stepDuration;

    @Option(names = "--p99-limit", defaultValue = "25ms", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "A step passes only with p99 at most this (default: ${DEFAULT-VALUE}).")
    Duration p99Limit;

    @Option(names = "--batch-size", defaultValue = "500", paramLabel = "N",
            description = "Certificates per batch request in the batch sweep (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--batch-p99-limit", defaultValue = "500ms", converter = DurationConverter.class,
            paramLabel = "DURATION", description = "p99 limit of a batch request (default: ${DEFAULT-VALUE}).")
    Duration batchP99Limit;

    @Option(names = "--warmup", defaultValue = "30s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Unmeasured load on the baseline, authenticate and batch, each, before measuring "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--wake-settle", defaultValue = "6s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Wait between the fleet wake's two rounds (run --help, --wake): the node's "
                    + "microcert.sensor.reservation-ahead and a second (default: ${DEFAULT-VALUE}); 0s sends no second round.")
    Duration wakeSettle;

    @Option(names = "--max-steps", defaultValue = "30", paramLabel = "N", description = "Steps per sweep at most.")
    int maxSteps;

    @Option(names = "--sweeps", split = ",", paramLabel = "SWEEP", defaultValue = "baseline,authenticate,half-rate,batch",
            description = "The measurements to run, comma-separated: baseline (the hello-world sweep), authenticate, "
                    + "half-rate (p99 at half the baseline's rate: needs baseline), batch (default: all). A subset compares "
                    + "two builds of one part quickly; the authenticate ratio needs baseline as well.")
    List<String> sweeps;

    @Option(names = "--watch-pid", paramLabel = "NAME=PID",
            description = "Also report the CPU this process used during each step, in cores (repeatable; this client is "
                    + "always reported as 'client'). With a process named 'node', the batch figure is also given per node "
                    + "core. ops/bin/bench watches node and cassandra.")
    Map<String, Long> watchedPids = new LinkedHashMap<>();

    @Option(names = "--probe-rate", defaultValue = "1000", paramLabel = "PER_SECOND",
            description = "Rate of the machine probe: the hello-world baseline at this fixed rate for --probe-duration, "
                    + "before the first sweep and after the last, with the CPU the baseline (--watch-pid hello=PID) spent per request, "
                    + "and one core's SHA-256 speed. When either differs by more than 20%% between the two, the run's figures "
                    + "are flagged, naming which one moved. 0 skips the probe (default: ${DEFAULT-VALUE}).")
    double probeRate;

    @Option(names = "--probe-duration", defaultValue = "10s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Length of each machine probe (default: ${DEFAULT-VALUE}).")
    Duration probeDuration;

    @Option(names = "--probe-warmup", defaultValue = "15s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Right before the first probe, the baseline at --probe-rate for this long, not compared: its CPU "
                    + "per request read high while its JIT was still warming (--warmup runs it at half --start-rate). "
                    + "Adds this plus 1 s of hashing to a run; 0s or 1s to 30s (default: ${DEFAULT-VALUE}).")
    Duration probeWarmup;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the results as JSON here.")
    Path outFile;

    @Option(names = "--attach", paramLabel = "NAME=FILE",
            description = "Include another benchmark's output in the results under NAME (JSON if it parses, else its lines).")
    Map<String, Path> attachments = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        BenchPlan plan = plan();
        CpuMeter cpu;
        gateway.check();
        // read and probed now: found missing or unwritable at the end, the whole run's results were lost
        Map<String, String> attached = new LinkedHashMap<>();
        attachments.forEach((name, file) -> attached.put(name, OptionChecks.readText(spec, file, "--attach " + name + ":")));
        if (outFile != null) {
            OptionChecks.writableFile(spec, outFile, "--out");
        }
        require(!plan.sweeps().contains("half-rate") || plan.sweeps().contains("baseline"),
                "--sweeps: half-rate runs at half the baseline's rate, so it needs baseline too");
        try {
            cpu = new CpuMeter(watchedPids);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--watch-pid " + e.getMessage());
        }
        String helloProblem = GatewayOptions.urlProblem(hello);
        require(helloProblem == null, "--hello '" + hello + "' " + helloProblem);
        try {
            if (plan.sweeps().contains("baseline") || probeRate > 0) {
                // before provisioning: an unreachable baseline measured 0 requests/s and the run still passed
                awaitBaseline();
            }
            try (Provisioned setup = Provisioned.start("bench-io", gateway, fleet, Benchmark.AUTH_ONLY, out, spec)) {
                GatewayClient baseline = new GatewayClient(List.of(hello), gateway.timeout, setup.io(), null);
                ObjectNode result = new Benchmark(plan, cpu, out).run(setup.client(), baseline, setup.loaded().fleet());
                attach(result.putObject("others"), attached);
                if (outFile != null) {
                    Files.createDirectories(outFile.toAbsolutePath().getParent());
                    Files.writeString(outFile, ReportWriter.json().writeValueAsString(result));
                    out.println("results: " + outFile.toAbsolutePath());
                }
                return ExitCodes.PASSED;
            }
        } catch (GatewayException e) {
            System.err.println("error: " + e.getMessage());
            return ExitCodes.SETUP;
        }
    }

    /** The options that say what to measure, checked in the order their errors have always come. */
    private BenchPlan plan() {
        Duration maxAge = BenchPlan.MAX_AGE;
        // batches are built before their step: their certificates must still be inside the
        // center's 120 s skew window when the step's last one is sent (build time + step)
        require(stepDuration.compareTo(Duration.ofSeconds(2)) >= 0 && stepDuration.compareTo(maxAge) <= 0,
                "--step-duration must be between 2s and " + maxAge.toSeconds() + "s, not " + stepDuration.toSeconds() + "s");
        for (String sweep : sweeps) {
            require(BenchPlan.SWEEPS.contains(sweep),
                    "--sweeps: unknown sweep '" + sweep + "' (choose from " + String.join(", ", BenchPlan.SWEEPS) + ")");
        }
        // "!(x > 0)" rather than "x <= 0": NaN is refused too
        require(startRate > 0 && startRate <= RateSchedule.MAX_RATE,
                "--start-rate must be above 0 and at most " + (long) RateSchedule.MAX_RATE + ", not " + startRate);
        require(stepFactor > 1, "--step-factor must be above 1 (each step faster than the last), not " + stepFactor);
        require(maxSteps >= 1, "--max-steps must be at least 1, not " + maxSteps);
        require(batchSize >= 1 && batchSize <= BenchPlan.MAX_BATCH,
                "--batch-size must be between 1 and " + BenchPlan.MAX_BATCH + " (the node's limit), not " + batchSize);
        require(probeRate >= 0 && Double.isFinite(probeRate), "--probe-rate must be 0 (no probe) or above, not " + probeRate);
        require(probeDuration.compareTo(Duration.ofSeconds(1)) >= 0 && probeDuration.compareTo(maxAge) <= 0,
                "--probe-duration must be between 1s and " + maxAge.toSeconds() + "s, not " + probeDuration.toSeconds() + "s");
        require(probeWarmup.isZero() || probeWarmup.compareTo(Duration.ofSeconds(1)) >= 0 && probeWarmup.compareTo(maxAge) <= 0,
                "--probe-warmup must be 0s or between 1s and " + maxAge.toSeconds() + "s, not " + human(probeWarmup));
        require(!watchedPids.containsKey(CpuMeter.CLIENT),
                "--watch-pid: '" + CpuMeter.CLIENT + "' is this client's own name; choose another");
        require(!wakeSettle.isNegative(), "--wake-settle must not be negative");
        // each warm-up is a step with a 1 s ramp
        require(warmup.compareTo(Duration.ofSeconds(1)) >= 0, "--warmup must be at least 1s, not " + warmup.toMillis() + "ms");
        return new BenchPlan(startRate, stepFactor, stepDuration, p99Limit, batchSize, batchP99Limit, warmup, wakeSettle,
                maxSteps, sweeps, probeRate, probeDuration, probeWarmup, gateway.connections, gateway.timeout,
                fleet.sensors, fleet.suite.name());
    }

    /** @throws GatewayException the baseline is not there or not ready */
    private void awaitBaseline() throws InterruptedException {
        ExecutorService check = Executors.newSingleThreadExecutor(DaemonThreads.named("hello-check"));
        try {
            new GatewayClient(List.of(hello), gateway.timeout, check, null).awaitReady(gateway.waitReady,
                    "--hello baseline", "is microcert-sim hello-server running there? (ops/bin/bench starts one)");
        } finally {
            check.shutdownNow();
        }
    }

    /** Each --attach under its name: as JSON when it parses, else as its lines. */
    private static void attach(ObjectNode others, Map<String, String> attached) {
        for (Map.Entry<String, String> a : attached.entrySet()) {
            String text = a.getValue();
            try {
                others.set(a.getKey(), ReportWriter.json().readTree(text));
            } catch (IOException notJson) {
                ArrayNode lines = others.putObject(a.getKey()).putArray("output");
                text.lines().forEach(lines::add);
            }
        }
    }

    private void require(boolean ok, String error) {
        OptionChecks.require(spec, ok, error);
    }
}
