package org.microcert.simulator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.microcert.simulator.fleet.TransportKeyFile;
import org.microcert.simulator.lab.History;
import org.microcert.simulator.lab.JournalRows;
import org.microcert.simulator.lab.LabChecker;
import org.microcert.simulator.lab.LabWorkload;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code microcert-sim lab}: the fault lab's client and checker (docs/faultlab.md), driven by
 * {@code ops/bin/netlab chaos}.
 */
@Command(name = "lab", mixinStandardHelpOptions = true, subcommands = {LabCommand.Run.class, LabCommand.Check.class},
        description = {"The fault lab's client (lab run) and checker (lab check); ops/bin/netlab chaos runs both."})
public final class LabCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
            description = {"Provisions a fleet, sends every fresh AUTH certificate to two gateways at once, revokes "
                + "now and then, reads every sensor back; records every request and answer (JSON lines)."})
    static final class Run implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        GatewayOptions gateway;

        @Option(names = "--transport-key", paramLabel = "FILE", required = true,
                description = "K_trans export of the key ceremony (password from --transport-key-password-file).")
        Path transportKey;

        @Option(names = "--transport-key-password-file", paramLabel = "FILE")
        Path transportKeyPassword;

        @Option(names = {"-n", "--sensors"}, defaultValue = "200", paramLabel = "N")
        int sensors;

        @Option(names = "--rate", defaultValue = "20", paramLabel = "PAIRS_PER_S",
                description = "Pairs a second (each two requests; default: ${DEFAULT-VALUE}).")
        double rate;

        @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class, paramLabel = "DURATION")
        Duration duration;

        @Option(names = "--pair", paramLabel = "A,B", split = ",",
                description = "The two gateway numbers (1-based, --gateway order) every certificate goes to "
                    + "(default: two drawn at random per certificate).")
        int[] pair;

        @Option(names = "--revoke-every", defaultValue = "10s", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "One revocation this often, at most a tenth of the fleet (0s: none; default: ${DEFAULT-VALUE}).")
        Duration revokeEvery;

        @Option(names = "--seed", defaultValue = "1", paramLabel = "NUMBER",
                description = "Seeds the fleet's ids, the sensors drawn and the gateways paired (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--read-deadline", defaultValue = "120s", converter = DurationConverter.class, paramLabel = "DURATION")
        Duration readDeadline;

        @Option(names = "--max-in-flight", defaultValue = "64", paramLabel = "N")
        int maxInFlight;

        @Option(names = "--stop-file", paramLabel = "FILE",
                description = "The pairs end early once this file exists (then the final read runs).")
        Path stopFile;

        @Option(names = "--history", required = true, paramLabel = "FILE", description = "Where the history goes (JSON lines).")
        Path history;

        @Override
        public Integer call() throws Exception {
            gateway.check();
            List<java.net.URI> uris = gateway.uris();
            OptionChecks.require(spec, sensors >= 1, "--sensors must be at least 1");
            OptionChecks.require(spec, rate > 0 && rate <= 10_000, "--rate must be above 0 and at most 10000");
            OptionChecks.require(spec, maxInFlight >= 1, "--max-in-flight must be at least 1");
            OptionChecks.require(spec, uris.size() >= 2, "--gateway: the lab needs at least two gateways");
            OptionChecks.require(spec, pair == null || (pair.length == 2 && pair[0] != pair[1]
                    && inRange(pair[0], uris.size()) && inRange(pair[1], uris.size())),
                    "--pair must be two different gateway numbers between 1 and " + uris.size());
            String token = gateway.operatorToken();
            OptionChecks.require(spec, token != null, "--operator-token-file is needed (the lab provisions and revokes)");
            byte[] kTrans = TransportKeyFile.load(transportKey, transportKeyPassword);
            PrintStream out = System.out; // the workload's progress lines, as run's console
            try (History.Writer w = new History.Writer(history)) {
                LabWorkload.Summary s = new LabWorkload(new LabWorkload.Spec(uris, sensors, rate, duration, pair, revokeEvery,
                        seed, gateway.timeout, readDeadline, maxInFlight, stopFile), kTrans, token, w, out).run();
                out.printf(Locale.ROOT, "lab run: %d sensors, %,d pairs, %,d ticks skipped, %d revoked, %d unsettled at the "
                        + "final read; history %s%n", s.provisioned(), s.pairs(), s.skippedTicks(), s.revoked(),
                        s.readUnsettled(), history);
                out.flush();
            } finally {
                java.util.Arrays.fill(kTrans, (byte) 0);
            }
            return ExitCodes.PASSED;
        }

        private static boolean inRange(int n, int size) {
            return n >= 1 && n <= size;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
            description = {"Checks a lab history (and the journal): no certificate accepted twice, no acknowledged "
                + "provisioning or revocation lost, no persistence id written by two nodes; writes the liveness "
                + "report. Exit 0 passed, 1 a safety violation."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--history", required = true, paramLabel = "FILE")
        Path history;

        @Option(names = "--cassandra", paramLabel = "HOST:PORT",
                description = "Reads the sensors' journal rows there (at ALL: heal the ring first); without it the "
                    + "two-writers check is skipped.")
        String cassandra;

        @Option(names = "--datacenter", defaultValue = "dc1", paramLabel = "NAME")
        String datacenter;

        @Option(names = "--keyspace", defaultValue = "microcert_journal", paramLabel = "NAME")
        String keyspace;

        @Option(names = "--report", paramLabel = "FILE", description = "Where the JSON report goes.")
        Path report;

        @Override
        public Integer call() throws Exception {
            OptionChecks.require(spec, Files.isReadable(history), "--history " + history + " cannot be read");
            OptionChecks.require(spec, cassandra == null || cassandra.matches("[^:\\s]+:[0-9]{1,5}"),
                    "--cassandra must be HOST:PORT, not '" + cassandra + "'");
            OptionChecks.require(spec, keyspace.matches("[A-Za-z0-9_]{1,48}"), "--keyspace must be a plain keyspace name");
            List<History> h;
            try {
                h = History.read(history);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            Map<String, List<JournalRows.Event>> journal = cassandra == null ? null
                    : JournalRows.read(cassandra, datacenter, keyspace, LabChecker.sensors(h));
            LabChecker.Result r = LabChecker.check(h, journal);
            String json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(r.report());
            if (report != null) {
                Files.writeString(report, json);
            }
            java.io.PrintWriter out = spec.commandLine().getOut();
            var s = r.report().path("safety");
            var l = r.report().path("liveness");
            out.printf(Locale.ROOT, "lab check: %s: %d double accepts, %d lost provisionings, %d revoked sensors accepted, "
                    + "%s persistence ids with two writers%n", r.passed() ? "PASSED" : "FAILED", s.path("doubleAccepts").size(),
                    s.path("lostProvisionings").size(), s.path("revokedAccepted").size(),
                    s.path("twoWriters").isNull() ? "(journal not read)" : String.valueOf(s.path("twoWriters").size()));
            out.printf(Locale.ROOT, "liveness: %d pairs, %d accepted once, %d refused %s, %d unanswered; %d of %d sensors "
                    + "unavailable at some point, %.1f sensor-seconds, longest %.1f s%n", l.path("pairs").asLong(),
                    l.path("pairsAcceptedOnce").asLong(), l.path("pairsRefused").asLong(), l.path("refusalsOfGoodCertificates"),
                    l.path("pairsUnanswered").asLong(), l.path("sensorsEverUnavailable").asLong(),
                    l.path("sensorsWithPairs").asLong(), l.path("sensorSecondsUnavailable").asDouble(),
                    l.path("longestUnavailableSeconds").asDouble());
            return r.passed() ? ExitCodes.PASSED : ExitCodes.WRONG_OUTCOME;
        }
    }
}
