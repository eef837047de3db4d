package org.microcert.simulator.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Renders a {@link RunReport} as one self-contained HTML page (inline CSS and SVG, no script). */
public final class HtmlReport {

    private HtmlReport() {}

    public static String render(RunReport r) {
        StringBuilder sb = new StringBuilder(32_000);
        sb.append("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>MicroCert simulator report</title>")
                .append("<style>body{font-family:sans-serif;margin:24px;max-width:980px;color:#222}")
                .append("table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;")
                .append("text-align:right;font-size:13px}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}")
                .append(".pass{color:#17703a}.fail{color:#b00020}.bad{background:#fde3e3}</style></head><body>");
        sb.append("<h1>MicroCert simulator report</h1>");
        sb.append("<p>Started ").append(esc(r.startedAt())).append(" against ")
                .append(esc(String.join(", ", r.settings().gateways()))).append(".</p>");
        if (r.passed()) {
            sb.append("<h2 class='pass'>PASSED: every good request accepted, every bad one rejected</h2>");
        } else {
            sb.append("<h2 class='fail'>FAILED</h2><ul>");
            r.problems().forEach(p -> sb.append("<li>").append(esc(p)).append("</li>"));
            sb.append("</ul>");
        }
        summary(sb, r);
        timelineCharts(sb, r.timeline());
        outcomes(sb, r.outcomes());
        latencyTable(sb, r.latencyByKind());
        settings(sb, r);
        return sb.append("</body></html>").toString();
    }

    private static void summary(StringBuilder sb, RunReport r) {
        RunReport.Summary s = r.summary();
        sb.append("<table><tr><th>elapsed</th><th>requests</th><th>items</th><th>requests/s</th><th>items/s</th>")
                .append("<th>wrong outcomes</th><th>failures</th><th>unanswered</th><th>p50 ms</th><th>p99 ms</th>")
                .append("<th>p99.9 ms</th><th>max ms</th></tr><tr>");
        cells(sb, s.elapsedSeconds() + " s", s.requests(), s.items(), s.requestsPerSecond(), s.itemsPerSecond(),
                s.wrongOutcomes(), s.failures(), s.unanswered(), s.all().p50Ms(), s.all().p99Ms(), s.all().p999Ms(),
                s.all().maxMs());
        sb.append("</tr></table>");
        sb.append("<p>Latency runs from the time each request was <em>due</em> (open loop), so queueing is included. ")
                .append("Send lag (when the simulator's scheduler released a request minus its due time; ")
                .append("waits for a free connection are not in it, they are in the latency): p99 ").append(s.sendLag().p99Ms())
                .append(" ms, max ").append(s.sendLag().maxMs())
                .append(" ms. A send lag close to the latencies means the simulator, not the center, was the limit.</p>");
        RunReport.Provisioning p = r.provisioning();
        if (p != null) {
            sb.append("<p>Provisioning: ").append(p.provisioned()).append(" provisioned, ").append(p.alreadyProvisioned())
                    .append(" already provisioned, ").append(p.failed()).append(" failed of ").append(p.sensors())
                    .append(" in ").append(p.seconds()).append(" s (").append(p.sensorsPerSecond())
                    .append(" sensors/s through the bulk import); ").append(p.revoked())
                    .append(" sensors revoked and ").append(p.expiredSeedSensors())
                    .append(" with expired seeds for the adversarial traffic.</p>");
        }
        RunReport.Wake w = r.wake();
        if (w != null) {
            sb.append("<p>Fleet wake before the run (the cold start, not in the figures above): one certificate of each of ")
                    .append(w.sensors()).append(" sensors in ").append(w.seconds()).append(" s (")
                    .append(w.sensorsPerSecond()).append(" sensors/s accepted), ").append(w.passes())
                    .append(" pass(es); first pass: ").append(esc(w.firstPassOutcomes().toString()));
            if (w.joinSeconds() != null) {
                sb.append("; then one more certificate of each (it joins its node's replay ledger) in ")
                        .append(w.joinSeconds()).append(" s (").append(w.joinSensorsPerSecond()).append(" sensors/s)");
            }
            sb.append("; certificates not accepted: ").append(w.notAccepted()).append(".</p>");
        }
    }

