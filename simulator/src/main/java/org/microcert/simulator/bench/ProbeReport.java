package org.microcert.simulator.bench;

import static org.microcert.simulator.bench.BenchResults.round;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.microcert.simulator.load.Operation;
import org.microcert.simulator.report.ReportWriter;
import org.microcert.simulator.report.RunReport;

/**
 * The machine probe as the benchmark runs and reports it: a reading of the baseline at a fixed rate
 * ({@link MachineProbe} holds what a reading is and when two differ), and the verdict on two readings.
 */
public final class ProbeReport {

    private ProbeReport() {}

    /** One machine probe ({@link MachineProbe}): the baseline at --probe-rate for {@code duration}, with the CPU it cost. */
    static MachineProbe.Reading probe(StepRunner steps, double probeRate, String when, Operation.Source hello,
                                      Duration duration, PrintStream out) throws InterruptedException {
        MachineProbe.CpuTimes machineBefore = MachineProbe.CpuTimes.now();
        CpuMeter.Snapshot before = steps.cpu().snapshot();
        RunReport r = steps.step(hello, probeRate, duration);
        Map<String, Double> cores = steps.cpu().snapshot().coresSince(before);
        double steal = MachineProbe.CpuTimes.stealShare(machineBefore, MachineProbe.CpuTimes.now()).orElse(Double.NaN);
        double hash = MachineProbe.hashMegabytesPerSecond(Duration.ofSeconds(1));
        MachineProbe.Reading reading = new MachineProbe.Reading(probeRate, r.summary().requestsPerSecond(),
                r.summary().all().p99Ms(), r.summary().failures(), cores, steal, hash);
        out.printf(Locale.ROOT, "machine probe %-7s hello-world at %,.0f/s for %d s: answered %,.0f/s, p99 %.2f ms, "
                        + "%s%s%n", when, probeRate, duration.toSeconds(), reading.answeredPerSecond(), reading.p99Ms(),
                Double.isNaN(reading.cpuMicrosPerRequest()) ? "no CPU figure (watch the baseline: --watch-pid hello=PID)"
                        : String.format(Locale.ROOT, "%.0f us of the baseline's CPU per request", reading.cpuMicrosPerRequest()),
                (Double.isNaN(steal) ? "" : String.format(Locale.ROOT, ", steal %.1f%% of the machine", 100 * steal))
                        + String.format(Locale.ROOT, "; SHA-256 on one core %.0f MB/s", hash)
                        + (when.equals("warm-up") ? " (not compared)" : ""));
        return reading;
    }

    /**
     * The probe's JSON, and its verdict printed to {@code out}: each figure's change and whether it
     * moved beyond the limit ({@link MachineProbe.Drift}). {@code warm} (null: none ran) is reported
     * only, so a reader can see whether the baseline had settled before "before".
     */
    public static ObjectNode json(double rate, Duration duration, MachineProbe.Reading warm, MachineProbe.Reading before,
                               MachineProbe.Reading after, PrintStream out) {
        ObjectNode n = ReportWriter.json().createObjectNode();
        n.put("rate", round(rate)).put("seconds", duration.toSeconds());
        n.put("cpuCounted", MachineProbe.COUNTED);
        if (warm != null) {
            readingJson(n.putObject("warmUp"), warm);
        }
        readingJson(n.putObject("before"), before);
        readingJson(n.putObject("after"), after);
        MachineProbe.Drift drift = MachineProbe.drift(before, after);
        if (!Double.isNaN(drift.cpuChange())) {
            n.put("cpuPerRequestChange", Math.round(drift.cpuChange() * 1000) / 1000.0);
        }
        if (!Double.isNaN(drift.hashChange())) {
            n.put("hashSpeedChange", Math.round(drift.hashChange() * 1000) / 1000.0);
        }
        n.put("cpuDrifted", drift.cpuDrifted()).put("hashDrifted", drift.hashDrifted())
                .put("drifted", drift.drifted()).put("driftLimit", MachineProbe.DRIFT_LIMIT);
        String cpuPart = Double.isNaN(drift.cpuChange()) ? "no CPU per request figure (the baseline not watched, or nothing answered)"
                : String.format(Locale.ROOT, "the baseline's CPU per request %.0f us before, %.0f us after (%+.1f%%)",
                        before.cpuMicrosPerRequest(), after.cpuMicrosPerRequest(), 100 * drift.cpuChange());
        // which one: the CPU figure alone moving has been the baseline settling, not the machine
        String moved = drift.cpuDrifted() && drift.hashDrifted() ? "both the CPU per request and the hash speed"
                : drift.cpuDrifted() ? "only the baseline's CPU per request" : "only one core's hash speed";
        out.printf(Locale.ROOT, "machine probe: %s; one core's SHA-256 %.0f MB/s before, %.0f after (%+.1f%%)%s%n", cpuPart,
                before.hashMegabytesPerSecond(), after.hashMegabytesPerSecond(), 100 * drift.hashChange(),
                drift.drifted() ? ": CAUTION, " + moved + " moved by more than " + Math.round(100 * MachineProbe.DRIFT_LIMIT)
                        + "% during this run: its early and late figures may not be comparable" : ": the machine held steady");
        return n;
    }

    private static void readingJson(ObjectNode o, MachineProbe.Reading r) {
        o.put("answeredPerSecond", round(r.answeredPerSecond())).put("p99Ms", round(r.p99Ms())).put("failures", r.failures())
                .put("hashMegabytesPerSecond", round(r.hashMegabytesPerSecond()));
        if (!Double.isNaN(r.cpuMicrosPerRequest())) { // nothing answered: no figure rather than a 0
            o.put("cpuMicrosPerRequest", round(r.cpuMicrosPerRequest()));
        }
        if (!Double.isNaN(r.stealShare())) {
            o.put("stealShare", Math.round(r.stealShare() * 10_000) / 10_000.0);
        }
        ObjectNode cores = o.putObject("cpuCores");
        r.cores().forEach((process, c) -> cores.put(process, round(c)));
    }
}
