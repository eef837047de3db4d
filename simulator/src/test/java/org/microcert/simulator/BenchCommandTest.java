package org.microcert.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.simulator.bench.MachineProbe;
import org.microcert.simulator.report.LatencySummary;
import org.microcert.simulator.report.ReportWriter;
import org.microcert.simulator.report.RunReport;
import picocli.CommandLine;

/** {@code microcert-sim bench} end to end, against {@link ReferenceCenter} as both the node and the baseline. */
class BenchCommandTest {

    @TempDir
    static Path dir;
    static byte[] kTrans;

    @BeforeAll
    static void factoryExport() throws Exception {
        kTrans = ReferenceCenter.writeClientFiles(dir, "operator-token-1");
    }

    private static int bench(StringWriter err, String url, String... args) {
        CommandLine cli = SimulatorMain.commandLine();
        cli.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("bench", "-g", url, "--transport-key",
                dir.resolve("ktrans.mctk").toString(), "--transport-key-password-file", dir.resolve("ktrans.pw").toString(),
                "--operator-token-file", dir.resolve("token").toString()));
        all.addAll(Arrays.asList(args));
        if (!all.contains("--hello")) {
            all.addAll(List.of("--hello", url));
        }
        if (!all.contains("--wake-settle")) {
            all.addAll(List.of("--wake-settle", "1s")); // both rounds of the wake, without the node's 31 s
        }
        if (!all.contains("--probe-rate")) {
            all.addAll(List.of("--probe-rate", "0")); // 20 s of probing per test otherwise
        }
        return cli.execute(all.toArray(String[]::new));
    }

    @Test
    void everySweepIsMeasuredAndPrebuiltBatchesAreAllAccepted() throws Exception {
        Path out = dir.resolve("bench.json");
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            int exit = bench(new StringWriter(), center.url(), "--sensors", "50", "--start-rate", "40", "--step-factor", "2",
                    "--step-duration", "2s", "--warmup", "1s", "--max-steps", "2", "--batch-size", "20",
                    // the JDK server behind the reference center is no latency reference
                    "--p99-limit", "1s", "--batch-p99-limit", "1s",
                    // the reference center runs in this JVM: it is the "hello" whose CPU the probe counts
                    "--probe-rate", "20", "--probe-duration", "2s", "--probe-warmup", "1s",
                    "--watch-pid", "hello=" + ProcessHandle.current().pid(),
                    "--out", out.toString());
            assertEquals(0, exit);
        }
        JsonNode r = ReportWriter.json().readTree(out.toFile());
        JsonNode steps = r.path("batch").path("sweep").path("steps");
        assertEquals(2, steps.size(), r.toString());
        for (JsonNode s : steps) {
            assertEquals(0, s.path("wrong").asInt(), s.toString());
            assertEquals(0, s.path("failures").asInt(), s.toString());
            assertTrue(s.path("sustained").asBoolean(), s.toString());
        }
        // the second step (8 requests/s of 20) is the best sustained one
        assertEquals(160, r.path("batch").path("certificatesPerSecond").asDouble(), 0.01);
        // p99 at half the baseline's rate: the median of three windows, each reported
        JsonNode half = r.path("authenticateAtHalfHelloWorldRate");
        assertEquals(medianOfWindows(half, "p99Ms"), half.path("p99Ms").asDouble(), 1e-9, half.toString());
        assertTrue(half.path("met").isBoolean(), half.toString()); // its rule: aWindowKeptUpWhen...
        // each window follows one of the baseline at the same rate; the median of those is reported
        assertEquals(medianOfWindows(half, "helloWorldJustBeforeP99Ms"), half.path("helloWorldAtThatRateP99Ms").asDouble(),
                1e-9, half.toString());
        assertTrue(r.path("helloWorld").path("maxSustainedRate").asDouble() > 0, r.toString());
        assertTrue(r.path("authenticate").path("maxSustainedRate").asDouble() > 0, r.toString());
        // the node's fleet is woken before its authenticate sweeps and before its batch sweep
        assertFleetWoken(r, 50, 2);
        // the machine probe ran warmed, before the first sweep and after the last, and compared the
        // two (what the comparison concludes: MachineProbeTest, probeVerdictNamesTheFigureThatMoved)
        JsonNode probe = r.path("machineProbe");
        assertEquals("hello", probe.path("cpuCounted").asText(), probe.toString());
        for (String when : List.of("warmUp", "before", "after")) {
            JsonNode reading = probe.path(when);
            assertEquals(0, reading.path("failures").asInt(-1), probe.toString());
            assertTrue(reading.path("answeredPerSecond").asDouble() > 0, probe.toString());
            assertTrue(reading.path("cpuMicrosPerRequest").asDouble() > 0, probe.toString());
            assertTrue(reading.path("hashMegabytesPerSecond").asDouble() > 0, probe.toString());
        }
        for (String field : List.of("cpuPerRequestChange", "hashSpeedChange")) {
            assertTrue(probe.path(field).isNumber(), probe.toString());
        }
        for (String flag : List.of("cpuDrifted", "hashDrifted", "drifted")) {
            assertTrue(probe.path(flag).isBoolean(), probe.toString());
        }
    }

    private static MachineProbe.Reading reading(double cpuMicros, double hashMegabytesPerSecond) {
        return new MachineProbe.Reading(1000, 1000, 2.0, 0, Map.of("hello", cpuMicros / 1000), Double.NaN,
                hashMegabytesPerSecond);
    }

    /** The probe's JSON and printed verdict for fixed readings: each figure's flag, and the CAUTION names what moved. */
    @Test
    void probeVerdictNamesTheFigureThatMoved() {
        record Case(double cpuAfter, double hashAfter, boolean cpu, boolean hash, String said) {}
        for (Case c : List.of(
                new Case(500, 510, true, false, "CAUTION, only the baseline's CPU per request moved by more than 20%"),
                new Case(410, 375, false, true, "CAUTION, only one core's hash speed moved by more than 20%"),
                new Case(500, 375, true, true, "CAUTION, both the CPU per request and the hash speed moved"),
                new Case(440, 550, false, false, "the machine held steady"))) {
            java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
            JsonNode n = BenchCommand.probeJson(1000, java.time.Duration.ofSeconds(10), null, reading(400, 500),
                    reading(c.cpuAfter(), c.hashAfter()), new java.io.PrintStream(printed, true, StandardCharsets.UTF_8));
            String line = printed.toString(StandardCharsets.UTF_8);
            assertEquals(c.cpu(), n.path("cpuDrifted").asBoolean(!c.cpu()), c + " " + n);
            assertEquals(c.hash(), n.path("hashDrifted").asBoolean(!c.hash()), c + " " + n);
            assertEquals(c.cpu() || c.hash(), n.path("drifted").asBoolean(!(c.cpu() || c.hash())), c + " " + n);
            assertTrue(line.contains(c.said()), c + " " + line);
            assertTrue(n.path("warmUp").isMissingNode(), n.toString());
        }
        // no CPU figure (the baseline not watched): no change reported, no CPU flag, the hash still judged
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        MachineProbe.Reading unwatched = new MachineProbe.Reading(1000, 1000, 2.0, 0, Map.of(), Double.NaN, 500);
        JsonNode n = BenchCommand.probeJson(1000, java.time.Duration.ofSeconds(10), reading(900, 500), unwatched, unwatched,
                new java.io.PrintStream(printed, true, StandardCharsets.UTF_8));
        assertTrue(n.path("cpuPerRequestChange").isMissingNode(), n.toString());
        assertFalse(n.path("cpuDrifted").asBoolean(true) || n.path("drifted").asBoolean(true), n.toString());
        assertEquals(900, n.path("warmUp").path("cpuMicrosPerRequest").asDouble(), 1e-9, n.toString());
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("no CPU per request figure"), printed.toString());
    }

    /** Each wake sent one certificate of every active sensor, and every one was accepted. */
    private static void assertFleetWoken(JsonNode r, int sensors, int wakes) {
        JsonNode all = r.path("fleetWakes");
        assertEquals(wakes, all.size(), r.toString());
        for (JsonNode wake : all) {
            assertEquals(sensors, wake.path("sensors").asInt(), wake.toString());
            assertEquals(sensors, wake.path("firstPassOutcomes").path("accepted").asInt(), wake.toString());
            assertEquals(1, wake.path("firstPassOutcomes").size(), wake.toString());
            assertEquals(1, wake.path("passes").asInt(), wake.toString());
            assertEquals(0, wake.path("notAccepted").asInt(), wake.toString());
            assertTrue(wake.path("sensorsPerSecond").asDouble() > 0, wake.toString());
            assertTrue(wake.path("joinSensorsPerSecond").asDouble() > 0, "the second round ran: " + wake);
        }
    }

    @Test
    void aStepTooLongForPrebuiltCertificatesIsRefused() {
        StringWriter err = new StringWriter();
        assertEquals(2, bench(err, "http://127.0.0.1:9", "--step-duration", "90s"));
        assertTrue(err.toString().startsWith("error: --step-duration must be between 2s and 30s"), err.toString());
        assertFalse(err.toString().contains("Exception"), err.toString());
    }

    @Test
    void aSweepNarrowsTheGapBetweenItsBestStepAndTheFailedOne() throws Exception {
        List<Double> tried = new ArrayList<>();
        List<Double> sustained = new ArrayList<>();
        // a target that keeps up to 70/s: the steps are 25% apart, so the climb alone would report 61
        double best = BenchCommand.climb(25, 1.25, 30, 2, (rate, label) -> {
            tried.add(rate);
            return rate <= 70;
        }, sustained::add);
        // 25, 31.25, 39.06, 48.83, 61.04 pass; 76.29 fails twice and so does the next rate, 95.37;
        // then sqrt(61.04 * 76.29) = 68.24 passes and sqrt(68.24 * 76.29) = 72.15 fails twice
        assertEquals(68.24, best, 0.01);
        assertEquals(12, tried.size(), tried.toString());
        assertEquals(tried.get(5), tried.get(6));
        assertEquals(95.37, tried.get(7), 0.01);
        assertEquals(tried.get(7), tried.get(8));
        assertEquals(68.24, tried.get(9), 0.01);
        assertEquals(72.15, tried.get(10), 0.01);
        assertEquals(tried.get(10), tried.get(11));
        assertEquals(best, sustained.get(sustained.size() - 1));
    }

    @Test
    void oneRateThatFailsTwiceDoesNotEndTheSweepWhenTheNextIsSustained() throws Exception {
        List<Double> tried = new ArrayList<>();
        // keeps up to 200/s, but a compaction spoils both runs of the 62.5/s step
        double best = BenchCommand.climb(50, 1.25, 30, 2, (rate, label) -> {
            tried.add(rate);
            return rate != 62.5 && rate <= 200;
        }, r -> { });
        assertEquals(List.of(50.0, 62.5, 62.5, 78.125), tried.subList(0, 4));
        // 78.1 ... 190.7 pass; 238.4 and 298.0 fail twice each; the bisections towards 238.4 fail
        assertEquals(16, tried.size(), tried.toString());
        assertEquals(190.73486328125, best, 1e-9);
        assertEquals(List.of(238.4185791015625, 238.4185791015625, 298.0232238769531, 298.0232238769531),
                tried.subList(8, 12));
        assertEquals(Math.sqrt(190.73486328125 * 238.4185791015625), tried.get(12), 1e-9);
    }

    @Test
    void aStepThatFailsOnceAndThenKeepsUpCountsAsSustained() throws Exception {
        List<Double> tried = new ArrayList<>();
        boolean[] failedOnce = {false};
        double best = BenchCommand.climb(100, 2, 4, 2, (rate, label) -> {
            tried.add(rate);
            if (rate == 200 && !failedOnce[0]) {
                failedOnce[0] = true; // one GC pause
                return false;
            }
            return true;
        }, r -> { });
        assertEquals(List.of(100.0, 200.0, 200.0, 400.0), tried);
        assertEquals(400, best); // never failed twice: no bisection
    }

    @Test
    void aTooFastFirstStepIsHalvedAndTriedOnceMoreAfterTheClimbBack() throws Exception {
        List<Double> tried = new ArrayList<>();
        // keeps up to 99/s: 100 fails twice, so from 50 up: 50, 62.5, 78.1, 97.7 pass; the next step,
        // 122, is above the rate that failed: 100 is tried once more, fails twice again and is the
        // limit; bisect towards it (98.8 passes, 99.4 fails twice)
        double best = BenchCommand.climb(100, 1.25, 30, 2, (rate, label) -> {
            tried.add(rate);
            return rate <= 99;
        }, r -> { });
        assertEquals(11, tried.size(), tried.toString());
        assertEquals(List.of(100.0, 100.0, 50.0, 62.5, 78.125, 97.65625, 100.0, 100.0), tried.subList(0, 8));
        assertEquals(Math.sqrt(97.65625 * 100), tried.get(8), 1e-9);
        assertEquals(Math.sqrt(tried.get(8) * 100), tried.get(9), 1e-9);
        assertEquals(tried.get(9), tried.get(10));
        assertEquals(tried.get(8), best);
    }

    @Test
    void stepsThatRunOutBeforeTheWarmRetryStillBisectTowardsTheFailedRate() throws Exception {
        List<Double> tried = new ArrayList<>();
        // 6 steps: 100 twice (failed), 50 .. 97.7; the retry of 100 has no step left, but the figure
        // is still narrowed towards 100, not left at the climb's last step
        double best = BenchCommand.climb(100, 1.25, 6, 2, (rate, label) -> {
            tried.add(rate);
            return rate <= 99;
        }, r -> { });
        assertEquals(List.of(100.0, 100.0, 50.0, 62.5, 78.125, 97.65625), tried.subList(0, 6));
        assertEquals(Math.sqrt(97.65625 * 100), tried.get(6), 1e-9);
        assertEquals(tried.get(6), best);
    }

    @Test
    void aFirstStepThatFailedColdIsPassedWarmAndTheClimbGoesOn() throws Exception {
        List<Double> tried = new ArrayList<>();
        int[] calls = {0};
        // keeps up to 200/s, except its first two steps (a cold JIT): 100 fails twice, 50 .. 97.7
        // pass, 100 passes warm, and the climb goes on as usual above it
        double best = BenchCommand.climb(100, 1.25, 30, 0, (rate, label) -> {
            tried.add(rate);
            return ++calls[0] > 2 && rate <= 200;
        }, r -> { });
        assertEquals(List.of(100.0, 100.0, 50.0, 62.5, 78.125, 97.65625, 100.0, 125.0, 156.25, 195.3125),
                tried.subList(0, 10));
        assertEquals(195.3125, best, 1e-9);
    }

    @Test
    void aSweepThatMustStopKeepsItsBestSoFar() throws Exception {
        List<Double> tried = new ArrayList<>();
        double best = BenchCommand.climb(25, 1.25, 30, 2, (rate, label) -> {
            tried.add(rate);
            return rate > 70 ? null : Boolean.TRUE; // e.g. the next step would prebuild too many certificates
        }, r -> { });
        assertEquals(6, tried.size(), tried.toString());
        assertEquals(61.03515625, best, 1e-9); // no failed step: nothing to bisect towards
    }

    @Test
    void onlyTheChosenSweepsAreRunAndReported() throws Exception {
        Path out = dir.resolve("batch-only.json");
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            // the reference center runs in this JVM: it is the "node" whose CPU is watched
            int exit = bench(new StringWriter(), center.url(), "--sweeps", "batch", "--sensors", "20", "--start-rate", "40",
                    "--step-duration", "2s", "--warmup", "1s", "--max-steps", "3", "--step-factor", "1.01", "--batch-size", "10",
                    "--batch-p99-limit", "1s", "--watch-pid", "node=" + ProcessHandle.current().pid(), "--out", out.toString());
            assertEquals(0, exit);
        }
        JsonNode r = ReportWriter.json().readTree(out.toFile());
        assertEquals(List.of("batch"), ReportWriter.json().convertValue(r.path("sweeps"), List.class));
        // three short steps of 4-4.1 requests/s (a slow moment on CI may fail one: the best sustained counts)
        JsonNode best = null;
        for (JsonNode step : r.path("batch").path("sweep").path("steps")) {
            if (step.path("sustained").asBoolean()) {
                best = step;
            }
        }
        assertTrue(best != null, r.toString());
        assertEquals(best.path("rate").asDouble() * 10, r.path("batch").path("certificatesPerSecond").asDouble(), 0.5, r.toString());
        // beside the plateau rate, what that step answered per second (its ramp included)
        assertEquals(best.path("itemsPerSecond").asDouble(),
                r.path("batch").path("answeredCertificatesPerSecondAtThatStep").asDouble(), 0.5, r.toString());
        JsonNode cores = best.path("cpuCores");
        assertTrue(cores.path("node").asDouble() > 0 && cores.path("client").asDouble() > 0, cores.toString());
        assertEquals(cores, r.path("batch").path("sweep").path("cpuCoresAtMaxSustained"));
        double perCore = r.path("batch").path("answeredCertificatesPerNodeCore").asDouble();
        double answered = best.path("itemsPerSecond").asDouble();
        double node = cores.path("node").asDouble(); // reported rounded to 0.01
        assertTrue(perCore >= answered / (node + 0.005) && perCore <= answered / Math.max(0.001, node - 0.005),
                r.path("batch").toString());
        assertFleetWoken(r, 20, 1);
        for (String absent : List.of("helloWorld", "authenticate", "ratios", "authenticateAtHalfHelloWorldRate", "machineProbe")) {
            assertTrue(r.path(absent).isMissingNode(), absent + " in " + r);
        }
    }

    @Test
    void sensorsTheNodeCouldNotReachInTheWakeAreSentAgain() throws Exception {
        Path out = dir.resolve("cold.json");
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            center.answerUnavailable(7); // the first wake batch: 7 of its 10 items time out in a cold node
            int exit = bench(new StringWriter(), center.url(), "--sweeps", "batch", "--sensors", "20", "--start-rate", "40",
                    "--step-duration", "2s", "--warmup", "1s", "--max-steps", "1", "--batch-size", "10",
                    "--batch-p99-limit", "1s", "--out", out.toString());
            assertEquals(0, exit);
        }
        JsonNode wake = ReportWriter.json().readTree(out.toFile()).path("fleetWakes").path(0);
        assertEquals(7, wake.path("firstPassOutcomes").path("failed").asInt(), wake.toString());
        assertEquals(13, wake.path("firstPassOutcomes").path("accepted").asInt(), wake.toString());
        assertEquals(2, wake.path("passes").asInt(), wake.toString());
        assertEquals(0, wake.path("notAccepted").asInt(), wake.toString());
    }

    @Test
    void anUnreachableBaselineIsASetUpErrorBeforeAnythingIsProvisioned() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            CommandLine cli = SimulatorMain.commandLine();
            StringWriter err = new StringWriter();
            cli.setErr(new PrintWriter(err, true));
            java.io.PrintStream oldErr = System.err;
            java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
            System.setErr(new java.io.PrintStream(captured, true));
            int exit;
            try {
                exit = cli.execute("bench", "-g", center.url(), "--hello", "http://127.0.0.1:" + port, "--sweeps",
                        "baseline", "--probe-rate", "0", "--transport-key", dir.resolve("ktrans.mctk").toString(),
                        "--transport-key-password-file", dir.resolve("ktrans.pw").toString(), "--operator-token-file",
                        dir.resolve("token").toString());
            } finally {
                System.setErr(oldErr);
            }
            assertEquals(RunCommand.EXIT_SETUP, exit, err.toString());
            assertTrue(captured.toString().startsWith("error: --hello baseline http://127.0.0.1:" + port + " is unreachable"),
                    captured.toString());
            assertEquals(0, center.provisioned());
        }
        StringWriter bad = new StringWriter();
        assertEquals(2, bench(bad, "http://127.0.0.1:9", "--hello", "localhost:8099"));
        assertTrue(bad.toString().startsWith("error: --hello 'localhost:8099' must be an http:// or https:// URL"), bad.toString());
    }

    @Test
    void aSweepThatCannotBeRunIsRefused() {
        StringWriter err = new StringWriter();
        assertEquals(2, bench(err, "http://127.0.0.1:9", "--sweeps", "half-rate,batch"));
        assertTrue(err.toString().startsWith("error: --sweeps: half-rate runs at half the baseline's rate"), err.toString());
        StringWriter unknown = new StringWriter();
        assertEquals(2, bench(unknown, "http://127.0.0.1:9", "--sweeps", "batch,latency"));
        assertTrue(unknown.toString().startsWith("error: --sweeps: unknown sweep 'latency' (choose from baseline, "),
                unknown.toString());
        StringWriter noProcess = new StringWriter();
        assertEquals(2, bench(noProcess, "http://127.0.0.1:9", "--watch-pid", "node=999999999"));
        assertTrue(noProcess.toString().startsWith("error: --watch-pid node=999999999: no running process"), noProcess.toString());
        assertFalse(err.toString().contains("Exception") || unknown.toString().contains("Exception")
                || noProcess.toString().contains("Exception"));
        Path inTheWay = dir.resolve("in-the-way");
        try {
            java.nio.file.Files.writeString(inTheWay, "x");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (String[] bad : List.of(
                new String[] {"--warmup", "500ms", "--warmup must be at least 1s, not 500ms"},
                new String[] {"--timeout", "0s", "--timeout must be at least 1ms"},
                new String[] {"--attach", "cluster=" + dir.resolve("missing.out"),
                    "--attach cluster: " + dir.resolve("missing.out") + ": cannot read it (no such file"},
                new String[] {"--out", inTheWay.resolve("bench.json").toString(), "--out " + inTheWay + ": cannot write there"},
                new String[] {"--out", dir.toString(), "--out " + dir + " is a directory"},
                new String[] {"--step-factor", "1", "--step-factor must be above 1"},
                new String[] {"--start-rate", "0", "--start-rate must be above 0"},
                new String[] {"--start-rate", "NaN", "--start-rate must be above 0"},
                new String[] {"--max-steps", "0", "--max-steps must be at least 1"},
                new String[] {"--batch-size", "1001", "--batch-size must be between 1 and 1000"},
                new String[] {"--probe-rate", "-1", "--probe-rate must be 0 (no probe) or above"},
                new String[] {"--probe-rate", "Infinity", "--probe-rate must be 0 (no probe) or above"},
                new String[] {"--probe-duration", "0s", "--probe-duration must be between 1s and 30s"},
                new String[] {"--probe-warmup", "500ms", "--probe-warmup must be 0s or between 1s and 30s, not 500 ms"},
                new String[] {"--probe-warmup", "31s", "--probe-warmup must be 0s or between 1s and 30s, not 31 s"},
                new String[] {"--watch-pid", "client=" + ProcessHandle.current().pid(), "--watch-pid: 'client' is this client's own"})) {
            StringWriter e = new StringWriter();
            assertEquals(2, bench(e, "http://127.0.0.1:9", bad[0], bad[1]), String.join(" ", bad));
            assertTrue(e.toString().startsWith("error: " + bad[2]), e.toString());
        }
    }

    /** The median over the three half-rate windows of {@code field}, each present and not negative. */
    private static double medianOfWindows(JsonNode half, String field) {
        double[] values = new double[BenchCommand.HALF_RATE_WINDOWS];
        for (int i = 0; i < values.length; i++) {
            values[i] = half.path("eachWindow").path(i).path(field).asDouble(-1);
            assertTrue(values[i] >= 0, field + " in " + half);
        }
        Arrays.sort(values);
        return values[values.length / 2];
    }

    @Test
    void aWindowKeptUpWhenItAnsweredWhatItsRampedScheduleSent() {
        // 40/s for 4 s with a 1 s ramp sends 140 requests; all answered, the last at 4.05 s
        RunReport all = window(140, 4.05, 0);
        assertTrue(BenchCommand.keptUp(all, 40, Duration.ofSeconds(4)));
        assertTrue(BenchCommand.halfMet(List.of(all, all, all), 40, Duration.ofSeconds(4)));
        assertTrue(all.summary().requestsPerSecond() < 0.95 * 40); // what the rule before it refused
        // a fifth of the schedule unanswered did not keep up; a failure in one window fails them all
        assertFalse(BenchCommand.keptUp(window(112, 4.05, 0), 40, Duration.ofSeconds(4)));
        assertFalse(BenchCommand.halfMet(List.of(all, window(140, 4.05, 1), all), 40, Duration.ofSeconds(4)));
    }

    /** A measured window: {@code answered} requests over {@code seconds}, {@code failures} of them without a verdict. */
    private static RunReport window(long answered, double seconds, long failures) {
        LatencySummary l = new LatencySummary(answered, 1, 1, 1, 1, 1, 1);
        return new RunReport("microcert-simulator", 1, "2026-11-27T00:00:00Z", null, null, null,
                new RunReport.Summary(seconds, answered, answered, answered / seconds, answered / seconds, 0, failures, 0, l, l, l),
                Map.of(), List.of(), List.of(), failures == 0, List.of());
    }
}
