package org.microcert.cluster.replay;

import java.util.Arrays;

/**
 * Replay protection of one sensor: each (timestamp, random) pair is accepted at most once, across
 * restarts and shard moves, without a journal write per certificate (docs/cluster.md).
 *
 * <ul>
 *   <li>In memory: the pairs accepted within the clock-skew window. Older pairs need no memory: the
 *       verifier rejects their timestamps as stale anyway (same skew, same clock).</li>
 *   <li>Persisted: a reservation R. A certificate with timestamp t &gt; R is accepted only after a new
 *       reservation max(t, now) + ahead has been journaled ({@link Reserve}), so every accepted
 *       timestamp is at most the persisted R. This is the sequence-number block of OSCORE
 *       (RFC 8613, Appendix B.1.1) turned into a time block.</li>
 *   <li>After a crash the in-memory pairs are gone, so nothing with t &lt;= R (the floor) is
 *       accepted: it may have been accepted before. A sensor with a correct clock waits at most
 *       {@code ahead} seconds.</li>
 *   <li>A graceful stop (passivation, shard hand-off, node leaving) journals {@link #acceptedUpTo()}
 *       instead, the newest timestamp accepted, with the randoms accepted in that second
 *       ({@link #randomsAtAcceptedUpTo()}): the next incarnation's floor is exact, so a sensor that
 *       sends two certificates in the second of a passivation is not refused the second one.
 *       Accepting a new pair of the floor's second needs a reservation write first: until then a
 *       crash would recover the floor with the old list, which does not name the new pair.</li>
 * </ul>
 * Not thread-safe: owned by its entity, which handles one command at a time.
 */
public final class ReplayGuard {

    /** What to do with a certificate whose tag verified. */
    public sealed interface Decision {}

    /** Accept now: the timestamp is within the persisted reservation. */
    public record Accept() implements Decision {}

    /** Accept after persisting the reservation {@code until} (epoch seconds). */
    public record Reserve(long until) implements Decision {}

    /**
     * Accept now (the timestamp is within the persisted reservation) and persist the reservation
     * {@code until} behind the answer: at this sensor's pace its next certificate would fall beyond
     * the current one and wait for that write.
     */
    public record Renew(long until) implements Decision {}

    /** Why a pair is refused; the sensor entity maps each to the API reason of the same name. */
    public enum Reason {
        /** The pair was already accepted. */
        REPLAY,
        /** At or below the recovered floor: it may have been accepted before the recovery. */
        REPLAY_WINDOW_RESET,
        /** The window already holds the most pairs it tracks. */
        RATE_LIMITED
    }

    /** Reject, with a message without secrets. */
    public record Reject(Reason reason, String message) implements Decision {}

    private static final Accept ACCEPT = new Accept();

    private final long skewSeconds;
    private final long aheadSeconds;
    private final int maxTracked;
    private final long floor;
    // The randoms already accepted in the floor's second, sorted; null: any may have been, so the
    // whole second is refused (after a crash, and for journals older than the list).
    private final long[] floorRandoms;
    // Pairs older than this were pruned from memory: the randoms of such a second are not all known.
    private long prunedBelow = Long.MIN_VALUE;
    // The accepted pairs, sorted by (timestamp, random), in two primitive arrays: 16 bytes a pair.
    // A TreeMap<Long, HashSet<Long>> cost about 100 bytes and several objects a pair; at 25,000
    // certificates/s within a 120 s window that filled a 512 MB node heap (full GCs of up to 6 s,
    // docs/benchmarks.md) and was 16% of the node's CPU.
    private long[] times = new long[4];
    private long[] randoms = new long[4];
    private int size;
    private long acceptedUpTo;
    // Seconds between the two newest timestamps accepted by this incarnation (0: fewer than two).
    private long pace;

    /**
     * Most randoms of one second a release journals (an event of about 600 bytes at most); after a
     * graceful stop in a busier second, the rest of that second is refused as after a crash.
     */
    public static final int MAX_RELEASED_RANDOMS = 64;

    /**
     * @param floor the reservation recovered from the journal: timestamps up to it are refused
     */
    public ReplayGuard(long floor, long skewSeconds, long aheadSeconds, int maxTracked) {
        this(floor, null, skewSeconds, aheadSeconds, maxTracked);
    }

    /**
     * @param floor        the reservation recovered from the journal: timestamps before it are refused
     * @param floorRandoms the randoms accepted in the floor's second when a graceful stop journaled
     *                     them: other certificates of that second are accepted; null refuses the
     *                     whole second
     */
    public ReplayGuard(long floor, long[] floorRandoms, long skewSeconds, long aheadSeconds, int maxTracked) {
        this.floor = floor;
        this.floorRandoms = floorRandoms == null ? null : floorRandoms.clone();
        if (this.floorRandoms != null) {
            Arrays.sort(this.floorRandoms);
        }
        this.skewSeconds = skewSeconds;
        this.aheadSeconds = aheadSeconds;
        this.maxTracked = maxTracked;
        this.acceptedUpTo = floor;
    }

