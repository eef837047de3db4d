package org.microcert.cluster.sensor;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.protocol.KeySeed;

/**
 * The node's opened seeds: at most {@code maxOpen} of them in clear at once, shared by every sensor
 * entity of the node, each wiped ({@link KeySeed#destroy()}) when it was not used for
 * {@code idleWipe}, when the bound needs its place for another sensor's seed (second-chance clock:
 * a seed used again since the hand last passed is skipped once), or when its entity lets it go
 * (passivation, stop, revocation, seed update). A seed is opened by the card, so every miss costs a
 * card round trip; see docs/encryption-card.md, "What stays in the JVM and for how long".
 *
 * <p>Thread-safe without locks: entities on any dispatcher thread admit and use seeds while another
 * entity's admission or the idle sweep wipes them. Each {@link Entry} is owned by one entity, which
 * takes it (idle to in use) for one derivation and hands it back; a wipe only takes an idle entry, so
 * a seed is never wiped under a derivation (its kept CMAC schedule is single-threaded). When every
 * seed of a full cache is in use, a newly opened seed serves its one request and is wiped.
 */
final class SeedCache {

    private static final int IDLE = 0;
    private static final int IN_USE = 1;
    private static final int WIPED = 2;

    /** One seed kept in clear, owned by one entity. Its state is the entry itself (an atomic int). */
    static final class Entry extends AtomicInteger {
        private final KeySeed seed;
        // written by the owner before it hands the entry back (a volatile write), read by the sweep
        private volatile long lastUsedNanos;
        // used again since admission or since the hand last passed. Not set at admission, so a
        // burst of sensors that talk once (a fleet waking) evicts its own seeds, not the busy ones.
        private volatile boolean referenced;
        private int slot = -1; // the owner's: where remove() finds it

        private Entry(KeySeed seed, long now) {
            super(IN_USE);
            this.seed = seed;
            this.lastUsedNanos = now;
        }

        KeySeed seed() {
            return seed;
        }
    }

    private final AtomicReferenceArray<Entry> slots;
    private final long idleNanos;
    private final LongSupplier nanoTicker;
    private final AtomicInteger hand = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder opens = new LongAdder();
    private final LongAdder evictedByBound = new LongAdder();
    private final LongAdder evictedIdle = new LongAdder();
    private final LongAdder released = new LongAdder();

    /**
     * @param maxOpen    seeds kept in clear at most; 0 keeps none (every use opens the seed on the card)
     * @param idleWipe   a seed unused this long is not used again and is wiped by the next {@link #sweep}
     * @param nanoTicker monotonic nanoseconds ({@code System::nanoTime}; tests move their own)
     */
    SeedCache(int maxOpen, Duration idleWipe, LongSupplier nanoTicker) {
        if (maxOpen < 0 || idleWipe.isNegative() || idleWipe.isZero()) {
            throw new IllegalArgumentException("maxOpen >= 0 and a positive idle time");
        }
        this.slots = new AtomicReferenceArray<>(maxOpen);
        this.idleNanos = idleWipe.toNanos();
        this.nanoTicker = nanoTicker;
    }

    /** A cache that keeps nothing: {@code keep-seed-open = off}. */
    static SeedCache off() {
        return new SeedCache(0, Duration.ofDays(1), System::nanoTime);
    }

    /** Whether seeds are kept at all. */
    boolean keeps() {
        return slots.length() > 0;
    }

    /**
     * The owner takes its entry for one use: its seed, or null when the entry was wiped (evicted,
     * idle) and the seed must be opened again. Hand it back with {@link #handBack}.
     */
    KeySeed use(Entry e) {
        if (!e.compareAndSet(IDLE, IN_USE)) {
            if (e.get() == IN_USE) {
                // a second use before handBack: the entry would stay in use, never to be wiped
                throw new IllegalStateException("the owner already holds this seed");
            }
            return null; // WIPED
        }
        long now = nanoTicker.getAsLong();
        if (now - e.lastUsedNanos >= idleNanos) {
            // idle too long: not used again even if the sweep has not come by yet
            e.set(IDLE);
            if (wipe(e, evictedIdle)) {
                slots.compareAndSet(e.slot, e, null);
            }
            return null;
        }
        if (!e.referenced) {
            e.referenced = true;
        }
        hits.increment();
        return e.seed;
    }

