package org.microcert.simulator.load;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.Verdict;

/**
 * Open-loop load: request {@code n} is due at {@link RateSchedule#dueNanos(long)} whatever happened
 * to earlier requests. At most {@code maxInFlight} requests are outstanding (the connection budget);
 * requests due while the budget is spent wait in a queue, and their latency still counts from their
 * due time, so a slow center shows up as latency instead of as a quietly lower rate.
 *
 * <p>The clock is injected so that the accounting can be tested without real time: {@link #start},
 * then {@link #dispatchDue} with a time. {@link #run} drives both from {@code System.nanoTime()}.
 */
public final class OpenLoopDriver {

    /**
     * Most requests waiting for a connection (about 60 bytes each: 60 MB). A center that far behind
     * has failed the run already; beyond it the queue would grow until the JVM runs out of memory.
     * The driver then stops scheduling and says so ({@link #overflowed()}).
     */
    public static final int MAX_WAITING = 1_000_000;

    private final RateSchedule schedule;
    private final Operation.Source source;
    private final int maxInFlight;
    private final LoadMetrics metrics;
    private final Executor completions;
    private final LongSupplier clock;
    private final long total;
    private final int maxWaiting;

    private final ConcurrentLinkedQueue<Slot> waiting = new ConcurrentLinkedQueue<>();
    // the queue's size() walks the whole queue
    private final AtomicLong waitingCount = new AtomicLong();
    private volatile boolean overflowed;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();
    private volatile boolean stopped;
    private long startNanos;
    private long next;

    /**
     * @param completions runs the completion callbacks (never the common pool: on 2 cores it spawns
     *                    a thread per callback)
     */
    public OpenLoopDriver(RateSchedule schedule, Operation.Source source, int maxInFlight, LoadMetrics metrics,
                          Executor completions, LongSupplier clock) {
        this(schedule, source, maxInFlight, metrics, completions, clock, MAX_WAITING);
    }

    /** @param maxWaiting most requests waiting for a connection before the driver gives up */
    OpenLoopDriver(RateSchedule schedule, Operation.Source source, int maxInFlight, LoadMetrics metrics,
                   Executor completions, LongSupplier clock, int maxWaiting) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("connections must be at least 1");
        }
        this.schedule = schedule;
        this.source = source;
        this.maxInFlight = maxInFlight;
        this.metrics = metrics;
        this.completions = completions;
        this.clock = clock;
        this.total = schedule.totalRequests();
        this.maxWaiting = maxWaiting;
    }

    /** Fixes time zero of the schedule. */
    public void start(long startNanos) {
        this.startNanos = startNanos;
    }

    public long startNanos() {
        return startNanos;
    }

    /**
     * Sends (or queues, when the connection budget is spent) every request due by {@code nowNanos}.
     *
     * @return true while requests remain to be scheduled
     */
    public boolean dispatchDue(long nowNanos) {
        while (next < total && !stopped && startNanos + schedule.dueNanos(next) <= nowNanos) {
            if (waitingCount.get() >= maxWaiting && drainReturnsFull()) {
                overflowed = true;
                stopped = true;
                break;
            }
            long due = startNanos + schedule.dueNanos(next);
            metrics.recordSendLag(nowNanos - due); // the scheduler's own lateness, not a wait for a connection
            waiting.add(new Slot(next, due));
            waitingCount.incrementAndGet();
            next++;
        }
        drain();
        return next < total && !stopped;
    }

    /** Requests sent and not yet answered. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Requests due but waiting for a free connection. */
    public int waiting() {
        return (int) Math.max(0, waitingCount.get());
    }

    /** The driver stopped because {@link #MAX_WAITING} requests were waiting for a connection. */
    public boolean overflowed() {
        return overflowed;
    }

    /** Requests made due so far. */
    public long scheduled() {
        return next;
    }

    /** Stops scheduling new requests (outstanding ones still complete). */
    public void stop() {
        stopped = true;
    }

    /**
     * Runs the whole schedule in real time on the calling thread, then waits up to {@code drain} for
     * outstanding answers.
     *
     * @return the number of requests still unanswered after the drain period (0 normally)
     */
    public int run(long drainNanos) throws InterruptedException {
        start(clock.getAsLong());
        while (dispatchDue(clock.getAsLong())) {
            long wait = startNanos + schedule.dueNanos(next) - clock.getAsLong();
            if (wait > 0) {
                LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(5)));
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        if (stopped) {
            while (waiting.poll() != null) {
                waitingCount.decrementAndGet();
            }
        }
        return awaitIdle(drainNanos);
    }

    private int awaitIdle(long drainNanos) throws InterruptedException {
        long deadline = System.nanoTime() + drainNanos;
        idleLock.lock();
        try {
            while (inFlight.get() + waiting() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                idle.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
        } finally {
            idleLock.unlock();
        }
        return inFlight.get() + waiting();
    }

    /** Sends what the free connections take: true when the queue is still at its limit. */
    private boolean drainReturnsFull() {
        drain();
        return waitingCount.get() >= maxWaiting;
    }

    private void drain() {
        while (!waiting.isEmpty()) {
            int n = inFlight.get();
            if (n >= maxInFlight) {
                return;
            }
            if (!inFlight.compareAndSet(n, n + 1)) {
                continue;
            }
            Slot slot = waiting.poll();
            if (slot == null) {
                release();
                continue;
            }
            waitingCount.decrementAndGet();
            send(slot);
        }
    }

    private void send(Slot slot) {
        metrics.sent.increment();
        Operation op;
        CompletableFuture<List<Operation.Item>> answer;
        try {
            op = source.create(slot.index);
            answer = op.send();
        } catch (RuntimeException e) {
            // a bug in building the request: count it, never lose the permit
            metrics.ledger().record(TrafficKind.AUTHENTICATE,
                    Verdict.failed("client-" + e.getClass().getSimpleName()));
            metrics.completed.increment();
            release();
            return;
        }
        answer.whenCompleteAsync((items, error) -> complete(op, slot, items, error), completions);
    }

    private void complete(Operation op, Slot slot, List<Operation.Item> items, Throwable error) {
        metrics.recordLatency(op.kind(), clock.getAsLong() - slot.dueNanos);
        if (error != null || items == null) {
            metrics.ledger().record(op.kind(), Verdict.failed("client-error"));
            metrics.items.increment();
        } else {
            for (Operation.Item item : items) {
                metrics.ledger().record(item.kind(), item.verdict());
            }
            metrics.items.add(items.size());
        }
        metrics.completed.increment();
        release();
        drain();
    }

    private void release() {
        if (inFlight.decrementAndGet() == 0 && waiting.isEmpty()) {
            idleLock.lock();
            try {
                idle.signalAll();
            } finally {
                idleLock.unlock();
            }
        }
    }

    private record Slot(long index, long dueNanos) {}
}