    /**
     * Decides on a certificate with a valid tag and a fresh timestamp; records the pair when the
     * decision is to accept. The caller must persist {@link Reserve#until()} before answering.
     *
     * @param reservedUntil the currently persisted reservation (epoch seconds)
     * @param now           the node's clock (epoch seconds), the one the verifier used
     */
    public Decision check(long timestamp, long random, long reservedUntil, long now) {
        boolean atFloor = timestamp == floor && floorRandoms != null;
        if (timestamp < floor || (timestamp == floor && floorRandoms == null)) {
            return new Reject(Reason.REPLAY_WINDOW_RESET, "the center recovered this sensor's state; certificates up to "
                    + floor + " may have been used before and are refused: send one with a later timestamp");
        }
        if (atFloor && Arrays.binarySearch(floorRandoms, random) >= 0) {
            return new Reject(Reason.REPLAY, "certificate already used");
        }
        prune(now);
        int at = find(timestamp, random);
        if (at >= 0) {
            return new Reject(Reason.REPLAY, "certificate already used");
        }
        if (size >= maxTracked) {
            return new Reject(Reason.RATE_LIMITED, "more than " + maxTracked + " certificates within the skew window");
        }
        insert(-at - 1, timestamp, random);
        if (timestamp > acceptedUpTo && acceptedUpTo > floor) { // from the second certificate on
            pace = timestamp - acceptedUpTo;
        }
        // not lowered by forget(): a higher bound is only more conservative
        acceptedUpTo = Math.max(acceptedUpTo, timestamp);
        // A new pair of the released second: the durable floor still names only the old list.
        if (timestamp > reservedUntil || (atFloor && reservedUntil <= floor)) {
            return new Reserve(Math.max(timestamp, now) + aheadSeconds);
        }
        // Renew early only for sensors talking at least every ahead/2: their next certificate would
        // otherwise wait for a journal write once per reservation (the p99 of a busy fleet). That
        // costs at most 1.7 times the writes (about 1.25 for a sensor every ahead/5); a sparser
        // sensor waits as before, and its writes stay one per certificate at most.
        if (busy() && timestamp + pace > reservedUntil) {
            return new Renew(Math.max(timestamp, now) + aheadSeconds);
        }
        return ACCEPT;
    }

    /**
     * Whether the sensor talks at least every {@code ahead/2} (from its last two certificates): a
     * reservation of its own would be renewed early, and joining the node's replay ledger pays off.
     */
    public boolean busy() {
        return pace > 0 && pace <= aheadSeconds / 2;
    }

    /** Whether this incarnation accepted certificates of two different seconds (so it knows a pace). */
    public boolean paceKnown() {
        return pace > 0;
    }

    /** Forgets a pair recorded by {@link #check} whose reservation could not be persisted. */
    public void forget(long timestamp, long random) {
        int at = find(timestamp, random);
        if (at >= 0) {
            System.arraycopy(times, at + 1, times, at, size - at - 1);
            System.arraycopy(randoms, at + 1, randoms, at, size - at - 1);
            size--;
        }
    }

    /** Drops pairs whose timestamps the verifier now rejects as stale. */
    private void prune(long now) {
        long oldest = now - skewSeconds;
        if (size == 0 || times[0] >= oldest) {
            return;
        }
        int at = find(oldest, Long.MIN_VALUE); // the first pair not older than the window
        int from = at >= 0 ? at : -at - 1;
        prunedBelow = Math.max(prunedBelow, oldest);
        size -= from;
        if (size < times.length / 4 && times.length > 4) { // a sensor that went quiet gives its memory back
            times = Arrays.copyOfRange(times, from, from + Math.max(4, times.length / 2));
            randoms = Arrays.copyOfRange(randoms, from, from + Math.max(4, randoms.length / 2));
        } else {
            System.arraycopy(times, from, times, 0, size);
            System.arraycopy(randoms, from, randoms, 0, size);
        }
    }

    /** Binary search by (timestamp, random): the index, or -(insertion point) - 1. */
    private int find(long timestamp, long random) {
        int lo = 0;
        int hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = times[mid] != timestamp ? Long.compare(times[mid], timestamp) : Long.compare(randoms[mid], random);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -lo - 1;
    }

    private void insert(int at, long timestamp, long random) {
        if (size == times.length) {
            times = Arrays.copyOf(times, Math.min(Math.max(4, maxTracked), size * 2));
            randoms = Arrays.copyOf(randoms, times.length);
        }
        // certificates arrive in time order, so this is almost always an append
        System.arraycopy(times, at, times, at + 1, size - at);
        System.arraycopy(randoms, at, randoms, at + 1, size - at);
        times[at] = timestamp;
        randoms[at] = random;
        size++;
    }

    /**
     * The newest timestamp this incarnation accepted, or the floor if newer: every timestamp ever
     * accepted for this sensor is at most this, so it may replace the reservation once the entity
     * accepts nothing more.
     */
    public long acceptedUpTo() {
        return acceptedUpTo;
    }

    /**
     * The randoms accepted in the second {@link #acceptedUpTo()}, sorted, for a graceful stop to
     * journal; null when they are not all known (the floor's own list was unknown, memory of that
     * second was pruned, or there are more than {@link #MAX_RELEASED_RANDOMS}): the next incarnation
     * then refuses that whole second.
     */
    public long[] randomsAtAcceptedUpTo() {
        if (acceptedUpTo < prunedBelow || (acceptedUpTo == floor && floorRandoms == null)) {
            return null;
        }
        int at = find(acceptedUpTo, Long.MIN_VALUE);
        int from = at >= 0 ? at : -at - 1;
        int to = from;
        while (to < size && times[to] == acceptedUpTo) {
            to++;
        }
        long[] known = acceptedUpTo == floor ? floorRandoms : new long[0];
        if (known.length + to - from > MAX_RELEASED_RANDOMS) {
            return null;
        }
        long[] all = Arrays.copyOf(known, known.length + to - from);
        System.arraycopy(randoms, from, all, known.length, to - from);
        Arrays.sort(all);
        return all;
    }

    /** The recovered reservation below which nothing is accepted. */
    public long floor() {
        return floor;
    }

    /** Pairs currently remembered. */
    public int tracked() {
        return size;
    }
}
