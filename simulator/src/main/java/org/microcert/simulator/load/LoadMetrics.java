package org.microcert.simulator.load;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.microcert.simulator.report.OutcomeLedger;
import org.microcert.simulator.traffic.TrafficKind;

/**
 * Everything a run measures. Latencies are in microseconds, from the time a request was
 * <em>due</em> to the time its answer arrived, so time spent waiting for a connection or behind a
 * slow answer counts (no coordinated omission). The send lag (time the scheduler released a request
 * minus its due time; a wait for a free connection is not in it) tells whether the simulator itself
 * kept up.
 */
public final class LoadMetrics {

    /** Highest latency the histograms track: one hour, in microseconds. */
    static final long MAX_MICROS = TimeUnit.HOURS.toMicros(1);

    private final Map<TrafficKind, Recorder> latency = new EnumMap<>(TrafficKind.class);
    private final Recorder sendLag = new Recorder(MAX_MICROS, 3);
    private final OutcomeLedger ledger = new OutcomeLedger();
    final LongAdder sent = new LongAdder();
    final LongAdder completed = new LongAdder();
    final LongAdder items = new LongAdder();

    public LoadMetrics() {
        for (TrafficKind k : TrafficKind.values()) {
            latency.put(k, new Recorder(MAX_MICROS, 3));
        }
    }

    void recordLatency(TrafficKind kind, long nanos) {
        latency.get(kind).recordValue(clamp(nanos));
    }

    void recordSendLag(long nanos) {
        sendLag.recordValue(clamp(nanos));
    }

    private static long clamp(long nanos) {
        return Math.min(MAX_MICROS, Math.max(0, nanos / 1000));
    }

    public OutcomeLedger ledger() {
        return ledger;
    }

    public long sent() {
        return sent.sum();
    }

    public long completed() {
        return completed.sum();
    }

    public long items() {
        return items.sum();
    }

    /** Latencies recorded since the previous call, per kind (each call resets the interval). */
    public Map<TrafficKind, Histogram> takeIntervalLatencies() {
        Map<TrafficKind, Histogram> out = new EnumMap<>(TrafficKind.class);
        latency.forEach((k, r) -> out.put(k, r.getIntervalHistogram()));
        return out;
    }

    /** Send lags recorded since the previous call. */
    public Histogram takeIntervalSendLag() {
        return sendLag.getIntervalHistogram();
    }
}
