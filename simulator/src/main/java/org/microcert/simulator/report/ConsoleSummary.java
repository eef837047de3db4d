package org.microcert.simulator.report;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/** The end of a run on the console: outcomes per kind, the wake, rates, latency and the verdict. */
public final class ConsoleSummary {

    private ConsoleSummary() {}

    /** @param html where the HTML report went, or null when it could not be written */
    public static void print(PrintStream out, RunReport r, Path html) {
        RunReport.Summary s = r.summary();
        out.println();
        out.printf(Locale.ROOT, "%-16s %6s %10s %10s %10s %8s %8s  %s%n", "kind", "expect", "items", "accepted",
                "rejected", "failed", "WRONG", "rejections by reason");
        for (OutcomeLedger.KindOutcome o : r.outcomes()) {
            out.printf(Locale.ROOT, "%-16s %6s %,10d %,10d %,10d %,8d %8d  %s%n", o.kind(), o.expected(), o.items(),
                    o.accepted(), o.rejected(), o.failed(), o.wrong(), o.rejectedByReason());
        }
        if (r.wake() != null) {
            RunReport.Wake w = r.wake();
            out.printf(Locale.ROOT, "%nfleet wake before the run (the cold start, not in the figures below): %,d sensors in "
                    + "%.1f s, %,.0f sensors/s, %d pass(es)%s; %,d certificate(s) not accepted%n", w.sensors(), w.seconds(),
                    w.sensorsPerSecond(), w.passes(), w.joinSeconds() == null ? "" : String.format(Locale.ROOT,
                            "; joined in %.1f s, %,.0f sensors/s", w.joinSeconds(), w.joinSensorsPerSecond()),
                    w.notAccepted());
        }
        out.printf(Locale.ROOT, "%n%,d requests (%,d items) in %.1f s: %,.0f requests/s, %,.0f items/s%n", s.requests(),
                s.items(), s.elapsedSeconds(), s.requestsPerSecond(), s.itemsPerSecond());
        out.printf(Locale.ROOT, "latency of good traffic (from due time): p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  "
                + "max %.2f ms; send lag p99 %.2f ms%n", s.good().p50Ms(), s.good().p99Ms(), s.good().p999Ms(),
                s.good().maxMs(), s.sendLag().p99Ms());
        out.println(r.passed() ? "PASSED: every good item accepted, every bad item rejected"
                : "FAILED: " + String.join("; ", r.problems()));
        out.println(html == null ? "report: NOT WRITTEN (see the error above)"
                : "report: " + html.toAbsolutePath() + " (and report.json beside it)");
    }
}
