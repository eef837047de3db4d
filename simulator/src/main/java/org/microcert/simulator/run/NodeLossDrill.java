package org.microcert.simulator.run;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.report.IntervalSample;

/**
 * The node-loss drill (docs/simulator.md, "The node-loss drill"): SIGKILLs a node at a set time of
 * the drive and reports, per second, the items answered, those without a verdict at their try (sent
 * again by the fleet behaviour) or in the end, and the good items refused; then the time from the
 * kill to full service (the end of the last second in which an item got no verdict at its try or a
 * good one was refused) and the p99 of the requests answered at their first try before the kill and
 * during the failure: the sensors the failure did not touch. Fed by the timeline sampler, one
 * thread.
 */
public final class NodeLossDrill implements Consumer<IntervalSample> {

    /** One second of the drive ({@code retried}: items the center answered none for at their try). */
    record Row(double t, double items, long noVerdict, long retried, long refusedGood, Histogram firstTry) {}

    private final GatewayClient client;
    private final double killAtSeconds;
    private final Path pidFile;
    private final PrintStream out;
    private final List<Row> rows = new ArrayList<>();
    private long lastRetries;
    private Double killedAt;
    private String killed = "not yet";

    public NodeLossDrill(GatewayClient client, double killAtSeconds, Path pidFile, PrintStream out) {
        this.client = client;
        this.killAtSeconds = killAtSeconds;
        this.pidFile = pidFile;
        this.out = out;
    }

    @Override
    public void accept(IntervalSample s) {
        long retries = client.fleet().unavailableRetries();
        rows.add(new Row(s.t(), s.itemsPerSecond(), s.failures(), retries - lastRetries, s.wrong(),
                client.fleet().takeFirstTryLatencies()));
        lastRetries = retries;
        if (killedAt == null && s.t() >= killAtSeconds) {
            killedAt = s.t();
            killed = kill();
            out.println("drill: " + killed);
        }
    }

    /** SIGKILL of the process named by the pid file: no shutdown of any kind, as a crash. */
    private String kill() {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            return ProcessHandle.of(pid).map(p -> p.destroyForcibly() ? "killed pid " + pid + " (SIGKILL) at t=" + killedAt
                    : "could not kill pid " + pid).orElse("no process " + pid + " (already gone?)");
        } catch (IOException | NumberFormatException e) {
            return "no pid in " + pidFile + ": " + e.getMessage();
        }
    }

    /** The figures, once the drive is over; {@code goodShare}: the share of good items in the mix. */
    public void report(int nodes, double goodShare) {
        if (killedAt == null) {
            out.println("drill: the drive ended before the kill time (" + killAtSeconds + " s)");
            return;
        }
        double k = killedAt;
        double lastBad = k;
        long noVerdict = 0;
        double items = 0;
        for (Row r : rows) {
            noVerdict += r.noVerdict();
            items += r.items();
            if (r.t() > k && (r.noVerdict() > 0 || r.retried() > 0 || r.refusedGood() > 0)) {
                lastBad = r.t();
            }
        }
        double full = lastBad - k;
        // the crashed node's sensors answered again: the first second after the kill from which the
        // center answered no item UNAVAILABLE for 3 seconds in a row
        double back = Double.NaN;
        for (int i = 0; i + 2 < rows.size(); i++) {
            if (rows.get(i).t() > k + 1 && rows.get(i).retried() == 0 && rows.get(i + 1).retried() == 0
                    && rows.get(i + 2).retried() == 0) {
                back = rows.get(i - 1).t() - k;
                break;
            }
        }
        Histogram before = new Histogram(3);
        Histogram during = new Histogram(3);
        long refusedMinute = 0;
        double itemsMinute = 0;
        out.println();
        out.println("node-loss drill, per second (t: seconds into the drive; kill at t=" + k + ")");
        out.println("     t   answered  no-verdict-at-try  no-verdict-in-end  refused-good  first-try-p99-ms");
        for (Row r : rows) {
            if (r.t() > k - 20 && r.t() <= k) {
                before.add(r.firstTry());
            }
            if (r.t() > k && r.t() <= Math.max(lastBad, k + 1)) {
                during.add(r.firstTry());
            }
            if (r.t() > k && r.t() <= k + 60) {
                refusedMinute += r.refusedGood();
                itemsMinute += r.items();
            }
            if (r.t() > k - 5 && r.t() <= lastBad + 5) {
                out.printf(Locale.ROOT, "%6.1f %10.0f %18d %18d %13d %17.1f%n", r.t(), r.items() - r.noVerdict(),
                        r.retried(), r.noVerdict(), r.refusedGood(), r.firstTry().getTotalCount() == 0 ? 0
                                : r.firstTry().getValueAtPercentile(99) / 1000.0);
            }
        }
        double crashedShareMinute = itemsMinute * goodShare / nodes;
        out.printf(Locale.ROOT, "drill: %s%n", killed);
        out.printf(Locale.ROOT, "drill: items without a verdict in the end: %,d of %,.0f (%.3f%%; target <= 1%%)%n", noVerdict,
                items, items == 0 ? 0 : 100.0 * noVerdict / items);
        out.printf(Locale.ROOT, "drill: good items refused in the minute after the kill: %,d, %.3f%% of the crashed node's "
                + "good traffic (1/%d of %,.0f good items; target <= 1%%)%n", refusedMinute,
                crashedShareMinute == 0 ? 0 : 100.0 * refusedMinute / crashedShareMinute, nodes, itemsMinute * goodShare);
        out.printf(Locale.ROOT, "drill: the crashed node's sensors answered again %.1f s after the kill; full service "
                + "(no item unanswered at its try and no good item refused from then on) %.1f s after it (target <= 10 s)%n",
                back, full);
        double p99Before = before.getTotalCount() == 0 ? 0 : before.getValueAtPercentile(99) / 1000.0;
        double p99During = during.getTotalCount() == 0 ? 0 : during.getValueAtPercentile(99) / 1000.0;
        out.printf(Locale.ROOT, "drill: p99 of requests answered at their first try: %.1f ms in the 20 s before the kill, "
                + "%.1f ms from the kill to full service (%.1fx; target <= 5x)%n", p99Before, p99During,
                p99Before == 0 ? 0 : p99During / p99Before);
        out.printf(Locale.ROOT, "drill: gateway fleet: %,d items sent again, %,d good items accepted before (REPLAY on a "
                + "retry), %,d sent again as a fresh certificate after REPLAY_WINDOW_RESET%n", client.fleet().retries(),
                client.fleet().acceptedBefore(), client.fleet().freshAfterReset());
    }
}
