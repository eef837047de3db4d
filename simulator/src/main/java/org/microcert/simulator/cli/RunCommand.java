package org.microcert.simulator.cli;

import static org.microcert.simulator.cli.DurationConverter.human;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.microcert.simulator.fleet.FleetLoader;
import org.microcert.simulator.gateway.GatewayException;
import org.microcert.simulator.load.OpenLoopDriver;
import org.microcert.simulator.load.RateSchedule;
import org.microcert.simulator.report.ConsoleSummary;
import org.microcert.simulator.report.ReportWriter;
import org.microcert.simulator.report.RunReport;
import org.microcert.simulator.run.FleetWake;
import org.microcert.simulator.run.NodeLossDrill;
import org.microcert.simulator.run.Simulation;
import org.microcert.simulator.run.TrafficFactory;
import org.microcert.simulator.run.WallClock;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.TrafficMix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code microcert-sim run}: provision a fleet, drive it open-loop, report. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Provisions N virtual sensors (each a real device-SDK chip with its own seed) through the gateway's bulk "
                + "import, then sends requests at a constant rate for a duration and reports what the center answered.",
            "",
            "The load is open loop: request n is due at a fixed time whatever happened to earlier ones, and its "
                + "latency runs from that due time, so a slow center shows as latency, never as a quietly lower rate.",
            "",
            "Adversarial traffic (--adversarial) is mixed in; every bad item must be rejected and every good one "
                + "accepted. Exit status: 0 passed; 1 a wrong outcome (bad accepted or good rejected); 2 bad options; "
                + "3 set-up failed (gateway unreachable, provisioning refused); 4 too many requests without a verdict."},
        footer = {"", "Examples:",
            "  microcert-sim run --sensors 1000 --rate 500 --duration 30s --adversarial all",
            "  microcert-sim run -g http://127.0.0.1:8081,http://127.0.0.1:8082 --rate 2000 --mix authenticate=1",
            "  microcert-sim run --sensors 100000 --fleet-seed 7 --rate 3000 --duration 2m --connections 256",
            "  microcert-sim run --sensors 100000 --wake --rate 1000 --duration 2m   (a fleet in service: see --wake)"})
