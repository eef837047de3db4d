package org.microcert.cluster.sensor;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The sensor ids this node knows to be provisioned, as a Bloom filter: which recoveries may use
 * Pekko's whole recovery budget, and which go through {@link RecoveryPermits}. A hint, never a
 * verdict: an id it does not hold is only recovered through the smaller pool, and an id it wrongly
 * holds (a false positive, about 1% at capacity, more beyond) only skips that pool, so neither
 * error can make a provisioned sensor answer {@code UNKNOWN_SENSOR}. Ids are only added (a revoked
 * sensor stays known: its answer needs its journal too). Lock-free: one {@link AtomicLongArray}.
 */
final class ProvisionedSensors {

    private static final int HASHES = 7; // optimal for ~10 bits per id

    private final AtomicLongArray bits;
    private final long size;

    /** Room for {@code capacity} ids at about 1% false positives (10 bits each). */
    ProvisionedSensors(int capacity) {
        long n = Math.max(64, (long) Math.max(1, capacity) * 10);
        int words = (int) Math.min(Integer.MAX_VALUE - 8, (n + 63) / 64);
        this.bits = new AtomicLongArray(words);
        this.size = (long) words * 64;
    }

    void add(long id) {
        long h1 = mix(id);
        long h2 = mix(h1) | 1;
        for (int i = 0; i < HASHES; i++) {
            long bit = Math.floorMod(h1 + i * h2, size);
            int w = (int) (bit >>> 6);
            long mask = 1L << bit;
            long old;
            do {
                old = bits.get(w);
            } while ((old & mask) == 0 && !bits.compareAndSet(w, old, old | mask));
        }
    }

    boolean mayContain(long id) {
        long h1 = mix(id);
        long h2 = mix(h1) | 1;
        for (int i = 0; i < HASHES; i++) {
            long bit = Math.floorMod(h1 + i * h2, size);
            if ((bits.get((int) (bit >>> 6)) & (1L << bit)) == 0) {
                return false;
            }
        }
        return true;
    }

    /** SplitMix64's finalizer: sequential ids spread over the whole table. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
