package org.microcert.protocol;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The chip's memory of the inbound certificates (COMMAND, ENC_DOWN) it accepted, for replay
 * detection: every (timestamp, random) pair inside the skew window, at most
 * {@link SensorChip#MAX_REMEMBERED}; when full it forgets the oldest and refuses anything not newer
 * (the floor), so center nodes need not agree on the order they send in (docs/protocol.md section 6).
 * Not thread-safe: the chip holds its lock around every use.
 */
final class ChipReplayMemory {

    private record Seen(long timestamp, long random) {
    }

    /** Inbound certificates accepted within the skew window. */
    private final Set<Seen> seen = new HashSet<>();
    /** Inbound certificates with a timestamp below this are refused as replays. */
    private long floor;

    /** The memory a kept {@link ChipState} describes. */
    static ChipReplayMemory of(ChipState kept) {
        ChipReplayMemory m = new ChipReplayMemory();
        m.floor = kept.replayFloor();
        kept.seen().forEach(x -> m.seen.add(new Seen(x.timestamp(), x.random())));
        return m;
    }

    /** Refuses {@code cert} as REPLAY if it was accepted before; forgets pairs older than the window first. */
    void check(MicroCertificate cert, long windowStart) throws VerificationException {
        seen.removeIf(s -> s.timestamp() < windowStart);
        if (cert.timestamp() < floor || seen.contains(new Seen(cert.timestamp(), cert.random()))) {
            throw new VerificationException(RejectReason.REPLAY, cert.type() + " certificate was already accepted");
        }
    }

    /** Remembers an accepted {@code cert}; when full, raises the floor past the oldest pair. */
    void remember(MicroCertificate cert) {
        if (seen.size() >= SensorChip.MAX_REMEMBERED) {
            long oldest = seen.stream().mapToLong(Seen::timestamp).min().orElse(floor);
            floor = Math.max(floor, oldest + 1);
            seen.removeIf(s -> s.timestamp() < floor);
        }
        seen.add(new Seen(cert.timestamp(), cert.random()));
    }

    /** A copy, to put back with {@link #restore} if keeping the new state fails. */
    ChipReplayMemory copy() {
        ChipReplayMemory c = new ChipReplayMemory();
        c.seen.addAll(seen);
        c.floor = floor;
        return c;
    }

    void restore(ChipReplayMemory from) {
        seen.clear();
        seen.addAll(from.seen);
        floor = from.floor;
    }

    /** The {@link ChipState} fields: the floor (capped to what a certificate timestamp can be) and the pairs. */
    long floor() {
        return Math.min(floor, CskDerivation.MAX_TIMESTAMP);
    }

    List<ChipState.Seen> pairs() {
        return seen.stream().map(x -> new ChipState.Seen(x.timestamp(), x.random())).toList();
    }
}
