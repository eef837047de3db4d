package org.microcert.simulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.simulator.SimulatorMain;
import org.microcert.simulator.bench.StepRules;
import org.microcert.simulator.report.ReportWriter;
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
        List<String> all = new ArrayList<>(Arrays.asList(args));
        if (!all.contains("--hello")) {
            all.addAll(List.of("--hello", url));
        }
        if (!all.contains("--wake-settle")) {
            all.addAll(List.of("--wake-settle", "1s")); // both rounds of the wake, without the node's 6 s
        }
        if (!all.contains("--probe-rate")) {
            all.addAll(List.of("--probe-rate", "0")); // 20 s of probing per test otherwise
        }
        return ReferenceCenter.execute(err, dir, "bench", url, all);
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
            assertEquals(ExitCodes.SETUP, exit, err.toString());
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
        double[] values = new double[StepRules.HALF_RATE_WINDOWS];
        for (int i = 0; i < values.length; i++) {
            values[i] = half.path("eachWindow").path(i).path(field).asDouble(-1);
            assertTrue(values[i] >= 0, field + " in " + half);
        }
        Arrays.sort(values);
        return values[values.length / 2];
    }

}
