package org.microcert.simulator;

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
        CommandLine cli = SimulatorMain.commandLine();
        cli.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("bench", "-g", url, "--hello", url, "--transport-key",
                dir.resolve("ktrans.mctk").toString(), "--transport-key-password-file", dir.resolve("ktrans.pw").toString(),
                "--operator-token-file", dir.resolve("token").toString()));
        all.addAll(Arrays.asList(args));
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
        double[] p99s = new double[3];
        for (int i = 0; i < 3; i++) {
            p99s[i] = half.path("eachWindow").path(i).path("p99Ms").asDouble(-1);
            assertTrue(p99s[i] >= 0, half.toString());
        }
        Arrays.sort(p99s);
        assertEquals(p99s[1], half.path("p99Ms").asDouble(), 1e-9, half.toString());
        assertTrue(r.path("helloWorld").path("maxSustainedRate").asDouble() > 0, r.toString());
        assertTrue(r.path("authenticate").path("maxSustainedRate").asDouble() > 0, r.toString());
    }

    @Test
    void aStepTooLongForPrebuiltCertificatesIsRefused() {
        StringWriter err = new StringWriter();
        assertEquals(2, bench(err, "http://127.0.0.1:9", "--step-duration", "90s"));
        assertTrue(err.toString().startsWith("error: --step-duration must be between 2s and 30s"), err.toString());
        assertFalse(err.toString().contains("Exception"), err.toString());
    }
}
