package org.microcert.simulator.gateway;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.microcert.simulator.traffic.Verdict;

/**
 * How the {@link GatewayClient} picks a gateway, and, once {@link #start}ed, behaves like a fleet of
 * gateways behind a load balancer (docs/http-api.md "When a node is lost"): a gateway that refuses
 * connections is left alone for {@value #DEAD_GATEWAY_PAUSE_MS} ms; an item without a verdict (503
 * UNAVAILABLE, a transport error) is sent again after the answer's Retry-After to another gateway,
 * up to {@value #MAX_ATTEMPTS} tries within 30 s; a good item retried after an answer that may have
 * been its acceptance and then answered REPLAY counts as accepted before; a good item refused
 * REPLAY_WINDOW_RESET on a retry is replaced by a fresh certificate of its sensor, as a gateway would
 * ask its sensor for one. A retry's wait holds no connection: at most {@code connections} requests
 * are on the wire, the others wait here in order.
 */
public final class GatewayFleet {

    static final int MAX_ATTEMPTS = 20;
    /** How long an item is retried at most: a node's sensors move in about 8 s, and a gateway keeps a message that long. */
    static final long RETRY_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(30);
    static final long DEAD_GATEWAY_PAUSE_MS = 5_000;
    /** A batch item without a verdict: its shard was moving; the batch answer carries no Retry-After. */
    static final long RETRY_UNAVAILABLE_ITEM_MS = 1_000;
    static final long MIN_RETRY_MS = 100;

    private final List<URI> gateways;
    private final Executor executor;
    private final AtomicInteger roundRobin = new AtomicInteger();
    // a gateway that refused a connection is skipped until then (nanos)
    private final long[] downUntil;
    private volatile boolean active;
    private Permits connections;
    private final LongAdder retries = new LongAdder();
    private final LongAdder unavailableRetries = new LongAdder();
    private final LongAdder acceptedBefore = new LongAdder();
    private final LongAdder freshAfterReset = new LongAdder();
    // requests answered in full at their first try, microseconds from send to answer
    private final Recorder firstTry = new Recorder(TimeUnit.HOURS.toMicros(1), 3);

    GatewayFleet(List<URI> gateways, Executor executor) {
        this.gateways = gateways;
        this.executor = executor;
        this.downUntil = new long[gateways.size()];
    }

    void start(int maxConnections) {
        connections = new Permits(maxConnections);
        active = true;
    }

    boolean active() {
        return active;
    }

    /** Items sent again. */
    public long retries() {
        return retries.sum();
    }

    /** Items sent again because the center answered none (503, UNAVAILABLE), not for a gateway's refused connection. */
    public long unavailableRetries() {
        return unavailableRetries.sum();
    }

    /** Good items answered REPLAY on a retry after an answer that may have been their acceptance. */
    public long acceptedBefore() {
        return acceptedBefore.sum();
    }

    /** Retried items refused REPLAY_WINDOW_RESET and sent again as a fresh certificate of their sensor. */
    public long freshAfterReset() {
        return freshAfterReset.sum();
    }

    /**
     * Latencies (microseconds, send to answer) of the requests answered in full at their first try
     * since the previous call: the traffic a failure did not touch.
     */
    public Histogram takeFirstTryLatencies() {
        return firstTry.getIntervalHistogram();
    }

    /** How long from now an item may be retried, in nanoseconds. */
    long deadline(Duration timeout) {
        return Math.max(timeout.toNanos(), RETRY_WINDOW_NANOS);
    }

    /** The next gateway round-robin, skipping those that refused connections lately (all down: any). */
    URI gateway() {
        long now = System.nanoTime();
        for (int i = 0; i < gateways.size(); i++) {
            int k = Math.floorMod(roundRobin.getAndIncrement(), gateways.size());
            if (!active || downUntil[k] - now <= 0) {
                return gateways.get(k);
            }
        }
        return gateways.get(Math.floorMod(roundRobin.getAndIncrement(), gateways.size()));
    }

    /** A transport error at {@code uri}'s gateway: connection refused or impossible, it is down for a while. */
    void noted(URI uri, String error) {
        if (active && error != null && (error.startsWith("connect") || error.equals("io"))) {
            for (int k = 0; k < gateways.size(); k++) {
                URI g = gateways.get(k);
                if (g.getHost().equals(uri.getHost()) && g.getPort() == uri.getPort()) {
                    downUntil[k] = System.nanoTime() + DEAD_GATEWAY_PAUSE_MS * 1_000_000;
                }
            }
        }
    }

