package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SeedEnvelope;

/** The seed in clear: kept while the entity is active (or not at all), and wiped. */
class OpenSeedTest {

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static SoftwareCard card;
    static SealedSeed sealed;

    @BeforeAll
    static void provision() throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        card = fleet.openCard("seed");
        sealed = card.provision(SeedEnvelope.decode(fleet.transportEnvelope(TestFleet.chip(0x7200L, Instant.now()))));
    }

    @AfterAll
    static void closeCard() {
        card.close();
    }

    /** The card, counting the seeds it opens. */
    static EncryptionCard counting(AtomicInteger opened) {
        return counting(card, opened);
    }

    /** {@code card}, counting the seeds it opens. */
    static EncryptionCard counting(EncryptionCard card, AtomicInteger opened) {
        return (EncryptionCard) Proxy.newProxyInstance(EncryptionCard.class.getClassLoader(),
                new Class<?>[] {EncryptionCard.class}, (proxy, method, args) -> {
                    if (method.getName().equals("open")) {
                        opened.incrementAndGet();
                    }
                    try {
                        return method.invoke(card, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void keptOpenTheSeedIsOpenedOnceAndWipedOnlyByWipe() {
        AtomicInteger opened = new AtomicInteger();
        OpenSeed seeds = new OpenSeed(counting(opened), new SeedCache(16, java.time.Duration.ofMinutes(2), System::nanoTime));
        KeySeed first = seeds.acquire(sealed);
        seeds.release(first);
        assertFalse(first.isDestroyed(), "the kept seed survives a release");
        assertSame(first, seeds.acquire(sealed));
        assertEquals(1, opened.get(), "one card round trip while the entity is active");
        assertTrue(seeds.isOpen());
        seeds.wipe();
        assertTrue(first.isDestroyed());
        assertFalse(seeds.isOpen());
        seeds.wipe(); // idempotent: a stop after a revocation wipes again
        KeySeed reopened = seeds.acquire(sealed);
        assertNotSame(first, reopened);
        assertEquals(2, opened.get());
        seeds.wipe();
    }

    @Test
    void perRequestEverySeedIsWipedOnRelease() {
        AtomicInteger opened = new AtomicInteger();
        OpenSeed seeds = new OpenSeed(counting(opened), SeedCache.off());
        KeySeed first = seeds.acquire(sealed);
        assertFalse(seeds.isOpen());
        seeds.release(first);
        assertTrue(first.isDestroyed());
        KeySeed second = seeds.acquire(sealed);
        assertNotSame(first, second);
        seeds.release(second);
        assertTrue(second.isDestroyed());
        assertEquals(2, opened.get());
        seeds.release(null); // a request that failed before opening
    }
}
