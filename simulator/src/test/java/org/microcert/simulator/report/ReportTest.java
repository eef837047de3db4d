package org.microcert.simulator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.Verdict;

class ReportTest {

    static RunReport sample(boolean passed) {
        OutcomeLedger ledger = new OutcomeLedger();
        ledger.record(TrafficKind.AUTHENTICATE, Verdict.ACCEPTED);
        ledger.record(TrafficKind.MALFORMED, Verdict.rejected("MALFORMED"));
        LatencySummary l = new LatencySummary(10, 1.5, 1.2, 2.0, 3.0, 4.0, 5.0);
        List<IntervalSample> timeline = List.of(
                new IntervalSample(1, 50, 48, 48, l, 0.1, 0, 0, 2, 0),
                new IntervalSample(2, 100, 99, 120, l, 0.2, 1, 0, 3, 0));
        return new RunReport("microcert-simulator", 1, "2026-11-25T18:00:00Z",
                new RunReport.Settings(List.of("http://127.0.0.1:8080"), 1000, 100, 1, 2,
                        Map.of("authenticate", 0.9, "malformed", 0.1), 16, 50, "AES128"),
                new RunReport.Provisioning(1000, 1000, 0, 0, 3.5, 400.0, 10, 5),
                new RunReport.Wake(985, 2.5, 394.0, 2, 0, 0, new java.util.TreeMap<>(Map.of("accepted", 900L, "failed", 85L)), 1.5, 656.7),
                new RunReport.Summary(2, 147, 168, 73.5, 84, 0, 1, 0, l, l, l), Map.of("authenticate", l),
                ledger.snapshot(), timeline, passed, passed ? List.of() : List.of("1 revoked-sensor item(s) <ACCEPTED>"));
    }

    @Test
    void jsonReportReadsBackAsWritten(@TempDir Path dir) throws Exception {
        RunReport r = sample(true);
        ReportWriter.write(r, dir);
        assertEquals(r, ReportWriter.read(dir.resolve("report.json")));
    }

    @Test
    void htmlReportIsSelfContainedWithPlotsAndOutcomes(@TempDir Path dir) throws Exception {
        Path html = ReportWriter.write(sample(false), dir);
        String page = Files.readString(html);
        assertTrue(page.contains("<polyline"), "throughput and latency lines");
        assertEquals(2, page.split("<polyline", -1).length - 1 - 5, "3 throughput + 4 latency series");
        assertTrue(page.contains("Outcomes: expected versus actual"));
        assertTrue(page.contains("Fleet wake before the run"), "the cold start is reported apart");
        assertTrue(page.contains("{accepted=900, failed=85}"), page);
        assertTrue(page.contains("FAILED"));
        // escaped problem text, no script, nothing loaded from elsewhere
        assertTrue(page.contains("&lt;ACCEPTED&gt;"));
        assertFalse(page.contains("<script"));
        assertFalse(page.replace("xmlns='http://www.w3.org/2000/svg'", "").matches("(?s).*(src|href)=.*"));
    }
}