    /** An item still to be answered: its position, its certificate, and whether an earlier try may have been accepted. */
    record Pending(int index, byte[] certificate, Supplier<byte[]> fresh, boolean inDoubt, boolean retried) {}

    /** The verdicts of one try, and how long to wait before the next (the answer's Retry-After). */
    record Attempt(List<Verdict> verdicts, long retryAfterMillis) {}

    /** Sends {@code pending} to a gateway (null: the request as first prepared). */
    interface Try {
        CompletableFuture<Attempt> send(URI gateway, List<Pending> pending);
    }

    /**
     * One round of tries after {@code delayMillis}, then another for what got no verdict, until
     * every item has one, {@link #MAX_ATTEMPTS} or the deadline.
     */
    CompletableFuture<Void> rounds(Try attempt, List<Pending> pending, Verdict[] out, boolean good, byte[] expected,
                                   int round, long deadline, long delayMillis) {
        Executor after = delayMillis > 0 ? CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS, executor)
                : executor;
        long[] sent = new long[1];
        return CompletableFuture.supplyAsync(() -> {
                    sent[0] = System.nanoTime();
                    return round == 1 ? null : gateway();
                }, after)
                .thenCompose(g -> connections.acquire().thenCompose(x -> attempt.send(g, pending))
                        .whenComplete((a, e) -> connections.release()))
                .thenCompose(a -> {
                    List<Pending> again = new ArrayList<>();
                    boolean mayRetry = round < MAX_ATTEMPTS && System.nanoTime() < deadline;
                    for (int k = 0; k < pending.size(); k++) {
                        Pending p = pending.get(k);
                        Verdict v = a.verdicts().get(k);
                        String reason = v instanceof Verdict.Rejected r ? r.reason() : "";
                        if (v instanceof Verdict.Failed f && mayRetry) {
                            retries.increment();
                            // refused before any gateway took it: it cannot have been accepted
                            boolean maybeAccepted = !f.error().startsWith("connect");
                            if (maybeAccepted) {
                                unavailableRetries.increment();
                            }
                            again.add(new Pending(p.index(), p.certificate(), p.fresh(), p.inDoubt() || maybeAccepted, true));
                        } else if (good && p.inDoubt() && reason.equals("REPLAY")) {
                            // only our own earlier try can have been accepted: a good certificate is sent by nobody else
                            acceptedBefore.increment();
                            out[p.index()] = Verdict.ACCEPTED;
                        } else if (good && p.retried() && p.fresh() != null && mayRetry
                                && reason.equals("REPLAY_WINDOW_RESET")) {
                            freshAfterReset.increment();
                            again.add(new Pending(p.index(), p.fresh().get(), null, false, true));
                        } else {
                            out[p.index()] = v;
                        }
                    }
                    if (again.isEmpty()) {
                        if (round == 1) {
                            firstTry.recordValue(Math.min(TimeUnit.HOURS.toMicros(1), (System.nanoTime() - sent[0]) / 1000));
                        }
                        return CompletableFuture.completedFuture(null);
                    }
                    return rounds(attempt, again, out, good, expected, round + 1, deadline,
                            Math.max(MIN_RETRY_MS, a.retryAfterMillis()));
                });
    }

    /** The answer's Retry-After in milliseconds (seconds form only), else 1 s for a 503, else 0. */
    static long retryAfterMillis(HttpResponse<byte[]> resp) {
        try {
            return resp.headers().firstValue("Retry-After").map(v -> Long.parseLong(v.trim()) * 1000)
                    .orElse(resp.statusCode() == 503 ? 1000L : 0L);
        } catch (NumberFormatException httpDate) {
            return 1000;
        }
    }

    /** A counting permit whose waiters are futures: no thread blocks. */
    static final class Permits {
        private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
        private int free;

        Permits(int n) {
            free = n;
        }

        synchronized CompletableFuture<Void> acquire() {
            if (free > 0) {
                free--;
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            waiting.add(f);
            return f;
        }

        void release() {
            CompletableFuture<Void> next;
            synchronized (this) {
                next = waiting.poll();
                if (next == null) {
                    free++;
                    return;
                }
            }
            next.complete(null); // outside the lock: it sends the next request
        }
    }
}
