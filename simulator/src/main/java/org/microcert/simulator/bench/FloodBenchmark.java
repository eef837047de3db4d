package org.microcert.simulator.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.microcert.protocol.SensorId;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.report.ReportWriter;
import org.microcert.simulator.report.RunReport;
import org.microcert.simulator.run.FleetWake;
import org.microcert.simulator.run.TrafficFactory;
import org.microcert.simulator.run.WallClock;
import org.microcert.simulator.traffic.Fleet;

/**
 * The flood benchmark (docs/security.md, "Abuse controls"): good traffic (the fleet's authenticate
 * requests, open loop at a fixed rate, the same client and steps as {@code bench}) measured alone
 * and while a second client ({@link FloodClient}, its own source address) floods the node with
 * random unknown ids and forged certificates as fast as it can. Windows alternate, baseline first,
 * so that a drift of the shared machine hits both; the medians are compared. Per window it also
 * reads the node's metrics: recoveries (each a snapshot read and journal reads in Cassandra) and the
 * unknown-id recovery limit's counts.
 */
public final class FloodBenchmark {

    /** What to run: the good rate, window length and count, and the flood's shape. */
    public record Plan(double goodRate, Duration window, int pairs, Duration warmup, int floodConnections,
                       InetAddress floodSource, double unknownShare, double targetRatio) {}