    /** The owner is done with its entry's seed for now. */
    void handBack(Entry e) {
        e.lastUsedNanos = nanoTicker.getAsLong();
        e.set(IDLE);
    }

    /** A seed the card just opened for this cache's use (counted; a miss when the cache keeps seeds). */
    void opened() {
        opens.increment();
        if (keeps()) {
            misses.increment();
        }
    }

    /**
     * Keeps {@code seed} (which its owner is using now: hand the entry back after this use), making
     * room if the cache is full. Null when nothing is kept: the cache is off, or every kept seed is
     * in use; the caller then wipes the seed after this use.
     */
    Entry admit(KeySeed seed) {
        int n = slots.length();
        if (n == 0) {
            return null;
        }
        Entry e = new Entry(seed, nanoTicker.getAsLong());
        // Two turns of the hand: the first may only clear the referenced bits.
        for (int step = 0; step < 2 * n + 1; step++) {
            int i = Math.floorMod(hand.getAndIncrement(), n);
            Entry cur = slots.get(i);
            if (cur != null && cur.get() != WIPED) {
                if (cur.referenced) {
                    cur.referenced = false;
                    continue;
                }
                if (!wipe(cur, evictedByBound)) {
                    continue; // in use, or wiped by someone else just now
                }
            }
            if (slots.compareAndSet(i, cur, e)) {
                e.slot = i;
                open.incrementAndGet();
                return e;
            }
        }
        return null;
    }

    /** The owner lets its seed go (passivation, stop, revocation, a new seed): wiped now. */
    void remove(Entry e) {
        // Only the owner takes its entry, and it does not hold it now: the entry is IDLE or WIPED.
        if (e.getAndSet(WIPED) != WIPED) {
            e.seed.destroy();
            open.decrementAndGet();
            released.increment();
            slots.compareAndSet(e.slot, e, null);
        }
    }

    /** Wipes every seed unused for the idle time (the node runs this on a timer). */
    void sweep() {
        long now = nanoTicker.getAsLong();
        for (int i = 0; i < slots.length(); i++) {
            Entry cur = slots.get(i);
            if (cur != null && now - cur.lastUsedNanos >= idleNanos && wipe(cur, evictedIdle)) {
                slots.compareAndSet(i, cur, null);
            }
        }
    }

    /** Wipes every idle seed, whatever its age (the node is stopping). */
    void clear() {
        for (int i = 0; i < slots.length(); i++) {
            Entry cur = slots.get(i);
            if (cur != null && wipe(cur, released)) {
                slots.compareAndSet(i, cur, null);
            }
        }
    }

    /** How often the node runs {@link #sweep}: a seed is wiped at most this long after its idle time. */
    Duration sweepInterval() {
        Duration quarter = Duration.ofNanos(idleNanos / 4);
        return quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : quarter;
    }

    /** The numbers behind the node's seed metrics ({@code microcert_seed_*}). */
    Metrics.SeedCacheCounts stats() {
        return new Metrics.SeedCacheCounts(hits.sum(), misses.sum(), opens.sum(), evictedByBound.sum(),
                evictedIdle.sum(), released.sum(), open.get(), slots.length());
    }

    /** Takes an idle entry and wipes its seed; false if it was in use or already wiped. */
    private boolean wipe(Entry e, LongAdder reason) {
        if (!e.compareAndSet(IDLE, WIPED)) {
            return false;
        }
        e.seed.destroy();
        open.decrementAndGet();
        reason.increment();
        return true;
    }
}
