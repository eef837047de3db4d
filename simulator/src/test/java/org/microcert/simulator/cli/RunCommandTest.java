package org.microcert.simulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.simulator.SimulatorMain;
import org.microcert.simulator.report.OutcomeLedger;
import org.microcert.simulator.report.ReportWriter;
import org.microcert.simulator.report.RunReport;
import org.microcert.simulator.traffic.TrafficKind;
import picocli.CommandLine;

/** The whole CLI (fleet, provisioning, traffic kinds, accounting, reports) against {@link ReferenceCenter}. */
class RunCommandTest {

    @TempDir
    static Path dir;
    static byte[] kTrans;

    @BeforeAll
    static void factoryExport() throws Exception {
        kTrans = ReferenceCenter.writeClientFiles(dir, "operator-token-1");
    }

    private static int run(StringWriter err, String... args) {
        CommandLine cli = SimulatorMain.commandLine();
        cli.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--transport-key", dir.resolve("ktrans.mctk").toString(), "--transport-key-password-file",
                dir.resolve("ktrans.pw").toString(), "--operator-token-file", dir.resolve("token").toString()));
        for (String[] option : List.of(new String[] {"--progress-interval", "1s"}, new String[] {"--ramp", "1s"})) {
            if (!all.contains(option[0])) {
                all.addAll(List.of(option));
            }
        }
        return cli.execute(all.toArray(String[]::new));
    }

    @Test
    void anAdversarialRunAgainstAnHonestCenterHasNoWrongOutcomeAndEveryKindIsRejectedForItsReason() throws Exception {
        Path reportDir = dir.resolve("honest");
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            int exit = run(new StringWriter(), "run", "-g", center.url(), "--sensors", "200", "--rate", "250",
                    "--duration", "4s", "--adversarial", "all", "--adversarial-share", "0.4", "--batch-size", "20",
                    "--revoked-sensors", "3", "--expired-seed-sensors", "3", "--report-dir", reportDir.toString());
            assertEquals(0, exit);
            assertEquals(206, center.provisioned());
        }
        RunReport report = ReportWriter.read(reportDir.resolve("report.json"));
        assertTrue(report.passed(), report.problems().toString());
        Map<String, OutcomeLedger.KindOutcome> byKind = report.outcomes().stream()
                .collect(Collectors.toMap(OutcomeLedger.KindOutcome::kind, o -> o));
        for (TrafficKind k : TrafficKind.values()) {
            OutcomeLedger.KindOutcome o = byKind.get(k.label());
            assertTrue(o != null && o.items() > 0, k.label() + " was sent");
            assertEquals(0, o.wrong(), k.label());
            assertEquals(0, o.failed(), k.label());
            assertEquals(0, o.unexpectedReason(), k.label() + " rejected for " + o.rejectedByReason());
            assertEquals(k.adversarial() ? o.items() : 0, o.rejected(), k.label());
        }
        assertEquals(3, report.provisioning().revoked());
        assertTrue(Files.readString(reportDir.resolve("report.html")).contains("PASSED"));
        assertFalse(Files.readString(reportDir.resolve("report.json")).contains("operator-token-1"));
    }

    @Test
    void aWokenFleetReportsItsColdStartApartAndSendsAgainWhatGotNoVerdict() throws Exception {
        Path reportDir = dir.resolve("woken");
        StringWriter err = new StringWriter();
        java.io.ByteArrayOutputStream console = new java.io.ByteArrayOutputStream();
        java.io.PrintStream oldOut = System.out;
        int exit;
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            center.answerUnavailable(7); // the first wake batch: 7 of its 10 items time out in a cold node
            System.setOut(new java.io.PrintStream(console, true));
            try {
                exit = run(err, "run", "-g", center.url(), "--sensors", "20", "--rate", "50", "--duration", "1s",
                        "--mix", "authenticate=1", "--batch-size", "10", "--wake", "--wake-settle", "1s",
                        "--report-dir", reportDir.toString());
            } finally {
                System.setOut(oldOut);
            }
        }
        assertEquals(0, exit, err + console.toString());
        RunReport.Wake wake = ReportWriter.read(reportDir.resolve("report.json")).wake();
        assertEquals(20, wake.sensors());
        assertEquals(Map.of("accepted", 13L, "failed", 7L), wake.firstPassOutcomes());
        assertEquals(2, wake.passes());
        assertEquals(0, wake.notAccepted());
        assertTrue(wake.sensorsPerSecond() > 0, wake.toString());
        assertTrue(wake.joinSeconds() != null && wake.joinSensorsPerSecond() > 0, "the second round ran: " + wake);
        assertTrue(console.toString().contains("fleet wake before the run (the cold start, not in the figures below): 20 sensors"),
                console.toString());
    }

    @Test
    void aGoodCertificateRejectedInTheWakeFailsTheRunWithExitOne() throws Exception {
        Path reportDir = dir.resolve("wake-rejected");
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            center.answerRejected(1);
            int exit = run(new StringWriter(), "run", "-g", center.url(), "--sensors", "20", "--rate", "50",
                    "--duration", "1s", "--mix", "authenticate=1", "--wake", "--wake-settle", "0s",
                    "--report-dir", reportDir.toString());
            assertEquals(ExitCodes.WRONG_OUTCOME, exit);
        }
        RunReport report = ReportWriter.read(reportDir.resolve("report.json"));
        assertFalse(report.passed());
        assertEquals(1, report.wake().rejected());
        assertEquals(1, report.wake().passes(), "a rejection is a verdict: not sent again");
        assertEquals(null, report.wake().joinSeconds(), "--wake-settle 0s: no second round");
        assertEquals(List.of("the fleet wake: 1 fresh certificate(s) of active sensors <REJECTED>"), report.problems());
    }

    @Test
    void sensorsTheWakeNeverGotAVerdictForFailTheRunWithExitFour() throws Exception {
        Path reportDir = dir.resolve("wake-unanswered");
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            center.answerUnavailable(5 * 20); // every pass of the round, every item
            int exit = run(new StringWriter(), "run", "-g", center.url(), "--sensors", "20", "--rate", "50",
                    "--duration", "1s", "--mix", "authenticate=1", "--wake", "--wake-settle", "0s",
                    "--report-dir", reportDir.toString());
            assertEquals(ExitCodes.FAILURES, exit);
        }
        RunReport report = ReportWriter.read(reportDir.resolve("report.json"));
        assertEquals(5, report.wake().passes());
        assertEquals(20, report.wake().notAccepted());
        assertEquals(0, report.wake().rejected());
        assertEquals(List.of("the fleet wake: 20 certificate(s) without a verdict after 5 passes"), report.problems());
    }

    @Test
    void aCenterThatAcceptsForgeriesFailsTheRunWithExitOne() throws Exception {
        Path reportDir = dir.resolve("broken");
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", true)) {
            int exit = run(new StringWriter(), "run", "-g", center.url(), "--sensors", "20", "--rate", "100",
                    "--duration", "2s", "--mix", "authenticate=1", "--adversarial", "forged-tag",
                    "--adversarial-share", "0.5", "--report-dir", reportDir.toString());
            assertEquals(ExitCodes.WRONG_OUTCOME, exit);
        }
        RunReport report = ReportWriter.read(reportDir.resolve("report.json"));
        assertFalse(report.passed());
        assertTrue(report.problems().get(0).contains("forged-tag"), report.problems().toString());
    }

    @Test
    void aFleetSeedIsDrivenAgainButAnIdProvisionedByAnotherFleetIsASetUpError() throws Exception {
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            String[] args = {"run", "-g", center.url(), "--sensors", "5", "--rate", "20", "--duration", "1s",
                "--mix", "authenticate=1", "--fleet-seed", "11", "--report-dir", dir.resolve("seed-11").toString()};
            assertEquals(0, run(new StringWriter(), args));
            assertEquals(0, run(new StringWriter(), args)); // ALREADY_PROVISIONED with the same seeds: fine
            assertEquals(5, center.provisioned());

            // another fleet (e.g. an older release) holds the first id of fleet seed 12 with another seed
            long year = java.time.Year.now(java.time.ZoneOffset.UTC).getValue();
            java.security.SecureRandom rng = new java.security.SecureRandom();
            org.microcert.protocol.SensorChip other = org.microcert.protocol.SensorChip.withSeed(
                    new org.microcert.protocol.SensorId(org.microcert.simulator.fleet.FleetLoader.idBase(12,
                            org.microcert.protocol.CipherSuite.AES128)), org.microcert.protocol.CipherSuite.AES128,
                    org.microcert.protocol.KeySeed.generate(rng, 1, (int) year), rng,
                    org.microcert.protocol.CertificateVerifier.DEFAULT_MAX_SKEW);
            java.util.concurrent.ExecutorService io = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                new org.microcert.simulator.gateway.GatewayClient(List.of(java.net.URI.create(center.url())),
                        java.time.Duration.ofSeconds(5), io, "operator-token-1")
                        .importManifest(List.of(other.transportEnvelope(kTrans).encode()));
            } finally {
                io.shutdownNow();
            }
            String stderr = captureStderr(() -> assertEquals(ExitCodes.SETUP, run(new StringWriter(), "run", "-g",
                    center.url(), "--sensors", "5", "--rate", "20", "--duration", "1s", "--mix", "authenticate=1",
                    "--fleet-seed", "12")));
            assertTrue(stderr.contains("already provisioned") && stderr.contains("--fleet-seed"), stderr);
        }
    }

    /** What {@code body} printed to System.err (where set-up errors go). */
    private static String captureStderr(Runnable body) {
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        try {
            body.run();
        } finally {
            System.setErr(oldErr);
        }
        return captured.toString();
    }

    @Test
    void anUnreachableGatewayIsASetUpErrorThatSaysSo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        StringWriter err = new StringWriter();
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        int exit;
        try {
            exit = run(err, "run", "-g", "http://127.0.0.1:" + port, "--duration", "1s");
        } finally {
            System.setErr(oldErr);
        }
        assertEquals(ExitCodes.SETUP, exit);
        assertTrue(captured.toString().contains("unreachable"), captured.toString());
    }

    @Test
    void anOperatorTokenWithALineBreakIsRefusedWithoutPrintingIt() throws Exception {
        Path token = dir.resolve("bad-token");
        Files.writeString(token, "s3cret\nhalf\n");
        StringWriter err = new StringWriter();
        CommandLine cli = SimulatorMain.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute("run", "-g", "http://127.0.0.1:9", "--transport-key", dir.resolve("ktrans.mctk").toString(),
                "--transport-key-password-file", dir.resolve("ktrans.pw").toString(), "--operator-token-file",
                token.toString());
        assertEquals(2, exit, err.toString());
        assertTrue(err.toString().startsWith("error: the operator token in --operator-token-file"), err.toString());
        assertFalse(err.toString().contains("s3cret") || err.toString().contains("half"), err.toString());
        // and should a header value reach an error message all the same, it is cut: SimulatorMainTest
    }

    @Test
    void aFailureRatioOutsideZeroToOneIsRefusedBeforeAnythingIsSent() {
        for (String ratio : List.of("NaN", "-0.1", "1.5", "Infinity")) {
            StringWriter err = new StringWriter();
            // an unreachable gateway: only an option check can answer 2
            assertEquals(2, run(err, "run", "-g", "http://127.0.0.1:9", "--max-failure-ratio", ratio), ratio);
            assertTrue(err.toString().startsWith("error: --max-failure-ratio must be between 0 and 1"), err.toString());
        }
    }

    @Test
    void optionsOnlyUsedLateAreCheckedBeforeAnythingIsProvisioned() throws Exception {
        Path inTheWay = Files.writeString(dir.resolve("a-file"), "x");
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            for (String[] bad : List.of(
                    new String[] {"--progress-interval", "0", "--progress-interval must be at least 100ms"},
                    new String[] {"--timeout", "0s", "--timeout must be at least 1ms"},
                    new String[] {"--report-dir", inTheWay.resolve("sub").toString(),
                        "--report-dir " + inTheWay.resolve("sub") + ": cannot write there"})) {
                StringWriter err = new StringWriter();
                assertEquals(2, run(err, "run", "-g", center.url(), "--sensors", "5", "--duration", "1s",
                        "--adversarial", "revoked-sensor", bad[0], bad[1]), String.join(" ", bad));
                assertTrue(err.toString().startsWith("error: " + bad[2]), err.toString());
            }
            assertEquals(0, center.provisioned(), "nothing provisioned (or revoked) before the options were checked");
        }
    }

    @Test
    void aRateThatSendsNothingOrMoreThanOneClientCanIsRefused() {
        for (String[] bad : List.of(
                new String[] {"0.01", "2s", "--rate 0.01 --duration 2 s (--ramp 1 s) sends no request"},
                new String[] {"1e9", "10s", "--rate must be at most 100000 requests/s"})) {
            StringWriter err = new StringWriter();
            assertEquals(2, run(err, "run", "-g", "http://127.0.0.1:9", "--rate", bad[0], "--duration", bad[1]), bad[0]);
            assertTrue(err.toString().startsWith("error: " + bad[2]), err.toString());
        }
    }

    @Test
    void aGatewayGivenTwiceOrWithAPathIsRefused() {
        for (String[] bad : List.of(
                new String[] {"http://127.0.0.1:9,http://127.0.0.1:9/", "--gateway 'http://127.0.0.1:9/' is the same gateway as 'http://127.0.0.1:9'"},
                new String[] {"http://LOCALHOST,http://localhost:80", "--gateway 'http://localhost:80' is the same gateway as 'http://LOCALHOST'"},
                new String[] {"http://127.0.0.1:9/microcert", "--gateway 'http://127.0.0.1:9/microcert' must be a base URL without a path"},
                new String[] {"http://127.0.0.1:9?x=1", "--gateway 'http://127.0.0.1:9?x=1' must be a base URL without a path"})) {
            StringWriter err = new StringWriter();
            assertEquals(2, run(err, "run", "-g", bad[0]), bad[0]);
            assertTrue(err.toString().startsWith("error: " + bad[1]), err.toString());
        }
    }

    @Test
    void aNegativeWaitForReadinessIsRefusedAsNegativeWithExitTwo() {
        StringWriter err = new StringWriter();
        // an unreachable gateway: only the option's parsing can answer 2
        assertEquals(2, run(err, "run", "-g", "http://127.0.0.1:9", "--wait-ready", "-1s"));
        assertTrue(err.toString().startsWith("error: Invalid value for option '--wait-ready': '-1s' is negative"),
                err.toString());
    }

    @Test
    void badOptionsAreRefusedWithTheReasonAndExitTwo() {
        for (String[] args : List.of(new String[] {"run", "--rate", "-5"}, new String[] {"run", "--mix", "login=3"},
                new String[] {"run", "--adversarial", "teleport"}, new String[] {"run", "-g", "ftp://x"},
                new String[] {"run", "--duration", "soon"}, new String[] {"run", "--duration", "1d"},
                new String[] {"run", "--timeout", "-5s"}, new String[] {"run", "--batch-size", "5000"})) {
            StringWriter err = new StringWriter();
            assertEquals(2, run(err, args), String.join(" ", args));
            assertTrue(err.toString().startsWith("error: "), err.toString());
            assertFalse(err.toString().contains("Exception"), err.toString());
        }
    }
}