public final class RunCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    GatewayOptions gateway;

    @Mixin
    FleetOptions fleet;

    @Option(names = {"-r", "--rate"}, defaultValue = "500", paramLabel = "PER_SECOND",
            description = "Requests per second once the ramp is over, at most 100000 (default: ${DEFAULT-VALUE}). "
                    + "A batch is one request.")
    double rate;

    @Option(names = "--ramp", defaultValue = "5s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Time to climb linearly from 0 to --rate (default: ${DEFAULT-VALUE}).")
    Duration ramp;

    @Option(names = {"-d", "--duration"}, defaultValue = "30s", converter = DurationConverter.class,
            paramLabel = "DURATION", description = "Length of the run, ramp included (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = {"-m", "--mix"}, defaultValue = "authenticate=70,sign=10,encrypt=10,batch=10", paramLabel = "MIX",
            description = {"Relative weights of the good operations: authenticate (AUTH certificate), sign (SIGN "
                    + "certificate over data, /v1/verify), encrypt (ENC_UP payload, /v1/decrypt), batch "
                    + "(--batch-size AUTH certificates in one request) (default: ${DEFAULT-VALUE})."})
    String mix;

    @Option(names = {"-a", "--adversarial"}, defaultValue = "none", paramLabel = "KINDS",
            description = {"Adversarial kinds to mix in: all, none, or a comma list of replayed, forged-tag, "
                    + "unknown-sensor, revoked-sensor, skewed-clock, expired-seed, malformed (default: ${DEFAULT-VALUE})."})
    String adversarial;

    @Option(names = "--adversarial-share", defaultValue = "0.05", paramLabel = "FRACTION",
            description = "Fraction of requests that are adversarial, split evenly over the kinds (default: ${DEFAULT-VALUE}).")
    double adversarialShare;

    @Option(names = "--batch-size", defaultValue = "50", paramLabel = "N",
            description = "Certificates per batch request, 1..1000 (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--payload-bytes", defaultValue = "64", paramLabel = "N",
            description = "Size of signed and encrypted payloads (default: ${DEFAULT-VALUE}).")
    int payloadBytes;

    @Option(names = "--wake", description = {"Before the run, bring the fleet into service and report that cold "
            + "start on its own: one certificate of every active sensor (batch endpoint, --batch-size each; imported "
            + "sensors have passivated, so each pays for its recovery from the journal), then, --wake-settle later, one "
            + "more (each sensor joins its node's replay ledger). Keep the nodes' microcert.sensor.idle-timeout above "
            + "the time each sensor waits between requests, or they passivate again. A rejection fails the run."})
    boolean wake;

    @Option(names = "--wake-settle", defaultValue = "6s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Wait between the wake's two rounds: the nodes' microcert.sensor.reservation-ahead and a "
                    + "second (default: ${DEFAULT-VALUE}); 0s sends no second round.")
    Duration wakeSettle;

    @Option(names = "--report-dir", paramLabel = "DIR",
            description = "Where report.json and report.html go (default: var/sim-reports/<date-time>).")
    Path reportDir;

    @Option(names = "--max-failure-ratio", defaultValue = "0.01", paramLabel = "FRACTION",
            description = "Largest share of items without a verdict (timeouts, 5xx) that still passes, 0 to 1 (default: ${DEFAULT-VALUE}).")
    double maxFailureRatio;

    @Option(names = "--gateway-fleet", description = {"Behave like a fleet of gateways (docs/http-api.md \"When a node is "
            + "lost\"): leave a gateway that refuses connections alone for 5 s, send an item without a verdict (503 "
            + "UNAVAILABLE) again after Retry-After to another gateway, count a good item's REPLAY on such a retry as "
            + "accepted before, and replace a retried certificate refused REPLAY_WINDOW_RESET by a fresh one."})
    boolean gatewayFleet;

    @Option(names = "--kill-at", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "The node-loss drill: SIGKILL the process in --kill-pid-file this long into the drive, then "
                    + "report per second and the time to full service (implies --gateway-fleet).")
    Duration killAt;

    @Option(names = "--kill-pid-file", paramLabel = "FILE",
            description = "With --kill-at: the file holding the pid of the node to kill (e.g. var/local-cluster/node2.pid).")
    Path killPidFile;

    @Option(names = "--progress-interval", defaultValue = "1s", converter = DurationConverter.class,
            paramLabel = "DURATION", description = "Console progress and timeline resolution (default: ${DEFAULT-VALUE}).")
    Duration progressInterval;

    @Override
    public Integer call() throws Exception {
        RunReport report = execute(System.out);
        if (report == null) {
            return ExitCodes.SETUP;
        }
        return exitCode(report);
    }

    /** Runs everything; null when set-up failed (the reason is printed). */
    RunReport execute(PrintStream out) throws InterruptedException {
        // written so that NaN fails too: NaN would pass every run, a negative ratio fail every one
        require(maxFailureRatio >= 0 && maxFailureRatio <= 1,
                "--max-failure-ratio must be between 0 and 1, not " + maxFailureRatio);
        TrafficMix trafficMix = mix();
        RateSchedule schedule = schedule();
        if (batchSize < 1 || batchSize > 1000) {
            throw new ParameterException(spec.commandLine(), "--batch-size must be in 1..1000 (the gateway's limit)");
        }
        if (payloadBytes < 0 || payloadBytes > 65_536) {
            throw new ParameterException(spec.commandLine(), "--payload-bytes must be in 0..65536");
        }
        // a progress line more often than ten times a second is noise, and 0 cannot be scheduled
        require(progressInterval.compareTo(Duration.ofMillis(100)) >= 0,
                "--progress-interval must be at least 100ms, not " + human(progressInterval));
        require(!wakeSettle.isNegative(), "--wake-settle must not be negative");
        gateway.check();
        require((killAt == null) == (killPidFile == null), "--kill-at and --kill-pid-file go together");
        require(killAt == null || (!killAt.isNegative() && killAt.compareTo(duration) < 0),
                "--kill-at must be within --duration");
        Path dir = reportDir != null ? reportDir : Path.of("var", "sim-reports",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        // found now, not after the run: the report is what the run is for
        OptionChecks.writableDirectory(spec, dir, "--report-dir");
        Provisioned setup;
        try {
            setup = Provisioned.start("simulator-io", gateway, fleet, trafficMix, out, spec);
        } catch (GatewayException e) {
            System.err.println("error: " + e.getMessage());
            return null;
        }
        try (setup) {
            FleetLoader.Loaded loaded = setup.loaded();
            TrafficFactory factory = new TrafficFactory(trafficMix, loaded.fleet(), setup.client(),
                    WallClock::nowSeconds, batchSize, payloadBytes);
            boolean asFleet = gatewayFleet || killAt != null;
            // as a fleet the client holds the connection budget itself, per try: a retry's wait holds none
            Simulation sim = new Simulation(schedule, asFleet ? OpenLoopDriver.MAX_WAITING : gateway.connections,
                    new Simulation.Limits(maxFailureRatio, gateway.timeout.plusSeconds(5)), setup.io(), out, progressInterval);
            NodeLossDrill drill = null;
            if (asFleet) {
                setup.client().asFleet(gateway.connections);
            }
            if (killAt != null) {
                drill = new NodeLossDrill(setup.client(), ramp.toMillis() / 1000.0 + killAt.toMillis() / 1000.0,
                        killPidFile, out);
                sim.onSample(drill);
            }
            RunReport.Wake woken = wake ? FleetWake.run(setup.client(), gateway.uris().size(), loaded.fleet().active(),
                    batchSize, wakeSettle, out) : null;
            AtomicReference<OpenLoopDriver> driver = new AtomicReference<>();
            CountDownLatch reported = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                OpenLoopDriver d = driver.get();
                if (d != null) {
                    d.stop(); // Ctrl-C: stop sending, still write the report of what was sent
                }
                try {
                    reported.await(gateway.timeout.toSeconds() + 10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                out.printf(Locale.ROOT, "running %.0f requests/s (ramp %s) for %s over %d connection(s)...%n", rate,
                        human(ramp), human(duration), gateway.connections);
                RunReport report = sim.run(factory, settings(trafficMix), loaded.provisioning(), woken, driver::set);
                Path html = null;
                try {
                    html = ReportWriter.write(report, dir);
                } catch (java.io.UncheckedIOException e) {
                    // checked writable before the run, but a disk can fill up: the summary still counts
                    System.err.println("error: " + e.getMessage());
                }
                ConsoleSummary.print(out, report, html);
                if (drill != null) {
                    long good = report.outcomes().stream().filter(o -> o.expected().equals("accept"))
                            .mapToLong(o -> o.items()).sum();
                    long all = report.outcomes().stream().mapToLong(o -> o.items()).sum();
                    drill.report(gateway.uris().size(), all == 0 ? 1 : (double) good / all);
                }
                return report;
            } finally {
                // whatever happened: a hook left behind would hold the JVM's exit for its whole wait
                reported.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // already shutting down
                }
            }
        }
    }

    private void require(boolean ok, String error) {
        OptionChecks.require(spec, ok, error);
    }

    TrafficMix mix() {
        try {
            List<TrafficKind> kinds = TrafficMix.parseAdversarial(adversarial);
            return TrafficMix.of(TrafficMix.parseWeights(mix), kinds.isEmpty() ? 0 : adversarialShare, kinds);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    RateSchedule schedule() {
        require(!(rate > RateSchedule.MAX_RATE), "--rate must be at most " + (long) RateSchedule.MAX_RATE
                + " requests/s from one simulator (run several for more), not " + rate);
        RateSchedule s;
        try {
            s = new RateSchedule(rate, ramp, duration);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        // found now, not as "no request was answered" after provisioning
        require(s.totalRequests() > 0, "--rate " + rate + " --duration " + human(duration) + " (--ramp " + human(ramp)
                + ") sends no request: raise --rate or --duration");
        return s;
    }

    private RunReport.Settings settings(TrafficMix m) {
        Map<String, Double> probabilities = new LinkedHashMap<>();
        m.probabilities().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> probabilities.put(e.getKey().label(), Math.round(e.getValue() * 10_000) / 10_000.0));
        return new RunReport.Settings(gateway.uris().stream().map(Object::toString).toList(), fleet.sensors, rate,
                ramp.toMillis() / 1000.0, duration.toMillis() / 1000.0, probabilities, gateway.connections, batchSize,
                fleet.suite.name());
    }

    static int exitCode(RunReport r) {
        if (r.summary().wrongOutcomes() > 0 || (r.wake() != null && r.wake().rejected() > 0)) {
            return ExitCodes.WRONG_OUTCOME;
        }
        return r.passed() ? ExitCodes.PASSED : ExitCodes.FAILURES;
    }
}
