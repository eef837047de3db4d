package org.microcert.simulator.load;

import java.time.Duration;

/**
 * When each request is due, independent of when earlier ones were answered (open loop). The rate
 * climbs linearly from zero to {@code rate} over {@code ramp}, then stays constant until
 * {@code duration} is over. Request {@code n} (from 0) is due at the time {@code t} where the
 * integral of the rate reaches {@code n}: during the ramp {@code n = rate t^2 / (2 ramp)}, after it
 * {@code n = rate (t - ramp / 2)}.
 */
public record RateSchedule(double rate, Duration ramp, Duration duration) {

    /**
     * Highest --rate one simulator process is asked for. Each request costs the java.net.http client
     * about 250 us of CPU (0.45-0.55 cores at ~2,000 requests/s on the 2-core machine of
     * docs/benchmarks.md), so 100,000/s would already need some 25 cores for the client alone; a rate
     * beyond what the client can send only fills the queue of requests waiting for a connection.
     */
    public static final double MAX_RATE = 100_000;

    public RateSchedule {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate must be a positive number of requests per second");
        }
        if (ramp.isNegative() || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("ramp must be >= 0 and duration > 0");
        }
        if (ramp.compareTo(duration) > 0) {
            throw new IllegalArgumentException("ramp (" + ramp.toSeconds() + " s) must not exceed the duration ("
                    + duration.toSeconds() + " s)");
        }
    }

    /** Number of requests due within the duration. */
    public long totalRequests() {
        double d = seconds(duration);
        double r = seconds(ramp);
        return (long) Math.floor(rate * (d - r / 2));
    }

    /** Nanoseconds after the start at which request {@code n} is due. */
    public long dueNanos(long n) {
        double r = seconds(ramp);
        double rampRequests = rate * r / 2;
        double t = n < rampRequests ? Math.sqrt(2 * n * r / rate) : n / rate + r / 2;
        return (long) (t * 1e9);
    }

    /** The intended rate at {@code nanos} after the start. */
    public double rateAt(long nanos) {
        double t = nanos / 1e9;
        double r = seconds(ramp);
        return t >= r ? rate : rate * t / r;
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
