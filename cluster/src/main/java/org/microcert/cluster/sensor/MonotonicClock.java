package org.microcert.cluster.sensor;

import java.time.Clock;
import java.time.Instant;

/**
 * The node's clock as one entity incarnation sees it: never going backwards, so pairs the replay
 * guard pruned as stale stay stale when the system clock steps back. Confined to its entity.
 */
final class MonotonicClock {

    private final Clock clock;
    private long last;

    MonotonicClock(Clock clock) {
        this.clock = clock;
    }

    Instant now() {
        last = Math.max(last, clock.millis());
        return Instant.ofEpochMilli(last);
    }
}
