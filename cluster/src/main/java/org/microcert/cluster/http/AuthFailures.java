package org.microcert.cluster.http;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Failed operator authentications per source address, in fixed windows: after {@code maxFailures}
 * in one window the source is refused (429) until the window ends, without its token being looked
 * at. Only a few audit records per source and window are asked for ({@link Verdict#audit}), so a
 * flood of wrong tokens cannot flood the audit trail. No timer, no thread held: a refusal is an
 * immediate answer with {@code Retry-After}.
 */
final class AuthFailures {

    /** What a failure means: whether to audit it (and with which count), and whether the source is now blocked. */
    record Verdict(boolean audit, int failuresInWindow, boolean nowBlocked, int previousWindowFailures) {}

    private static final int MAX_SOURCES = 100_000;

    private record Window(Instant start, int failures) {}

    private final int maxFailures;
    private final Duration window;
    private final Map<String, Window> bySource = new HashMap<>();

    AuthFailures(int maxFailures, Duration window) {
        if (maxFailures < 1 || window.isZero() || window.isNegative()) {
            throw new IllegalArgumentException("microcert.http.operator-auth-failures needs max-failures >= 1 "
                    + "and a positive window");
        }
        this.maxFailures = maxFailures;
        this.window = window;
    }

    /** How long {@code source} must still wait, if it is blocked. */
    synchronized Optional<Duration> blocked(String source, Instant now) {
        Window w = bySource.get(source);
        if (w == null || w.failures() < maxFailures) {
            return Optional.empty();
        }
        Instant end = w.start().plus(window);
        return now.isBefore(end) ? Optional.of(Duration.between(now, end)) : Optional.empty();
    }

    /**
     * Counts one failure. Audited: the first failure of a window (also reporting how many the
     * previous window of this source had beyond its first) and the one that blocks the source.
     */
    synchronized Verdict failure(String source, Instant now) {
        Window w = bySource.get(source);
        int previous = 0;
        if (w == null || !now.isBefore(w.start().plus(window))) {
            previous = w == null ? 0 : w.failures();
            if (bySource.size() >= MAX_SOURCES) {
                bySource.values().removeIf(x -> !now.isBefore(x.start().plus(window)));
                if (bySource.size() >= MAX_SOURCES) { // a flood from very many sources: forget the oldest state
                    bySource.clear();
                }
            }
            w = new Window(now, 0);
        }
        w = new Window(w.start(), w.failures() + 1);
        bySource.put(source, w);
        boolean first = w.failures() == 1;
        boolean blocks = w.failures() == maxFailures;
        return new Verdict(first || blocks, w.failures(), blocks, first ? previous : 0);
    }
}
