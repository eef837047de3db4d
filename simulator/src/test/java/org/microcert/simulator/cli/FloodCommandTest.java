package org.microcert.simulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.simulator.report.ReportWriter;

/** {@code microcert-sim bench-flood} end to end against {@link ReferenceCenter}, and its option checks. */
class FloodCommandTest {

    @TempDir
    static Path dir;
    static byte[] kTrans;

    @BeforeAll
    static void factoryExport() throws Exception {
        kTrans = ReferenceCenter.writeClientFiles(dir, "operator-token-1");
    }

    private static int flood(StringWriter err, String url, String... args) {
        return ReferenceCenter.execute(err, dir, "bench-flood", url, Arrays.asList(args));
    }

    @Test
    void goodTrafficIsMeasuredAloneAndUnderAFloodOfUnknownIdsAndForgeries() throws Exception {
        Path out = dir.resolve("flood.json");
        try (ReferenceCenter center = new ReferenceCenter(kTrans, "operator-token-1", false)) {
            int exit = flood(new StringWriter(), center.url(), "--sensors", "20", "--good-rate", "20", "--window", "2s",
                    "--pairs", "1", "--warmup", "1s", "--flood-connections", "2", "--out", out.toString());
            assertEquals(0, exit);
        }
        JsonNode r = ReportWriter.json().readTree(out.toFile());
        JsonNode windows = r.path("windows");
        assertEquals(2, windows.size(), r.toString());
        assertEquals("baseline 1", windows.get(0).path("window").asText());
        assertTrue(windows.get(0).path("floodStatuses").isMissingNode(), "no flood in the baseline window");
        JsonNode flooded = windows.get(1);
        for (JsonNode w : windows) {
            assertEquals(0, w.path("goodFailures").asInt(-1), w.toString());
            assertEquals(0, w.path("goodWrong").asInt(-1), w.toString());
            assertTrue(w.path("goodAnsweredPerSecond").asDouble() > 0, w.toString());
        }
        // the reference center answers a random id 404 and a forged certificate 403: both kinds were sent
        assertTrue(flooded.path("floodStatuses").path("404").asLong() > 0, flooded.toString());
        assertTrue(flooded.path("floodStatuses").path("403").asLong() > 0, flooded.toString());
        assertEquals(r.path("summary").path("floodGoodPerSecond").asDouble()
                / r.path("summary").path("baselineGoodPerSecond").asDouble(), r.path("summary").path("ratio").asDouble(),
                0.01, r.toString());
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() {
        StringWriter err = new StringWriter();
        assertEquals(2, flood(err, "http://127.0.0.1:9", "--unknown-share", "1.5"));
        assertTrue(err.toString().contains("--unknown-share must be between 0 and 1, not 1.5"), err.toString());
        StringWriter err2 = new StringWriter();
        assertEquals(2, flood(err2, "http://127.0.0.1:9", "--flood-source", "not an address!"));
        assertTrue(err2.toString().contains("--flood-source 'not an address!' is not an IP address"), err2.toString());
    }
}