    private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-z_]+(?:\\{[^}]*\\})?) (\\S+)$");

    private final Plan plan;
    private final StepRunner steps;
    private final PrintStream out;
    private final HttpClient scraper = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public FloodBenchmark(Plan plan, BenchPlan stepPlan, CpuMeter cpu, PrintStream out) {
        this.plan = plan;
        this.steps = new StepRunner(stepPlan, cpu, out);
        this.out = out;
    }

    public ObjectNode run(GatewayClient node, URI nodeUri, Fleet fleet) throws InterruptedException {
        FleetWake.run(node, 1, fleet.active(), 500, Duration.ZERO, out);
        TrafficFactory good = new TrafficFactory(Benchmark.AUTH_ONLY, fleet, node, WallClock::nowSeconds, 1, 0);
        steps.warmUp("authenticate", good, plan.goodRate());
        List<SensorId> victims = fleet.active().stream().map(d -> SensorId.parse(d.sensorId())).toList();
        // the flood's JIT warms up too, against the node, before anything is measured
        out.printf(Locale.ROOT, "warming the flood up for %d s (not measured)...%n", plan.warmup().toSeconds());
        try (FloodClient warm = flood(nodeUri, victims)) {
            warm.start();
            Thread.sleep(plan.warmup().toMillis());
        }

        ObjectNode result = ReportWriter.json().createObjectNode();
        result.put("benchmark", "flood").put("time", Instant.now().toString())
                .put("processors", Runtime.getRuntime().availableProcessors())
                .put("java", System.getProperty("java.version")).put("sensors", fleet.active().size())
                .put("goodRate", plan.goodRate()).put("windowSeconds", plan.window().toSeconds())
                .put("floodConnections", plan.floodConnections()).put("floodSource", plan.floodSource().getHostAddress())
                .put("unknownShare", plan.unknownShare());
        ArrayNode windows = result.putArray("windows");
        List<ObjectNode> baseline = new ArrayList<>();
        List<ObjectNode> flooded = new ArrayList<>();
        for (int i = 1; i <= plan.pairs(); i++) {
            baseline.add(window(windows, "baseline " + i, good, nodeUri, null));
            try (FloodClient f = flood(nodeUri, victims)) {
                f.start();
                flooded.add(window(windows, "flood    " + i, good, nodeUri, f));
            }
        }
        double base = median(baseline, "goodAnsweredPerSecond");
        double underFlood = median(flooded, "goodAnsweredPerSecond");
        double ratio = base == 0 ? 0 : underFlood / base;
        ObjectNode summary = result.putObject("summary");
        summary.put("baselineGoodPerSecond", BenchResults.round(base))
                .put("floodGoodPerSecond", BenchResults.round(underFlood))
                .put("ratio", BenchResults.round(ratio))
                .put("target", plan.targetRatio())
                .put("baselineP99Ms", median(baseline, "goodP99Ms"))
                .put("floodP99Ms", median(flooded, "goodP99Ms"))
                .put("floodAnsweredPerSecond", median(flooded, "floodAnsweredPerSecond"))
                .put("floodRecoveriesPerSecond", median(flooded, "recoveriesPerSecond"))
                .put("baselineRecoveriesPerSecond", median(baseline, "recoveriesPerSecond"))
                .put("goodFailuresUnderFlood", flooded.stream().mapToLong(w -> w.get("goodFailures").asLong()).sum())
                .put("met", ratio >= plan.targetRatio());
        out.println();
        out.printf(Locale.ROOT, "good traffic (%,.0f/s offered): %,.0f/s answered alone, %,.0f/s under the flood: ratio %.1f%% "
                        + "(target >= %.0f%%: %s)%n", plan.goodRate(), base, underFlood, ratio * 100, plan.targetRatio() * 100,
                ratio >= plan.targetRatio() ? "met" : "NOT met");
        out.printf(Locale.ROOT, "good p99: %.2f ms alone, %.2f ms under the flood; flood answered %,.0f/s; recoveries "
                        + "%.1f/s under the flood (%.1f/s without)%n", summary.get("baselineP99Ms").asDouble(),
                summary.get("floodP99Ms").asDouble(), summary.get("floodAnsweredPerSecond").asDouble(),
                summary.get("floodRecoveriesPerSecond").asDouble(), summary.get("baselineRecoveriesPerSecond").asDouble());
        return result;
    }

    private FloodClient flood(URI nodeUri, List<SensorId> victims) {
        return new FloodClient(nodeUri, plan.floodSource(), plan.floodConnections(), plan.unknownShare(), victims);
    }

    /** One window of good traffic, with {@code flood} running (null: alone); the node's metrics around it. */
    private ObjectNode window(ArrayNode windows, String name, TrafficFactory good, URI nodeUri, FloodClient flood)
            throws InterruptedException {
        Map<String, Double> before = scrape(nodeUri);
        long floodBefore = flood == null ? 0 : flood.answered();
        Map<Integer, Long> statusesBefore = flood == null ? Map.of() : flood.statuses();
        long started = System.nanoTime();
        CpuMeter.Snapshot cpuBefore = steps.cpu().snapshot();
        RunReport r = steps.step(good, plan.goodRate(), plan.window());
        Map<String, Double> cores = steps.cpu().snapshot().coresSince(cpuBefore);
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<String, Double> after = scrape(nodeUri);
        RunReport.Summary s = r.summary();
        ObjectNode w = windows.addObject().put("window", name.replaceAll(" +", " "))
                .put("goodAnsweredPerSecond", BenchResults.round(s.requestsPerSecond()))
                .put("goodP50Ms", s.all().p50Ms()).put("goodP99Ms", s.all().p99Ms())
                .put("goodFailures", s.failures() + s.unanswered()).put("goodWrong", s.wrongOutcomes());
        double recoveries = delta(before, after, "microcert_sensor_recoveries_total");
        w.put("recoveries", recoveries).put("recoveriesPerSecond", BenchResults.round(recoveries / seconds));
        ObjectNode limit = w.putObject("unknownRecoveries");
        for (String result : List.of("started", "queued", "refused", "gave_up")) {
            limit.put(result, delta(before, after, "microcert_unknown_recoveries_total{result=\"" + result + "\"}"));
        }
        limit.put("peakInFlight", after.getOrDefault("microcert_unknown_recovery_permits{state=\"peak\"}", 0.0));
        w.put("rateLimited", delta(before, after, "microcert_rate_limited_total{route=\"/v1/authenticate\"}"));
        w.put("badTagDelayed", delta(before, after, "microcert_failed_verifications_delayed_total"));
        ObjectNode c = w.putObject("cpuCores");
        cores.forEach((process, v) -> c.put(process, BenchResults.round(v)));
        String floodText = "";
        if (flood != null) {
            double floodRate = (flood.answered() - floodBefore) / seconds;
            w.put("floodAnsweredPerSecond", BenchResults.round(floodRate));
            ObjectNode st = w.putObject("floodStatuses");
            flood.statuses().forEach((code, n) -> st.put(Integer.toString(code), n - statusesBefore.getOrDefault(code, 0L)));
            floodText = String.format(Locale.ROOT, "; flood %,.0f/s %s", floodRate, st);
        }
        out.printf(Locale.ROOT, "  %s: good %,.0f/s -> answered %,.0f/s, p99 %.2f ms, failures %d; recoveries %.0f "
                        + "(%.1f/s), unknown-id recoveries %s%s; cores %s%n", name, plan.goodRate(), s.requestsPerSecond(),
                s.all().p99Ms(), s.failures() + s.unanswered(), recoveries, recoveries / seconds, limit, floodText, c);
        return w;
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String sample) {
        return after.getOrDefault(sample, 0.0) - before.getOrDefault(sample, 0.0);
    }

    private static double median(List<ObjectNode> windows, String field) {
        List<Double> v = new ArrayList<>(windows.stream().map(w -> w.path(field).asDouble()).toList());
        v.sort(Comparator.naturalOrder());
        int n = v.size();
        return n == 0 ? 0 : n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    /** The node's Prometheus samples (name with labels -> value); empty when it does not answer. */
    private Map<String, Double> scrape(URI node) throws InterruptedException {
        Map<String, Double> samples = new LinkedHashMap<>();
        try {
            HttpResponse<String> r = scraper.send(HttpRequest.newBuilder(node.resolve("/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = SAMPLE.matcher(r.body());
            while (m.find()) {
                try {
                    samples.put(m.group(1), Double.parseDouble(m.group(2)));
                } catch (NumberFormatException ignored) {
                    // NaN/Inf spellings of other metrics: not ours
                }
            }
        } catch (IOException e) {
            out.println("  (could not read the node's metrics: " + e.getMessage() + ")");
        }
        return samples;
    }
}
