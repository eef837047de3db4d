package org.microcert.simulator.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.microcert.simulator.bench.BenchPlan;
import org.microcert.simulator.bench.Benchmark;
import org.microcert.simulator.bench.CpuMeter;
import org.microcert.simulator.bench.FloodBenchmark;
import org.microcert.simulator.gateway.GatewayException;
import org.microcert.simulator.report.ReportWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code microcert-sim bench-flood}: good traffic's throughput and p99 alone and while a second client
 * floods the node with random unknown sensor ids and forged certificates (docs/security.md, "Abuse
 * controls"). Normally run through ops/bin/bench-flood, which starts Cassandra and the node.
 */
@Command(name = "bench-flood", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Measures, in one run: the fleet's authenticate traffic at --good-rate (open loop, as in bench) in windows "
                + "alone and while a second client, from its own source address, sends random unknown ids and forged "
                + "certificates as fast as it can (closed loop, --flood-connections). Prints good traffic's answered rate "
                + "under the flood as a ratio of the one without (target >= 80%%), both p99s, and the node's recoveries "
                + "(Cassandra reads) per window; writes JSON.",
            "Normally run through ops/bin/bench-flood, which starts the node and Cassandra."})
public final class FloodCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    GatewayOptions gateway;

    @Mixin
    FleetOptions fleet;

    @Option(names = "--good-rate", defaultValue = "1000", paramLabel = "PER_SECOND",
            description = "Offered rate of the good traffic, open loop (default: ${DEFAULT-VALUE}).")
    double goodRate;

    @Option(names = "--window", defaultValue = "10s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Length of each window, 1 s ramp included, 2s to 30s (default: ${DEFAULT-VALUE}).")
    Duration window;

    @Option(names = "--pairs", defaultValue = "2", paramLabel = "N",
            description = "Windows without and with the flood, alternating, this many of each; medians compared "
                    + "(default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--warmup", defaultValue = "10s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Unmeasured good traffic, then unmeasured flood, each this long (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--flood-connections", defaultValue = "32", paramLabel = "N",
            description = "Connections (threads) of the flooding client, each sending its next request when the "
                    + "last is answered (default: ${DEFAULT-VALUE}).")
    int floodConnections;

    @Option(names = "--flood-source", defaultValue = "127.0.0.2", paramLabel = "ADDRESS",
            description = "Local IP address the flood connects from: another client than the good traffic for the "
                    + "node's per-client rate limit (default: ${DEFAULT-VALUE}).")
    String floodSource;

    @Option(names = "--unknown-share", defaultValue = "0.5", paramLabel = "FRACTION",
            description = "Share of the flood naming random unknown ids; the rest are forged certificates for the "
                    + "fleet's sensors (default: ${DEFAULT-VALUE}).")
    double unknownShare;

    @Option(names = "--target", defaultValue = "0.8", paramLabel = "RATIO",
            description = "Good traffic's answered rate under the flood over the one without that passes "
                    + "(default: ${DEFAULT-VALUE}).")
    double target;

    @Option(names = "--watch-pid", paramLabel = "NAME=PID",
            description = "Also report the CPU this process used during each window, in cores (repeatable).")
    Map<String, Long> watchedPids = new LinkedHashMap<>();

    @Option(names = "--out", paramLabel = "FILE", description = "Write the results as JSON here.")
    Path outFile;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        gateway.check();
        require(goodRate > 0 && goodRate <= 1_000_000, "--good-rate must be above 0 and at most 1000000, not " + goodRate);
        require(window.compareTo(Duration.ofSeconds(2)) >= 0 && window.compareTo(BenchPlan.MAX_AGE) <= 0,
                "--window must be between 2s and " + BenchPlan.MAX_AGE.toSeconds() + "s, not " + window.toSeconds() + "s");
        require(pairs >= 1 && pairs <= 20, "--pairs must be between 1 and 20, not " + pairs);
        require(warmup.compareTo(Duration.ofSeconds(1)) >= 0, "--warmup must be at least 1s");
        require(floodConnections >= 1 && floodConnections <= 1024,
                "--flood-connections must be between 1 and 1024, not " + floodConnections);
        require(unknownShare >= 0 && unknownShare <= 1, "--unknown-share must be between 0 and 1, not " + unknownShare);
        require(target > 0 && target <= 1, "--target must be above 0 and at most 1, not " + target);
        require(gateway.uris().size() == 1, "--gateway: bench-flood measures one node; give one URL");
        InetAddress source;
        try {
            // a literal only: a name would be looked up in the DNS
            if (!floodSource.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                throw new UnknownHostException(floodSource);
            }
            source = InetAddress.getByName(floodSource);
        } catch (UnknownHostException e) {
            throw new ParameterException(spec.commandLine(), "--flood-source '" + floodSource + "' is not an IP address");
        }
        if (outFile != null) {
            OptionChecks.writableFile(spec, outFile, "--out");
        }
        CpuMeter cpu;
        try {
            cpu = new CpuMeter(watchedPids);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--watch-pid " + e.getMessage());
        }
        BenchPlan steps = new BenchPlan(goodRate, 1.25, window, Duration.ofMillis(25), 500, Duration.ofMillis(500), warmup,
                Duration.ZERO, 1, List.of(), 0, Duration.ofSeconds(10), Duration.ZERO, gateway.connections,
                gateway.timeout, fleet.sensors, fleet.suite.name());
        FloodBenchmark.Plan plan = new FloodBenchmark.Plan(goodRate, window, pairs, warmup, floodConnections, source,
                unknownShare, target);
        try (Provisioned setup = Provisioned.start("flood-io", gateway, fleet, Benchmark.AUTH_ONLY, out, spec)) {
            ObjectNode result = new FloodBenchmark(plan, steps, cpu, out)
                    .run(setup.client(), gateway.uris().get(0), setup.loaded().fleet());
            if (outFile != null) {
                Files.createDirectories(outFile.toAbsolutePath().getParent());
                Files.writeString(outFile, ReportWriter.json().writeValueAsString(result));
                out.println("results: " + outFile.toAbsolutePath());
            }
            return ExitCodes.PASSED;
        } catch (GatewayException e) {
            System.err.println("error: " + e.getMessage());
            return ExitCodes.SETUP;
        }
    }

    private void require(boolean ok, String error) {
        OptionChecks.require(spec, ok, error);
    }
}
