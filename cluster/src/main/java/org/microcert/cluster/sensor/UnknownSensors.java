package org.microcert.cluster.sensor;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The node's negative cache of sensor ids whose entity found no provisioning, so that a repeated
 * unknown id is answered {@code UNKNOWN_SENSOR} without a recovery (a snapshot and journal reads in
 * Cassandra). Exact on provisioning: an entry is only trusted under the very shard incarnation that
 * stored it (the shard's actor ref, which a shard that moves away and back does not keep), and every
 * command to a sensor goes through that shard, where {@link UnknownSensorGate} forgets the id before
 * any provisioning can run. So a provisioning on any node, before or after a hand-off, reaches the
 * entity through a shard that cannot hold a stale entry. Direct-mapped: a fixed array, a colliding id
 * overwrites (a miss costs one recovery, never a wrong answer); no lock.
 */
final class UnknownSensors {

    private record Entry(long id, Object shard) {}

    private final AtomicReferenceArray<Entry> table;
    private final int mask;

    /** {@code size}: rounded up to a power of two. */
    UnknownSensors(int size) {
        int n = Integer.highestOneBit(Math.max(1, size - 1)) << 1;
        this.table = new AtomicReferenceArray<>(n);
        this.mask = n - 1;
    }

    boolean isUnknown(long id, Object shard) {
        Entry e = table.get(index(id));
        return e != null && e.id == id && e.shard.equals(shard);
    }

    /** The entity of {@code id}, hosted by {@code shard}, stopped without a provisioning. */
    void markUnknown(long id, Object shard) {
        table.set(index(id), new Entry(id, shard));
    }

    /** A command that may provision {@code id} is on its way to the entity. */
    void forget(long id) {
        int i = index(id);
        Entry e = table.get(i);
        if (e != null && e.id == id) {
            table.compareAndSet(i, e, null);
        }
    }

    private int index(long id) {
        long h = id * 0x9E3779B97F4A7C15L; // ids may be sequential: spread them
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
