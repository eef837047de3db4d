package org.microcert.cluster.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.microcert.cluster.metrics.Metrics;

/**
 * Per-client rate limits on the device endpoints ({@code microcert.http.device-rate-limit}): a token
 * bucket per client, counted in certificates (a batch costs its items), refused with {@code 429}
 * and {@code Retry-After}. Each bucket is one {@link AtomicLong} updated by compare-and-set (GCRA, the
 * token bucket as a "theoretical arrival time"), so the hot path takes no lock. A bucket that has
 * refilled completely is indistinguishable from a new one, so idle clients are evicted without losing
 * anything; beyond {@code max-clients} busy clients, new ones share one overflow bucket (memory stays
 * bounded when many addresses flood at once).
 */
final class DeviceRateLimit {

    /** No limit (tests, and {@code enabled = off}). */
    static final DeviceRateLimit OFF = new DeviceRateLimit(false, 1, 1, 1, null);

    private static final long SWEEP_EVERY_NANOS = 1_000_000_000L;

    private final boolean enabled;
    private final long intervalNanos;
    private final long toleranceNanos;
    private final long burst;
    private final int maxClients;
    private final Metrics metrics;
    private final ConcurrentHashMap<String, AtomicLong> buckets = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep = new AtomicLong(Long.MIN_VALUE);
    /** Shared by the clients beyond max-clients (not in the map). */
    private final AtomicLong overflow = new AtomicLong(Long.MIN_VALUE / 2);

    DeviceRateLimit(boolean enabled, double perSecond, long burst, int maxClients, Metrics metrics) {
        this.enabled = enabled;
        this.intervalNanos = Math.max(1, Math.round(1e9 / perSecond));
        this.burst = burst;
        this.toleranceNanos = intervalNanos * burst;
        this.maxClients = maxClients;
        this.metrics = metrics;
        if (metrics != null) {
            metrics.rateLimitClients(buckets::size);
        }
    }

    /** From {@code microcert.http.device-rate-limit}; refuses, by path, values it cannot work with. */
    static DeviceRateLimit fromConfig(Config c, Metrics metrics) {
        if (!c.getBoolean("enabled")) {
            return OFF;
        }
        double rate = c.getDouble("certificates-per-second");
        long burst = c.getLong("burst");
        int maxClients = c.getInt("max-clients");
        if (!(rate > 0) || rate > 1e9) {
            throw new ConfigException.BadValue(c.origin(), "certificates-per-second", "must be above 0 and at most 1e9");
        }
        if (burst < ApiLimits.MAX_BATCH) { // a full batch must fit in a full bucket, or it could never pass
            throw new ConfigException.BadValue(c.origin(), "burst", "must be at least " + ApiLimits.MAX_BATCH
                    + " (one full batch)");
        }
        if (maxClients < 1) {
            throw new ConfigException.BadValue(c.origin(), "max-clients", "must be at least 1");
        }
        return new DeviceRateLimit(true, rate, burst, maxClients, metrics);
    }

    boolean enabled() {
        return enabled;
    }

    /** Who a client is, for its bucket: {@link GatewayIdentity#clientId} (verified gateway CN, else TCP peer). */
    static String clientOf(HttpRequest request) {
        return GatewayIdentity.clientId(request);
    }

    /**
     * Takes {@code cost} certificates from {@code client}'s bucket: 0 when admitted, else the
     * nanoseconds until that many will be there (nothing is taken then).
     */
    long acquire(String client, int cost, long nowNanos) {
        if (!enabled) {
            return 0;
        }
        AtomicLong bucket = bucket(client, nowNanos);
        long add = Math.min(cost, burst) * intervalNanos;
        while (true) {
            long tat = bucket.get();
            long next = Math.max(tat, nowNanos) + add;
            long wait = next - nowNanos - toleranceNanos;
            if (wait > 0) {
                return wait;
            }
            if (bucket.compareAndSet(tat, next)) {
                return 0;
            }
        }
    }

    /** Retry-After in whole seconds (at least 1) for a wait of {@code nanos}. */
    static long retryAfterSeconds(long nanos) {
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    void refused(String route) {
        if (metrics != null) {
            metrics.rateLimited(route);
        }
    }

    /** Clients with a bucket of their own. */
    int clients() {
        return buckets.size();
    }

    private AtomicLong bucket(String client, long nowNanos) {
        AtomicLong b = buckets.get(client);
        if (b != null) {
            return b;
        }
        if (buckets.size() >= maxClients) {
            sweep(nowNanos);
            if (buckets.size() >= maxClients) {
                return overflow;
            }
        }
        // a new client starts with a full bucket
        return buckets.computeIfAbsent(client, k -> new AtomicLong(nowNanos - toleranceNanos));
    }

    /** Drops buckets that are full again (at most once a second: it walks the whole map). */
    private void sweep(long nowNanos) {
        long last = lastSweep.get();
        if (last != Long.MIN_VALUE && nowNanos - last < SWEEP_EVERY_NANOS || !lastSweep.compareAndSet(last, nowNanos)) {
            return;
        }
        for (Iterator<Map.Entry<String, AtomicLong>> it = buckets.entrySet().iterator(); it.hasNext(); ) {
            if (it.next().getValue().get() <= nowNanos) {
                it.remove();
            }
        }
    }
}
