package org.microcert.cluster.sensor;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * One sensor's failed verifications (BAD_TAG) in the current window, and the delay its next failure's
 * answer gets: none while at most {@code max-failures} failed within {@code window}, then {@code delay}.
 * Only failures are delayed: every certificate is still verified, and a valid one is answered at once,
 * so forged traffic can slow its sender but never lock the genuine sensor out (docs/security.md,
 * "Abuse controls"). Confined to its entity.
 */
final class FailedVerifications {

    /** {@code microcert.sensor.failed-verifications}; {@code delay} zero: off. */
    record Settings(int maxFailures, Duration window, Duration delay) {

        static final Settings DEFAULT = new Settings(20, Duration.ofSeconds(60), Duration.ofSeconds(1));

        /** From the node's whole configuration; the defaults when the block is absent (entity tests). */
        static Settings fromConfig(Config root) {
            String p = "microcert.sensor.failed-verifications";
            if (!root.hasPath(p)) {
                return DEFAULT;
            }
            Config c = root.getConfig(p);
            Settings s = new Settings(c.getInt("max-failures"), c.getDuration("window"), c.getDuration("delay"));
            if (s.maxFailures < 0) {
                throw new ConfigException.BadValue(c.origin(), p + ".max-failures", "must be zero or more");
            }
            if (s.window.isNegative() || s.window.isZero()) {
                throw new ConfigException.BadValue(c.origin(), p + ".window", "must be a positive duration, e.g. 60s");
            }
            if (s.delay.isNegative() || s.delay.compareTo(Duration.ofHours(24)) > 0) {
                throw new ConfigException.BadValue(c.origin(), p + ".delay", "must be between 0 (off) and 24h");
            }
            return s;
        }
    }

    private final Settings settings;
    private long windowStartMillis = Long.MIN_VALUE;
    private int failures;

    FailedVerifications(Settings settings) {
        this.settings = settings;
    }

    /** A verification failed at {@code nowMillis}: how long its answer waits (zero: answer now). */
    Duration failed(long nowMillis) {
        if (settings.delay.isZero()) {
            return Duration.ZERO;
        }
        if (windowStartMillis == Long.MIN_VALUE || nowMillis - windowStartMillis >= settings.window.toMillis()) {
            windowStartMillis = nowMillis;
            failures = 0;
        }
        failures = failures == Integer.MAX_VALUE ? failures : failures + 1;
        return failures > settings.maxFailures ? settings.delay : Duration.ZERO;
    }
}
