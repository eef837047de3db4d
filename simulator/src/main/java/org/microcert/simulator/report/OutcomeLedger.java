package org.microcert.simulator.report;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.Verdict;

/**
 * Expected versus actual outcomes per traffic kind, counted per item (a batch of 50 certificates is
 * 50 items). Thread-safe: completions are recorded from the HTTP client's threads.
 */
public final class OutcomeLedger {

    private final Map<TrafficKind, Tally> tallies = new EnumMap<>(TrafficKind.class);

    public OutcomeLedger() {
        for (TrafficKind k : TrafficKind.values()) {
            tallies.put(k, new Tally());
        }
    }

    /** Counts one item's verdict. */
    public void record(TrafficKind kind, Verdict verdict) {
        Tally t = tallies.get(kind);
        if (verdict instanceof Verdict.Accepted) {
            t.accepted.increment();
        } else if (verdict instanceof Verdict.Rejected r) {
            t.rejected.computeIfAbsent(r.reason(), x -> new LongAdder()).increment();
        } else if (verdict instanceof Verdict.Failed f) {
            t.failed.computeIfAbsent(f.error(), x -> new LongAdder()).increment();
        }
    }

    /** Items whose outcome contradicts their kind so far. */
    public long wrongOutcomes() {
        return snapshot().stream().mapToLong(KindOutcome::wrong).sum();
    }

    /** Items that got no verdict so far. */
    public long failures() {
        return snapshot().stream().mapToLong(KindOutcome::failed).sum();
    }

    /** A consistent-enough copy for reports (counters are read one after the other). */
    public List<KindOutcome> snapshot() {
        List<KindOutcome> out = new ArrayList<>();
        for (Map.Entry<TrafficKind, Tally> e : tallies.entrySet()) {
            TrafficKind k = e.getKey();
            Tally t = e.getValue();
            Map<String, Long> rejected = sum(t.rejected);
            Map<String, Long> failed = sum(t.failed);
            long accepted = t.accepted.sum();
            long rejectedTotal = rejected.values().stream().mapToLong(Long::longValue).sum();
            long failedTotal = failed.values().stream().mapToLong(Long::longValue).sum();
            if (accepted + rejectedTotal + failedTotal == 0) {
                continue;
            }
            long unexpectedReason = k.adversarial()
                    ? rejected.entrySet().stream().filter(r -> !k.expectedReasons().contains(r.getKey()))
                            .mapToLong(Map.Entry::getValue).sum()
                    : 0;
            long wrong = k.adversarial() ? accepted : rejectedTotal;
            out.add(new KindOutcome(k.label(), k.adversarial() ? "reject" : "accept",
                    List.copyOf(k.expectedReasons()), accepted + rejectedTotal + failedTotal, accepted,
                    rejectedTotal, failedTotal, wrong, unexpectedReason, rejected, failed));
        }
        return out;
    }

    private static Map<String, Long> sum(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private static final class Tally {
        final LongAdder accepted = new LongAdder();
        final Map<String, LongAdder> rejected = new ConcurrentHashMap<>();
        final Map<String, LongAdder> failed = new ConcurrentHashMap<>();
    }

    /**
     * Outcomes of one kind.
     *
     * @param expected         {@code accept} or {@code reject}
     * @param wrong            bad items accepted, or good items rejected
     * @param unexpectedReason bad items rejected, but for another reason than the expected ones
     */
    public record KindOutcome(String kind, String expected, List<String> expectedReasons, long items,
                              long accepted, long rejected, long failed, long wrong, long unexpectedReason,
                              Map<String, Long> rejectedByReason, Map<String, Long> failedByError) {}
}
