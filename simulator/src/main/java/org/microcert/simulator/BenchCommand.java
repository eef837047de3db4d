package org.microcert.simulator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.microcert.simulator.bench.CpuMeter;
import org.microcert.simulator.bench.MachineProbe;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.load.Operation;
import org.microcert.simulator.load.Prebuilt;
import org.microcert.simulator.load.RateSchedule;
import org.microcert.simulator.report.ReportWriter;
import org.microcert.simulator.report.RunReport;
import org.microcert.simulator.traffic.Device;
import org.microcert.simulator.traffic.Fleet;
import org.microcert.simulator.traffic.TrafficFactory;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.TrafficMix;
import org.microcert.simulator.traffic.Verdict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code microcert-sim bench}: the HTTP part of the benchmark harness (ops/bin/bench runs it
 * between a node and a hello-world baseline it started). Every figure is a <em>sustained open-loop
 * rate</em>: the rate climbs in steps and is then narrowed by bisection ({@link #climb}); the highest
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

    @Option(names = "--wake-settle", defaultValue = "31s", converter = DurationConverter.class, paramLabel = "DURATION",
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
    Map<String, Long> watchedPids = new java.util.LinkedHashMap<>();

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

    private CpuMeter cpu;

    /** The values of --sweeps, in the order a full run measures them. */
    static final List<String> SWEEPS = List.of("baseline", "authenticate", "half-rate", "batch");

    @Option(names = "--out", paramLabel = "FILE", description = "Write the results as JSON here.")
    Path outFile;

    @Option(names = "--attach", paramLabel = "NAME=FILE",
            description = "Include another benchmark's output in the results under NAME (JSON if it parses, else its lines).")
    Map<String, Path> attachments = new java.util.LinkedHashMap<>();

    private PrintStream out;

    @Override
    public Integer call() throws Exception {
        out = System.out;
        if (stepDuration.compareTo(Duration.ofSeconds(2)) < 0 || stepDuration.compareTo(MAX_AGE) > 0) {
            // batches are built before their step: their certificates must still be inside the
            // center's 120 s skew window when the step's last one is sent (build time + step)
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--step-duration must be between 2s and " + MAX_AGE.toSeconds() + "s, not " + stepDuration.toSeconds() + "s");
        }
        for (String sweep : sweeps) {
            if (!SWEEPS.contains(sweep)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--sweeps: unknown sweep '" + sweep + "' (choose from " + String.join(", ", SWEEPS) + ")");
            }
        }
        // "!(x > 0)" rather than "x <= 0": NaN is refused too
        require(startRate > 0 && startRate <= RateSchedule.MAX_RATE,
                "--start-rate must be above 0 and at most " + (long) RateSchedule.MAX_RATE + ", not " + startRate);
        require(stepFactor > 1, "--step-factor must be above 1 (each step faster than the last), not " + stepFactor);
        require(maxSteps >= 1, "--max-steps must be at least 1, not " + maxSteps);
        require(batchSize >= 1 && batchSize <= MAX_BATCH,
                "--batch-size must be between 1 and " + MAX_BATCH + " (the node's limit), not " + batchSize);
        require(probeRate >= 0 && Double.isFinite(probeRate), "--probe-rate must be 0 (no probe) or above, not " + probeRate);
        require(probeDuration.compareTo(Duration.ofSeconds(1)) >= 0 && probeDuration.compareTo(MAX_AGE) <= 0,
                "--probe-duration must be between 1s and " + MAX_AGE.toSeconds() + "s, not " + probeDuration.toSeconds() + "s");
        require(probeWarmup.isZero() || probeWarmup.compareTo(Duration.ofSeconds(1)) >= 0 && probeWarmup.compareTo(MAX_AGE) <= 0,
                "--probe-warmup must be 0s or between 1s and " + MAX_AGE.toSeconds() + "s, not " + RunCommand.human(probeWarmup));
        require(!watchedPids.containsKey(CpuMeter.CLIENT),
                "--watch-pid: '" + CpuMeter.CLIENT + "' is this client's own name; choose another");
        // each warm-up is a step with a 1 s ramp
        require(!wakeSettle.isNegative(), "--wake-settle must not be negative");
        require(warmup.compareTo(Duration.ofSeconds(1)) >= 0, "--warmup must be at least 1s, not " + warmup.toMillis() + "ms");
        gateway.check();
        // read and probed now: found missing or unwritable at the end, the whole run's results were lost
        Map<String, String> attached = new java.util.LinkedHashMap<>();
        attachments.forEach((name, file) -> attached.put(name, OptionChecks.readText(spec, file, "--attach " + name + ":")));
        if (outFile != null) {
            OptionChecks.writableFile(spec, outFile, "--out");
        }
        boolean runHello = sweeps.contains("baseline");
        boolean runAuth = sweeps.contains("authenticate");
        boolean runHalf = sweeps.contains("half-rate");
        boolean runBatch = sweeps.contains("batch");
        if (runHalf && !runHello) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--sweeps: half-rate runs at half the baseline's rate, so it needs baseline too");
        }
        try {
            cpu = new CpuMeter(watchedPids);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--watch-pid " + e.getMessage());
        }
        String helloProblem = GatewayOptions.urlProblem(hello);
        require(helloProblem == null, "--hello '" + hello + "' " + helloProblem);
        if (runHello || probeRate > 0) {
            // before provisioning: an unreachable baseline measured 0 requests/s and the run still passed
            java.util.concurrent.ExecutorService check = java.util.concurrent.Executors.newSingleThreadExecutor(
                    RunCommand.daemon("hello-check"));
            try {
                new GatewayClient(List.of(hello), gateway.timeout, check, null).awaitReady(gateway.waitReady,
                        "--hello baseline", "is microcert-sim hello-server running there? (ops/bin/bench starts one)");
            } catch (GatewayClient.GatewayException e) {
                System.err.println("error: " + e.getMessage());
                return RunCommand.EXIT_SETUP;
            } finally {
                check.shutdownNow();
            }
        }
        TrafficMix authOnly = TrafficMix.of(Map.of(TrafficKind.AUTHENTICATE, 1), 0, List.of());
        try (Provisioned setup = Provisioned.start("bench-io", gateway, fleet, authOnly, out, spec)) {
            GatewayClient node = setup.client();
            GatewayClient baseline = new GatewayClient(List.of(hello), gateway.timeout, setup.io(), null);
            Fleet f = setup.loaded().fleet();

            // Each endpoint is warmed up right before it is measured, not recorded. Freshly started
            // JVMs (node, baseline, this client) run interpreted and C1 code for their first tens of
            // thousands of requests: measured that way, the ratio says more about the JIT than about
            // the node (bench-persistence showed the same, docs/persistence.md).
            TrafficMix batchOnly = TrafficMix.of(Map.of(TrafficKind.BATCH, 1), 0, List.of());
            ArrayNode wakes = ReportWriter.json().createArrayNode();
            Sweep helloSweep = null;
            boolean probing = probeRate > 0;
            if (runHello || probing) {
                warmUp("the hello-world baseline", new TrafficFactory(authOnly, f, baseline, RunCommand::nowSeconds, 1, 0),
                        startRate / 2);
            }
            // Without this, "before" read up to 56% above "after": the baseline's JIT was still compiling
            // after --warmup's 7,500 requests (30 s at 250/s by default). 15 s at 1,000/s is 15,000
            // requests more, three times the calls after which HotSpot queues a method for C2
            // (Tier4InvocationThreshold). Its reading is kept: warm-up ~ before shows it sufficed.
            MachineProbe.Reading probeWarm = probing && !probeWarmup.isZero() ? probe("warm-up",
                    new TrafficFactory(authOnly, f, baseline, RunCommand::nowSeconds, 1, 0), probeWarmup) : null;
            MachineProbe.Reading probeBefore = probing ? probe("before",
                    new TrafficFactory(authOnly, f, baseline, RunCommand::nowSeconds, 1, 0), probeDuration) : null;
            if (runHello) {
                helloSweep = sweep("hello-world baseline", new TrafficFactory(authOnly, f, baseline, RunCommand::nowSeconds, 1, 0), false);
            }
            Sweep authSweep = null;
            List<RunReport> halfRuns = new java.util.ArrayList<>();
            List<RunReport> helloHalfRuns = new java.util.ArrayList<>();
            double half = helloSweep == null ? 0 : Math.max(1, helloSweep.maxRate() / 2);
            Duration halfWindow = stepDuration.multipliedBy(2);
            if (runAuth || runHalf) {
                wakes.add(wakeFleet(node, f));
                warmUp("authenticate", new TrafficFactory(authOnly, f, node, RunCommand::nowSeconds, 1, 0), startRate / 2);
            }
            if (runAuth) {
                authSweep = sweep("authenticate", new TrafficFactory(authOnly, f, node, RunCommand::nowSeconds, 1, 0), false);
            }
            if (runHalf) {
                // Three windows, the median counts (all three are reported): on a shared box one flush or
                // compaction of Cassandra inside a single window decides its p99 (docs/simulator.md).
                // Each right after a window of the baseline at the same rate: on a shared machine the
                // p99 moves with the machine from minute to minute, and the baseline's says what the
                // machine and this client allowed just then.
                for (int i = 0; i < HALF_RATE_WINDOWS; i++) {
                    helloHalfRuns.add(step(new TrafficFactory(authOnly, f, baseline, RunCommand::nowSeconds, 1, 0), half, halfWindow));
                    halfRuns.add(step(new TrafficFactory(authOnly, f, node, RunCommand::nowSeconds, 1, 0), half, halfWindow));
                    out.printf(Locale.ROOT, "  authenticate at half    window %d: %,9.0f/s -> answered %,9.0f/s, p99 %8.2f ms "
                                    + "(hello-world at that rate just before: p99 %.2f ms)%n", i + 1, half,
                            halfRuns.get(i).summary().requestsPerSecond(), halfRuns.get(i).summary().good().p99Ms(),
                            helloHalfRuns.get(i).summary().all().p99Ms());
                }
            }
            Sweep batchSweep = null;
            if (runBatch) {
                wakes.add(wakeFleet(node, f));
                warmUp("batch", new TrafficFactory(batchOnly, f, node, RunCommand::nowSeconds, batchSize, 0),
                        Math.max(1, startRate / 20));
                batchSweep = sweep("batch", new TrafficFactory(batchOnly, f, node, RunCommand::nowSeconds, batchSize, 0), true);
            }

            MachineProbe.Reading probeAfter = probing ? probe("after",
                    new TrafficFactory(authOnly, f, baseline, RunCommand::nowSeconds, 1, 0), probeDuration) : null;

            ObjectNode result = ReportWriter.json().createObjectNode();
            result.put("benchmark", "http").put("time", Instant.now().toString())
                    .put("processors", Runtime.getRuntime().availableProcessors())
                    .put("java", System.getProperty("java.version")).put("sensors", fleet.sensors);
            result.putArray("sweeps").addAll(sweeps.stream().map(com.fasterxml.jackson.databind.node.TextNode::valueOf).toList());
            if (!wakes.isEmpty()) {
                result.set("fleetWakes", wakes);
            }
            out.println();
            if (helloSweep != null) {
                result.set("helloWorld", helloSweep.json());
                out.printf(Locale.ROOT, "hello-world baseline      %,10.0f requests/s sustained (p99 <= %d ms); peak answered %,.0f/s%n",
                        helloSweep.maxRate(), p99Limit.toMillis(), helloSweep.peakAnswered());
            }
            if (authSweep != null) {
                result.set("authenticate", authSweep.json());
            }
            if (authSweep != null && helloSweep != null) {
                double ratio = helloSweep.maxRate() == 0 ? 0 : authSweep.maxRate() / helloSweep.maxRate();
                ObjectNode ratios = result.putObject("ratios");
                ratios.put("authenticateVsHelloWorld", round(ratio)).put("target", 0.5).put("met", ratio >= 0.5)
                        .put("peakAuthenticateVsPeakHelloWorld", helloSweep.peakAnswered() == 0 ? 0
                                : round(authSweep.peakAnswered() / helloSweep.peakAnswered()));
                result.put("clientHeadroom", "the same client reached " + round(helloSweep.maxRate())
                        + " requests/s against the baseline, " + round(ratio == 0 ? 0 : 1 / ratio)
                        + "x the node's authenticate rate: the client is not what limits the node's figure"
                        + (ratio >= 0.9 ? " (CAUTION: ratio near 1, the client or the box may be the limit)" : ""));
                out.printf(Locale.ROOT, "authenticate (HTTP)       %,10.0f requests/s sustained -> %.1f%% of baseline (target >= 50%%); "
                        + "peak answered %,.0f/s -> %.1f%% of the baseline's peak%n", authSweep.maxRate(), 100 * ratio,
                        authSweep.peakAnswered(), helloSweep.peakAnswered() == 0 ? 0
                                : 100 * authSweep.peakAnswered() / helloSweep.peakAnswered());
            } else if (authSweep != null) {
                out.printf(Locale.ROOT, "authenticate (HTTP)       %,10.0f requests/s sustained (no baseline measured: no ratio); "
                        + "peak answered %,.0f/s%n", authSweep.maxRate(), authSweep.peakAnswered());
            }
            if (runHalf) {
                RunReport atHalf = medianByP99(halfRuns);
                ObjectNode half50 = result.putObject("authenticateAtHalfHelloWorldRate");
                half50.put("rate", round(half)).put("answeredPerSecond", atHalf.summary().requestsPerSecond())
                        .put("p50Ms", atHalf.summary().good().p50Ms()).put("p99Ms", atHalf.summary().good().p99Ms())
                        .put("p999Ms", atHalf.summary().good().p999Ms()).put("failures", atHalf.summary().failures())
                        .put("p99TargetMs", p99Limit.toMillis())
                        .put("met", halfMet(halfRuns, half, halfWindow)
                                && atHalf.summary().good().p99Ms() <= p99Limit.toMillis())
                        .put("windows", halfRuns.size()).put("figureIs", "the window with the median p99");
                ArrayNode windows = half50.putArray("eachWindow");
                for (int i = 0; i < halfRuns.size(); i++) {
                    RunReport w = halfRuns.get(i);
                    windows.addObject().put("answeredPerSecond", w.summary().requestsPerSecond())
                            .put("p50Ms", w.summary().good().p50Ms()).put("p99Ms", w.summary().good().p99Ms())
                            .put("p999Ms", w.summary().good().p999Ms()).put("failures", w.summary().failures())
                            .put("helloWorldJustBeforeP99Ms", helloHalfRuns.get(i).summary().all().p99Ms())
                            .put("helloWorldJustBeforeFailures", helloHalfRuns.get(i).summary().failures());
                }
                double helloP99 = medianByAllP99(helloHalfRuns).summary().all().p99Ms();
                half50.put("helloWorldAtThatRateP99Ms", helloP99).put("baselineMissedP99Limit", helloP99 > p99Limit.toMillis());
                out.printf(Locale.ROOT, "authenticate at %,.0f/s   answered %,.0f/s, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms "
                                + "(median of %d windows; target p99 <= %d ms); the hello-world baseline at that rate, "
                                + "each window just before: p99 %.2f ms (median)%n", half, atHalf.summary().requestsPerSecond(),
                        atHalf.summary().good().p50Ms(), atHalf.summary().good().p99Ms(), atHalf.summary().good().p999Ms(),
                        halfRuns.size(), p99Limit.toMillis(), helloP99);
                if (helloP99 > p99Limit.toMillis()) {
                    out.printf(Locale.ROOT, "  CAUTION: the baseline itself missed %d ms at that rate: the machine and this "
                            + "client, not only the node, set this p99%n", p99Limit.toMillis());
                }
            }
            if (batchSweep != null) {
                double certsPerSecond = batchSweep.maxItemsPerSecond();
                ObjectNode batch = result.putObject("batch");
                batch.set("sweep", batchSweep.json());
                batch.put("batchSize", batchSize).put("certificatesPerSecond", round(certsPerSecond))
                        .put("answeredCertificatesPerSecondAtThatStep", round(batchSweep.bestAnsweredItems))
                        .put("target", 100_000).put("met", certsPerSecond >= 100_000);
                // The sustained figure is the step's plateau rate (every request answered within the p99
                // limit); what was answered per second over that step includes its ramp, so it reads lower.
                out.printf(Locale.ROOT, "batch (%d per request)    %,10.0f certificates/s sustained at the plateau "
                                + "(target >= 100,000); %,.0f/s answered over that step with its ramp; best step %,.0f/s%n",
                        batchSize, certsPerSecond, batchSweep.bestAnsweredItems, batchSweep.peakItems);
                Double nodeCores = batchSweep.bestCores.get("node");
                if (nodeCores != null && nodeCores > 0) {
                    // what the node did per core it actually got: on a shared machine it gets only part of it
                    double perCore = batchSweep.bestAnsweredItems / nodeCores;
                    batch.put("nodeCoresAtMaxSustained", round(nodeCores)).put("answeredCertificatesPerNodeCore", round(perCore));
                    out.printf(Locale.ROOT, "                          at that step the node used %.2f cores: %,.0f answered "
                            + "certificates/s per node core%n", nodeCores, perCore);
                }
            }
            if (probing) {
                result.set("machineProbe", probeJson(probeRate, probeDuration, probeWarm, probeBefore, probeAfter, out));
            }
            ObjectNode others = result.putObject("others");
            for (Map.Entry<String, String> a : attached.entrySet()) {
                String text = a.getValue();
                try {
                    others.set(a.getKey(), ReportWriter.json().readTree(text));
                } catch (java.io.IOException notJson) {
                    ArrayNode lines = others.putObject(a.getKey()).putArray("output");
                    text.lines().forEach(lines::add);
                }
            }
            String json = ReportWriter.json().writeValueAsString(result);
            if (outFile != null) {
                Files.createDirectories(outFile.toAbsolutePath().getParent());
                Files.writeString(outFile, json);
                out.println("results: " + outFile.toAbsolutePath());
            }
            return 0;
        } catch (GatewayClient.GatewayException e) {
            System.err.println("error: " + e.getMessage());
            return RunCommand.EXIT_SETUP;
        }
    }

    /** One machine probe ({@link MachineProbe}): the baseline at --probe-rate for {@code duration}, with the CPU it cost. */
    private MachineProbe.Reading probe(String when, Operation.Source hello, Duration duration) throws InterruptedException {
        MachineProbe.CpuTimes machineBefore = MachineProbe.CpuTimes.now();
        CpuMeter.Snapshot before = cpu.snapshot();
        RunReport r = step(hello, probeRate, duration);
        Map<String, Double> cores = cpu.snapshot().coresSince(before);
        double steal = MachineProbe.CpuTimes.stealShare(machineBefore, MachineProbe.CpuTimes.now()).orElse(Double.NaN);
        double hash = MachineProbe.hashMegabytesPerSecond(Duration.ofSeconds(1));
        MachineProbe.Reading reading = new MachineProbe.Reading(probeRate, r.summary().requestsPerSecond(),
                r.summary().all().p99Ms(), r.summary().failures(), cores, steal, hash);
        out.printf(Locale.ROOT, "machine probe %-7s hello-world at %,.0f/s for %d s: answered %,.0f/s, p99 %.2f ms, "
                        + "%s%s%n", when, probeRate, duration.toSeconds(), reading.answeredPerSecond(), reading.p99Ms(),
                Double.isNaN(reading.cpuMicrosPerRequest()) ? "no CPU figure (watch the baseline: --watch-pid hello=PID)"
                        : String.format(Locale.ROOT, "%.0f us of the baseline's CPU per request", reading.cpuMicrosPerRequest()),
                (Double.isNaN(steal) ? "" : String.format(Locale.ROOT, ", steal %.1f%% of the machine", 100 * steal))
                        + String.format(Locale.ROOT, "; SHA-256 on one core %.0f MB/s", hash)
                        + (when.equals("warm-up") ? " (not compared)" : ""));
        return reading;
    }

    /**
     * The probe's JSON, and its verdict printed to {@code out}: each figure's change and whether it
     * moved beyond the limit ({@link MachineProbe.Drift}). {@code warm} (null: none ran) is reported
     * only, so a reader can see whether the baseline had settled before "before".
     */
    static ObjectNode probeJson(double rate, Duration duration, MachineProbe.Reading warm, MachineProbe.Reading before,
                               MachineProbe.Reading after, PrintStream out) {
        ObjectNode n = ReportWriter.json().createObjectNode();
        n.put("rate", round(rate)).put("seconds", duration.toSeconds());
        n.put("cpuCounted", MachineProbe.COUNTED);
        if (warm != null) {
            readingJson(n.putObject("warmUp"), warm);
        }
        readingJson(n.putObject("before"), before);
        readingJson(n.putObject("after"), after);
        MachineProbe.Drift drift = MachineProbe.drift(before, after);
        if (!Double.isNaN(drift.cpuChange())) {
            n.put("cpuPerRequestChange", Math.round(drift.cpuChange() * 1000) / 1000.0);
        }
        if (!Double.isNaN(drift.hashChange())) {
            n.put("hashSpeedChange", Math.round(drift.hashChange() * 1000) / 1000.0);
        }
        n.put("cpuDrifted", drift.cpuDrifted()).put("hashDrifted", drift.hashDrifted())
                .put("drifted", drift.drifted()).put("driftLimit", MachineProbe.DRIFT_LIMIT);
        String cpuPart = Double.isNaN(drift.cpuChange()) ? "no CPU per request figure (the baseline not watched, or nothing answered)"
                : String.format(Locale.ROOT, "the baseline's CPU per request %.0f us before, %.0f us after (%+.1f%%)",
                        before.cpuMicrosPerRequest(), after.cpuMicrosPerRequest(), 100 * drift.cpuChange());
        // which one: the CPU figure alone moving has been the baseline settling, not the machine
        String moved = drift.cpuDrifted() && drift.hashDrifted() ? "both the CPU per request and the hash speed"
                : drift.cpuDrifted() ? "only the baseline's CPU per request" : "only one core's hash speed";
        out.printf(Locale.ROOT, "machine probe: %s; one core's SHA-256 %.0f MB/s before, %.0f after (%+.1f%%)%s%n", cpuPart,
                before.hashMegabytesPerSecond(), after.hashMegabytesPerSecond(), 100 * drift.hashChange(),
                drift.drifted() ? ": CAUTION, " + moved + " moved by more than " + Math.round(100 * MachineProbe.DRIFT_LIMIT)
                        + "% during this run: its early and late figures may not be comparable" : ": the machine held steady");
        return n;
    }

    private static void readingJson(ObjectNode o, MachineProbe.Reading r) {
        o.put("answeredPerSecond", round(r.answeredPerSecond())).put("p99Ms", round(r.p99Ms())).put("failures", r.failures())
                .put("hashMegabytesPerSecond", round(r.hashMegabytesPerSecond()));
        if (!Double.isNaN(r.cpuMicrosPerRequest())) { // nothing answered: no figure rather than a 0
            o.put("cpuMicrosPerRequest", round(r.cpuMicrosPerRequest()));
        }
        if (!Double.isNaN(r.stealShare())) {
            o.put("stealShare", Math.round(r.stealShare() * 10_000) / 10_000.0);
        }
        ObjectNode cores = o.putObject("cpuCores");
        r.cores().forEach((process, c) -> cores.put(process, round(c)));
    }

    private void require(boolean ok, String error) {
        OptionChecks.require(spec, ok, error);
    }

    private void warmUp(String what, Operation.Source source, double rate) throws InterruptedException {
        out.printf(Locale.ROOT, "warming %s up for %d s at %,.0f/s (not measured)...%n", what, warmup.toSeconds(), rate);
        step(source, rate, warmup);
    }

    private ObjectNode wakeFleet(GatewayClient node, Fleet f) throws InterruptedException {
        return ReportWriter.json().valueToTree(FleetWake.run(node, 1, f.active(), batchSize, wakeSettle, out));
    }

    private Sweep sweep(String name, TrafficFactory factory, boolean batch) throws InterruptedException {
        Sweep s = new Sweep(name, ReportWriter.json().createArrayNode());
        climb(batch ? Math.max(1, startRate / 10) : startRate, stepFactor, maxSteps, REFINEMENTS,
                (rate, label) -> measure(s, factory, batch, rate, label), rate -> s.pass(rate, batch ? rate * batchSize : rate));
        return s;
    }

    /** One step of a sweep: whether it was sustained, or null when the sweep must stop before it. */
    @FunctionalInterface
    interface Step {
        Boolean run(double rate, String label) throws InterruptedException;
    }

    /**
     * The sweep's search: climbs by {@code factor} from {@code start} until two rates in a row have
     * failed, each twice (one GC pause or compaction on a shared box fails a 5 s step: a failure is
     * confirmed before it counts, and the next rate is still tried), halving instead when even the
     * first step fails; climbed back to just below the rate that failed, that rate gets one more
     * try, now warm (a first step can fail for a cold JIT alone: 500/s failed twice at 0.91 node
     * cores, then 488/s kept up at 0.46, docs/simulator.md), and a second failure there is the limit;
     * then narrows the gap
     * between the best sustained rate and the failed one by {@code refinements} geometric
     * bisections, so the figure is not an artefact of the step size (with 1.25 the true limit could
     * be up to 25% above the best step). Returns the best sustained rate, 0 when none was.
     */
    static double climb(double start, double factor, int maxSteps, int refinements, Step step,
                        java.util.function.DoubleConsumer sustained) throws InterruptedException {
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
                // its capacity (docs/simulator.md): a sweep ends only at two failed rates in a row.
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

    /** Bisections after a sweep's climb: with steps 1.25 apart, two leave the figure within 6% of the limit. */
    static final int REFINEMENTS = 2;

    private Boolean measure(Sweep s, TrafficFactory factory, boolean batch, double rate, String label)
            throws InterruptedException {
        String name = s.name;
        if (batch && schedule(rate, stepDuration).totalRequests() * batchSize > MAX_PREBUILT_CERTIFICATES) {
            out.printf(Locale.ROOT, "  %-22s %s: %,9.0f/s would prebuild more than %,d certificates in memory: "
                    + "the sweep stops here%n", name, label, rate, MAX_PREBUILT_CERTIFICATES);
            return null;
        }
        // Batches are built before the step's clock starts: building 500 certificates (CSK, MAC,
        // base64, JSON) costs the client about what judging them costs the node, and on a shared
        // box that CPU would be taken from the node being measured.
        Operation.Source source = factory;
        if (batch) {
            long building = System.nanoTime();
            source = prebuilt(factory, rate, stepDuration);
            Duration built = Duration.ofNanos(System.nanoTime() - building);
            if (built.compareTo(MAX_AGE) > 0) { // sent, its oldest certificates could pass the skew window
                out.printf(Locale.ROOT, "  %-22s %s: %,9.0f/s took %d s to prebuild (more than %d s): "
                        + "the sweep stops here%n", name, label, rate, built.toSeconds(), MAX_AGE.toSeconds());
                return null;
            }
        }
        CpuMeter.Snapshot before = cpu.snapshot();
        RunReport r = step(source, rate, stepDuration);
        Map<String, Double> cores = cpu.snapshot().coresSince(before);
        double limitMs = (batch ? batchP99Limit : p99Limit).toMillis();
        boolean ok = r.summary().failures() == 0 && r.summary().unanswered() == 0 && r.summary().wrongOutcomes() == 0
                && r.summary().all().p99Ms() <= limitMs && keptUp(r, rate, stepDuration);
        s.steps().addObject().put("step", label.replaceAll(" +", " ")).put("rate", round(rate))
                .put("answeredPerSecond", r.summary().requestsPerSecond())
                .put("itemsPerSecond", r.summary().itemsPerSecond()).put("p50Ms", r.summary().all().p50Ms())
                .put("p99Ms", r.summary().all().p99Ms()).put("failures", r.summary().failures())
                .put("wrong", r.summary().wrongOutcomes()).put("sustained", ok);
        ObjectNode stepCores = ((ObjectNode) s.steps().get(s.steps().size() - 1)).putObject("cpuCores");
        StringBuilder used = new StringBuilder();
        cores.forEach((process, c) -> {
            stepCores.put(process, round(c));
            used.append(String.format(Locale.ROOT, " %s %.2f", process, c));
        });
        out.printf(Locale.ROOT, "  %-22s %s: %,9.0f/s -> answered %,9.0f/s, items %,10.0f/s, p99 %8.2f ms, failures %d: %s;"
                        + " cores%s%n", name, label, rate, r.summary().requestsPerSecond(), r.summary().itemsPerSecond(),
                r.summary().all().p99Ms(), r.summary().failures(), ok ? "sustained" : "NOT sustained", used);
        s.peak(r.summary().requestsPerSecond(), r.summary().itemsPerSecond());
        s.lastCores = cores;
        s.lastAnsweredItems = r.summary().itemsPerSecond();
        return ok;
    }

    /** Measurement windows at half the baseline's rate; the one with the median p99 is the figure. */
    static final int HALF_RATE_WINDOWS = 3;

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

    private static RunReport median(List<RunReport> runs, java.util.function.ToDoubleFunction<RunReport> p99) {
        List<RunReport> sorted = new java.util.ArrayList<>(runs);
        sorted.sort(java.util.Comparator.comparingDouble(p99));
        return sorted.get(sorted.size() / 2);
    }

    /**
     * Longest step, and longest prebuild of one: a prebuilt certificate is then at most 60 s old when
     * sent, half the center's default 120 s skew window.
     */
    static final Duration MAX_AGE = Duration.ofSeconds(30);

    /** At most this many certificates are prebuilt for one batch step (about 50 bytes each in memory). */
    static final long MAX_PREBUILT_CERTIFICATES = 4_000_000;

    /** Most certificates the node takes in one batch request (docs/http-api.md, BATCH_TOO_LARGE). */
    static final int MAX_BATCH = 1_000;

    /** Lowest step rate a sweep tries when even its first step is not sustained. */
    private static final double MIN_RATE = 10;

    /** Every request of a step at {@code rate} for {@code duration}, built now. */
    private static Prebuilt prebuilt(TrafficFactory factory, double rate, Duration duration) {
        return Prebuilt.build(factory, schedule(rate, duration).totalRequests());
    }

    private static RateSchedule schedule(double rate, Duration duration) {
        return new RateSchedule(rate, Duration.ofSeconds(1), duration);
    }

    private RunReport step(Operation.Source factory, double rate, Duration duration) throws InterruptedException {
        Simulation sim = new Simulation(schedule(rate, duration), gateway.connections,
                new Simulation.Limits(0, gateway.timeout.plusSeconds(5)), Runnable::run,
                new PrintStream(PrintStream.nullOutputStream()), Duration.ofSeconds(1));
        RunReport.Settings settings = new RunReport.Settings(List.of(), fleet.sensors, rate, 1,
                duration.toSeconds(), Map.of(), gateway.connections, batchSize, fleet.suite.name());
        return sim.run(factory, settings, null, null, d -> { });
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** The steps of one sweep and the best sustained one. */
    private static final class Sweep {
        private final String name;
        private final ArrayNode steps;
        private double maxRate;
        private double maxItems;
        private double peakAnswered;
        private double peakItems;

        Sweep(String name, ArrayNode steps) {
            this.name = name;
            this.steps = steps;
        }

        ArrayNode steps() {
            return steps;
        }

        /** CPU and answered items of the step measured last, and of the best sustained one. */
        private Map<String, Double> lastCores = Map.of();
        private double lastAnsweredItems;
        private Map<String, Double> bestCores = Map.of();
        private double bestAnsweredItems;

        void pass(double rate, double items) {
            maxRate = rate;
            maxItems = items;
            bestCores = lastCores;
            bestAnsweredItems = lastAnsweredItems;
        }

        /** The best answered rate of any step, sustained or not (what the target could do at all). */
        void peak(double answered, double items) {
            peakAnswered = Math.max(peakAnswered, answered);
            peakItems = Math.max(peakItems, items);
        }

        double peakAnswered() {
            return peakAnswered;
        }

        double maxRate() {
            return maxRate;
        }

        double maxItemsPerSecond() {
            return maxItems;
        }

        ObjectNode json() {
            ObjectNode n = ReportWriter.json().createObjectNode();
            n.put("name", name).put("maxSustainedRate", round(maxRate)).put("maxSustainedItemsPerSecond", round(maxItems))
                    .put("peakAnsweredPerSecond", round(peakAnswered)).put("peakItemsPerSecond", round(peakItems));
            ObjectNode cores = n.putObject("cpuCoresAtMaxSustained");
            bestCores.forEach((process, c) -> cores.put(process, round(c)));
            n.set("steps", steps);
            return n;
        }
    }
}