    private static void timelineCharts(StringBuilder sb, List<IntervalSample> t) {
        if (t.isEmpty()) {
            return;
        }
        double[] xs = series(t, IntervalSample::t);
        sb.append("<h2>Throughput over time</h2>");
        sb.append(SvgChart.lines("seconds since start", "per second", List.of(
                new SvgChart.Series("target requests/s", "#999999", xs, series(t, IntervalSample::targetRate)),
                new SvgChart.Series("answered requests/s", "#1f77b4", xs, series(t, IntervalSample::requestsPerSecond)),
                new SvgChart.Series("items/s", "#2ca02c", xs, series(t, IntervalSample::itemsPerSecond)))));
        sb.append("<h2>Latency percentiles over time</h2>");
        sb.append(SvgChart.lines("seconds since start", "milliseconds", List.of(
                new SvgChart.Series("p50", "#2ca02c", xs, series(t, s -> s.latency().p50Ms())),
                new SvgChart.Series("p99", "#ff7f0e", xs, series(t, s -> s.latency().p99Ms())),
                new SvgChart.Series("p99.9", "#d62728", xs, series(t, s -> s.latency().p999Ms())),
                new SvgChart.Series("send lag p99", "#9467bd", xs, series(t, IntervalSample::sendLagP99Ms)))));
    }

    private static void outcomes(StringBuilder sb, List<OutcomeLedger.KindOutcome> outcomes) {
        sb.append("<h2>Outcomes: expected versus actual</h2>");
        List<SvgChart.Bar> bars = new ArrayList<>();
        for (OutcomeLedger.KindOutcome o : outcomes) {
            boolean good = o.expected().equals("accept");
            bars.add(new SvgChart.Bar(o.kind(), List.of(
                    new SvgChart.Segment("as expected", "#2ca02c", good ? o.accepted() : o.rejected()),
                    new SvgChart.Segment("wrong", "#d62728", o.wrong()),
                    new SvgChart.Segment("no verdict", "#ff7f0e", o.failed()))));
        }
        sb.append(SvgChart.stackedBars(bars));
        sb.append("<table><tr><th>kind</th><th>expected</th><th>items</th><th>accepted</th><th>rejected</th>")
                .append("<th>no verdict</th><th>wrong</th><th>other reason</th><th>rejections by reason</th>")
                .append("<th>failures by error</th></tr>");
        for (OutcomeLedger.KindOutcome o : outcomes) {
            sb.append(o.wrong() > 0 ? "<tr class='bad'>" : "<tr>");
            cells(sb, o.kind(), o.expected() + (o.expectedReasons().isEmpty() ? ""
                    : " (" + String.join(" or ", o.expectedReasons()) + ")"), o.items(), o.accepted(), o.rejected(),
                    o.failed(), o.wrong(), o.unexpectedReason(), compact(o.rejectedByReason()),
                    compact(o.failedByError()));
            sb.append("</tr>");
        }
        sb.append("</table>");
    }

    private static void latencyTable(StringBuilder sb, Map<String, LatencySummary> byKind) {
        sb.append("<h2>Latency by kind (ms)</h2><table><tr><th>kind</th><th>requests</th><th>mean</th><th>p50</th>")
                .append("<th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>");
        byKind.forEach((k, l) -> {
            sb.append("<tr>");
            cells(sb, k, l.count(), l.meanMs(), l.p50Ms(), l.p90Ms(), l.p99Ms(), l.p999Ms(), l.maxMs());
            sb.append("</tr>");
        });
        sb.append("</table>");
    }

    private static void settings(StringBuilder sb, RunReport r) {
        RunReport.Settings s = r.settings();
        sb.append("<h2>Settings</h2><table>");
        row(sb, "gateways", String.join(", ", s.gateways()));
        row(sb, "sensors", s.sensors());
        row(sb, "rate (requests/s)", s.rate());
        row(sb, "ramp (s)", s.rampSeconds());
        row(sb, "duration (s)", s.durationSeconds());
        row(sb, "connections", s.connections());
        row(sb, "batch size", s.batchSize());
        row(sb, "suite", s.suite());
        row(sb, "mix (probability)", compact(s.mix()));
        sb.append("</table>");
    }

    private static void row(StringBuilder sb, String k, Object v) {
        sb.append("<tr>");
        cells(sb, k, v);
        sb.append("</tr>");
    }

    private static void cells(StringBuilder sb, Object... values) {
        for (Object v : values) {
            String text = v instanceof Double d ? SvgChart.num(d) : v instanceof Long l ? SvgChart.num(l) : String.valueOf(v);
            sb.append("<td>").append(esc(text)).append("</td>");
        }
    }

    private static String compact(Map<String, ? extends Number> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append(' ')
                .append(v instanceof Double d ? String.format(java.util.Locale.ROOT, "%.3f", d) : v));
        return sb.toString();
    }

    private static double[] series(List<IntervalSample> t, ToDoubleFunction<IntervalSample> f) {
        return t.stream().mapToDouble(f).toArray();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")
                .replace("\"", "&quot;");
    }
}
