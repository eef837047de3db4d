package org.microcert.simulator.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.microcert.simulator.report.OutcomeLedger;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.Verdict;

/** Drives the driver with a hand-moved clock and answers the test completes itself. */
class OpenLoopDriverTest {

    private static final long MS = 1_000_000;

    private long now;
    private final List<CompletableFuture<List<Operation.Item>>> answers = new ArrayList<>();
    private final LoadMetrics metrics = new LoadMetrics();

    private OpenLoopDriver driver(double rate, int seconds, int maxInFlight, TrafficKind kind) {
        return driver(rate, seconds, maxInFlight, kind, OpenLoopDriver.MAX_WAITING);
    }

    private OpenLoopDriver driver(double rate, int seconds, int maxInFlight, TrafficKind kind, int maxWaiting) {
        Operation.Source source = index -> new Operation() {
            @Override
            public TrafficKind kind() {
                return kind;
            }

            @Override
            public CompletableFuture<List<Item>> send() {
                CompletableFuture<List<Item>> f = new CompletableFuture<>();
                answers.add(f);
                return f;
            }
        };
        OpenLoopDriver d = new OpenLoopDriver(new RateSchedule(rate, Duration.ZERO, Duration.ofSeconds(seconds)),
                source, maxInFlight, metrics, Runnable::run, () -> now, maxWaiting);
        d.start(0);
        return d;
    }

    private void answer(int request, Verdict v, TrafficKind kind) {
        answers.get(request).complete(List.of(new Operation.Item(kind, v)));
    }

    @Test
    void requestsAreSentWhenDueWhateverEarlierAnswersDo() {
        OpenLoopDriver d = driver(1_000, 1, 100, TrafficKind.AUTHENTICATE);
        now = 10 * MS;
        d.dispatchDue(now);
        // 0..10 ms inclusive are due; none answered, all sent anyway
        assertEquals(11, answers.size());
        assertEquals(11, d.inFlight());
        assertEquals(0, d.waiting());
    }

    @Test
    void latencyCountsFromTheDueTimeWhenRequestsQueueForAConnection() {
        OpenLoopDriver d = driver(1_000, 1, 1, TrafficKind.AUTHENTICATE);
        now = 4 * MS;
        d.dispatchDue(now);
        assertEquals(1, answers.size());
        assertEquals(4, d.waiting());
        // the center answers request 0 at 4 ms; request 1 (due at 1 ms) goes out only now
        answer(0, Verdict.ACCEPTED, TrafficKind.AUTHENTICATE);
        assertEquals(2, answers.size());
        now = 9 * MS;
        answer(1, Verdict.ACCEPTED, TrafficKind.AUTHENTICATE);
        Histogram h = metrics.takeIntervalLatencies().get(TrafficKind.AUTHENTICATE);
        assertEquals(2, h.getTotalCount());
        // request 0: due 0, answered 4 ms; request 1: due 1 ms, answered 9 ms -> 8 ms, though it was
        // in flight only 5 ms: the wait for the connection counts
        assertEquals(4_000, h.getMinValue(), 10);
        assertEquals(8_000, h.getMaxValue(), 10);
        Histogram lag = metrics.takeIntervalSendLag();
        // the send lag is the scheduler's lateness only: requests 0..4 were released at 4 ms, request 0
        // 4 ms after it was due; the wait for the connection shows in the latency, not here
        assertEquals(5, lag.getTotalCount());
        assertEquals(4_000, lag.getMaxValue(), 10);
    }

    @Test
    void everyItemIsCountedAndAFailedAnswerReleasesItsConnection() {
        OpenLoopDriver d = driver(1_000, 1, 1, TrafficKind.FORGED_TAG);
        now = 2 * MS;
        d.dispatchDue(now);
        answer(0, Verdict.rejected("BAD_TAG"), TrafficKind.FORGED_TAG);
        answers.get(1).completeExceptionally(new IllegalStateException("boom"));
        answer(2, Verdict.ACCEPTED, TrafficKind.FORGED_TAG);
        assertEquals(0, d.inFlight());
        assertEquals(3, metrics.completed());
        Map<String, OutcomeLedger.KindOutcome> byKind = new java.util.HashMap<>();
        metrics.ledger().snapshot().forEach(o -> byKind.put(o.kind(), o));
        OutcomeLedger.KindOutcome o = byKind.get("forged-tag");
        assertEquals(3, o.items());
        assertEquals(1, o.rejected());
        assertEquals(1, o.failed());
        assertEquals(1, o.wrong()); // the accepted forgery
    }

    @Test
    void aCenterFarBehindStopsTheScheduleInsteadOfFillingMemory() {
        OpenLoopDriver d = driver(1_000, 1, 1, TrafficKind.AUTHENTICATE, 100);
        now = 500 * MS;
        assertEquals(false, d.dispatchDue(now)); // nothing more will be scheduled
        assertEquals(true, d.overflowed());
        // one sent, a hundred waiting: the other 399 due ones were never queued
        assertEquals(101, d.scheduled());
        assertEquals(100, d.waiting());
        answer(0, Verdict.ACCEPTED, TrafficKind.AUTHENTICATE);
        assertEquals(99, d.waiting());

        OpenLoopDriver keepingUp = driver(1_000, 1, 1_000, TrafficKind.AUTHENTICATE, 100);
        now = 1_000 * MS;
        keepingUp.dispatchDue(now);
        assertEquals(false, keepingUp.overflowed());
    }

    @Test
    void theScheduleEndsAfterItsLastRequestAndStopEndsItEarly() {
        OpenLoopDriver d = driver(100, 1, 1_000, TrafficKind.AUTHENTICATE);
        now = 5_000 * MS;
        assertEquals(false, d.dispatchDue(now));
        assertEquals(100, answers.size());

        answers.clear();
        OpenLoopDriver stopped = driver(100, 1, 1_000, TrafficKind.AUTHENTICATE);
        now = 100 * MS;
        stopped.dispatchDue(now);
        stopped.stop();
        now = 900 * MS;
        assertEquals(false, stopped.dispatchDue(now));
        assertEquals(11, answers.size());
    }
}
