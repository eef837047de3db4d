package org.microcert.simulator.load;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.microcert.simulator.report.IntervalSample;
import org.microcert.simulator.report.LatencySummary;
import org.microcert.simulator.traffic.TrafficKind;

/**
 * Cuts the run into intervals: each {@link #sample} drains the interval histograms into the
 * per-kind totals and appends one {@link IntervalSample}. Called from one thread (the sampler).
 */
public final class Timeline {

    private final LoadMetrics metrics;
    private final OpenLoopDriver driver;
    private final RateSchedule schedule;
    private final Map<TrafficKind, Histogram> totals = new EnumMap<>(TrafficKind.class);
    private final Histogram sendLagTotal = new Histogram(3);
    private final List<IntervalSample> samples = new ArrayList<>();
    private long lastNanos;
    private long lastCompleted;
    private long lastItems;
    private long lastFailures;
    private long lastWrong;

    public Timeline(LoadMetrics metrics, OpenLoopDriver driver, RateSchedule schedule) {
        this.metrics = metrics;
        this.driver = driver;
        this.schedule = schedule;
    }

    /** Closes the interval ending at {@code nowNanos} (same clock as the driver). */
    public synchronized IntervalSample sample(long nowNanos) {
        if (lastNanos == 0) {
            lastNanos = driver.startNanos();
        }
        Histogram interval = new Histogram(3);
        metrics.takeIntervalLatencies().forEach((k, h) -> {
            totals.computeIfAbsent(k, x -> new Histogram(3)).add(h);
            interval.add(h);
        });
        Histogram lag = metrics.takeIntervalSendLag();
        sendLagTotal.add(lag);
        double seconds = Math.max(1e-9, (nowNanos - lastNanos) / 1e9);
        long completed = metrics.completed();
        long items = metrics.items();
        long failures = metrics.ledger().failures();
        long wrong = metrics.ledger().wrongOutcomes();
        double t = (nowNanos - driver.startNanos()) / 1e9;
        IntervalSample s = new IntervalSample(round(t), round(schedule.rateAt(nowNanos - driver.startNanos())),
                round((completed - lastCompleted) / seconds), round((items - lastItems) / seconds),
                LatencySummary.of(interval), LatencySummary.of(lag).p99Ms(), failures - lastFailures,
                wrong - lastWrong, driver.inFlight(), driver.waiting());
        samples.add(s);
        lastNanos = nowNanos;
        lastCompleted = completed;
        lastItems = items;
        lastFailures = failures;
        lastWrong = wrong;
        return s;
    }

    public synchronized List<IntervalSample> samples() {
        return List.copyOf(samples);
    }

    /** Totals per kind over the intervals sampled so far. */
    public synchronized Map<TrafficKind, LatencySummary> latencyByKind() {
        Map<TrafficKind, LatencySummary> out = new EnumMap<>(TrafficKind.class);
        totals.forEach((k, h) -> {
            if (h.getTotalCount() > 0) {
                out.put(k, LatencySummary.of(h));
            }
        });
        return out;
    }

    /** All requests of all kinds together. */
    public synchronized LatencySummary latencyAll() {
        Histogram all = new Histogram(3);
        totals.values().forEach(all::add);
        return LatencySummary.of(all);
    }

    /** Latencies of all requests of the given kinds together. */
    public synchronized LatencySummary latencyOf(List<TrafficKind> kinds) {
        Histogram all = new Histogram(3);
        kinds.forEach(k -> {
            Histogram h = totals.get(k);
            if (h != null) {
                all.add(h);
            }
        });
        return LatencySummary.of(all);
    }

    public synchronized LatencySummary sendLag() {
        return LatencySummary.of(sendLagTotal);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
