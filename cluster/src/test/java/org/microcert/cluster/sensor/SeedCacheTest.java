package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.metrics.Metrics.SeedCacheCounts;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SeedEnvelope;

/**
 * The node's cache of opened seeds: the bound, the idle wipe (on a ticker the test moves), the wipe
 * when an entity lets its seed go, the counts behind the metrics, the off switch, and many owners
 * on several threads with a bound below their number.
 */
class SeedCacheTest {

    static final Duration IDLE = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static SoftwareCard card;
    static final List<SealedSeed> sealed = new ArrayList<>();

    final AtomicLong nanos = new AtomicLong(1_000);
    final AtomicInteger opened = new AtomicInteger();

    @BeforeAll
    static void provision() throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        card = fleet.openCard("seed-cache");
        for (long id = 0x7300; id < 0x7308; id++) {
            sealed.add(card.provision(SeedEnvelope.decode(fleet.transportEnvelope(TestFleet.chip(id, Instant.now())))));
        }
    }

    @AfterAll
    static void closeCard() {
        card.close();
    }

    SeedCache cache(int maxOpen) {
        return new SeedCache(maxOpen, IDLE, nanos::get);
    }

    OpenSeed owner(SeedCache cache) {
        return new OpenSeed(OpenSeedTest.counting(card, opened), cache);
    }

    /** One certificate's use of the seed: acquire, check it is the right one and alive, release. */
    static KeySeed use(OpenSeed owner, int sensor) {
        KeySeed seed = owner.acquire(sealed.get(sensor));
        try {
            assertFalse(seed.isDestroyed(), "a seed handed out for use is never wiped under it");
            KeySeed reference = card.open(sealed.get(sensor));
            assertTrue(seed.sameSecretAs(reference), "each owner gets its own sensor's seed");
            reference.destroy();
            return seed;
        } finally {
            owner.release(seed);
        }
    }

    @Test
    void atTheBoundTheSeedNotUsedSinceTheHandPassedIsWipedAndOpenedAgainWhenNeeded() {
        SeedCache cache = cache(2);
        OpenSeed a = owner(cache);
        OpenSeed b = owner(cache);
        OpenSeed c = owner(cache);
        KeySeed seedA = use(a, 0);
        KeySeed seedB = use(b, 1);
        assertEquals(2, cache.stats().open());
        KeySeed seedC = use(c, 2);
        SeedCacheCounts s = cache.stats();
        assertEquals(2, s.open(), "never more than the bound");
        assertEquals(1, s.evictedByBound());
        assertTrue(seedA.isDestroyed(), "the first in the clock's order, not used since it was kept");
        assertFalse(seedB.isDestroyed());
        assertFalse(seedC.isDestroyed());
        assertFalse(a.isOpen());
        assertTrue(b.isOpen() && c.isOpen());
        assertEquals(3, opened.get());
        // B is used again (referenced): when A comes back, C is the one that goes
        assertSame(seedB, use(b, 1));
        KeySeed againA = use(a, 0);
        assertNotSame(seedA, againA);
        assertEquals(4, opened.get(), "the evicted seed costs one more card open");
        assertTrue(seedC.isDestroyed());
        assertFalse(seedB.isDestroyed());
        s = cache.stats();
        assertEquals(new SeedCacheCounts(1, 4, 4, 2, 0, 0, 2, 2), s);
    }

    @Test
    void aSeedInUseIsNeverEvictedAFullCacheOfBusySeedsServesTheNewOneForOneRequest() {
        SeedCache cache = cache(1);
        OpenSeed a = owner(cache);
        OpenSeed b = owner(cache);
        KeySeed held = a.acquire(sealed.get(0)); // a derivation in progress on another thread
        KeySeed once = b.acquire(sealed.get(1));
        assertFalse(b.isOpen(), "no place: not kept");
        b.release(once);
        assertTrue(once.isDestroyed(), "wiped right after its one use");
        assertFalse(held.isDestroyed());
        a.release(held);
        assertEquals(0, cache.stats().evictedByBound());
        use(b, 1); // now A's seed is idle and was not used again: B takes its place
        assertTrue(held.isDestroyed());
        assertEquals(1, cache.stats().open());
    }

    @Test
    void aSeedUnusedForTheIdleTimeIsWipedByTheSweepAndNeverUsedPastIt() {
        SeedCache cache = cache(4);
        OpenSeed a = owner(cache);
        OpenSeed b = owner(cache);
        KeySeed seedA = use(a, 0);
        KeySeed seedB = use(b, 1);
        nanos.addAndGet(IDLE.toNanos() - 1);
        cache.sweep();
        assertFalse(seedA.isDestroyed(), "one nanosecond short of the idle time");
        assertSame(seedA, use(a, 0)); // A is used: its idle time starts again
        nanos.addAndGet(1);
        cache.sweep();
        assertTrue(seedB.isDestroyed(), "B reached its idle time");
        assertFalse(seedA.isDestroyed());
        assertEquals(new SeedCacheCounts(1, 2, 2, 0, 1, 0, 1, 4), cache.stats());
        // Past the idle time, a seed the sweep has not reached yet is not used: it is wiped and opened again.
        nanos.addAndGet(IDLE.toNanos());
        KeySeed reopened = use(a, 0);
        assertNotSame(seedA, reopened);
        assertTrue(seedA.isDestroyed());
        assertEquals(new SeedCacheCounts(1, 3, 3, 0, 2, 0, 1, 4), cache.stats());
        assertTrue(cache.sweepInterval().compareTo(IDLE) < 0);
    }

    @Test
    void theEntityLettingItsSeedGoWipesItAndFreesItsPlace() {
        SeedCache cache = cache(1);
        OpenSeed a = owner(cache);
        KeySeed seedA = use(a, 0);
        a.wipe(); // passivation, stop, restart, revocation, a new seed
        assertTrue(seedA.isDestroyed());
        assertEquals(0, cache.stats().open());
        assertEquals(1, cache.stats().released());
        a.wipe(); // idempotent
        OpenSeed b = owner(cache);
        KeySeed seedB = use(b, 1);
        assertEquals(0, cache.stats().evictedByBound(), "the freed place is taken without evicting anyone");
        assertTrue(b.isOpen());
        cache.clear(); // the node stops
        assertTrue(seedB.isDestroyed());
        assertEquals(0, cache.stats().open());
    }

    @Test
    void withTheCacheOffEveryUseOpensTheSeedOnTheCardAndWipesItRightAfter() {
        SeedCache off = SeedCache.off();
        OpenSeed a = owner(off);
        KeySeed first = use(a, 0);
        KeySeed second = use(a, 0);
        assertTrue(first.isDestroyed() && second.isDestroyed());
        assertFalse(a.isOpen());
        assertEquals(2, opened.get());
        assertEquals(new SeedCacheCounts(0, 0, 2, 0, 0, 0, 0, 0), off.stats());
    }

    @Test
    void anOwnerThatTakesItsSeedTwiceWithoutHandingItBackFailsLoudlyRatherThanLeakingIt() {
        SeedCache cache = cache(2);
        OpenSeed a = owner(cache);
        KeySeed held = a.acquire(sealed.get(0));
        assertThrows(IllegalStateException.class, () -> a.acquire(sealed.get(0)));
        a.release(held);
        a.wipe();
        assertTrue(held.isDestroyed(), "still the cache's to wipe");
    }

    @Test
    void settingsRefuseANegativeBoundAndANonPositiveIdleTime() {
        assertThrows(IllegalArgumentException.class, () -> new SeedCache(-1, IDLE, nanos::get));
        assertThrows(IllegalArgumentException.class, () -> new SeedCache(1, Duration.ZERO, nanos::get));
    }

    /**
     * 8 sensors on 4 threads share 3 places. Each sensor's seed is used by one thread at a time
     * (as an entity's actor does), while other threads' admissions evict it. Every use must get the
     * right, live seed; at the end the cache holds at most 3, and every seed not held is wiped.
     */
    @Test
    void manyOwnersOnSeveralThreadsAlwaysGetTheirOwnLiveSeedAndTheBoundHolds() throws Exception {
        SeedCache cache = new SeedCache(3, IDLE, System::nanoTime);
        int sensors = sealed.size();
        List<OpenSeed> owners = new ArrayList<>();
        List<List<KeySeed>> handedOut = new ArrayList<>();
        for (int i = 0; i < sensors; i++) {
            owners.add(new OpenSeed(card, cache));
            handedOut.add(new ArrayList<>());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    // thread t owns sensors t and t + 4: one owner is never used by two threads
                    for (int round = 0; round < 300; round++) {
                        for (int sensor = thread; sensor < sensors; sensor += 4) {
                            handedOut.get(sensor).add(use(owners.get(sensor), sensor));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        SeedCacheCounts s = cache.stats();
        assertTrue(s.open() <= 3, "open " + s.open());
        assertEquals(4 * 2 * 300, s.hits() + s.misses());
        assertEquals(s.misses(), s.opens());
        assertTrue(s.evictedByBound() > 0, "the bound was reached");
        int live = 0;
        for (int i = 0; i < sensors; i++) {
            KeySeed kept = owners.get(i).isOpen() ? owners.get(i).acquire(sealed.get(i)) : null;
            for (KeySeed seed : handedOut.get(i)) {
                if (seed != kept) {
                    assertTrue(seed.isDestroyed(), "every seed no longer kept is wiped");
                }
            }
            if (kept != null) {
                owners.get(i).release(kept);
                live++;
            }
        }
        assertEquals(s.open(), live);
    }
}
