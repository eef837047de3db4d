package org.microcert.simulator.traffic;

import java.util.List;

/**
 * The virtual sensors of a run, by role: {@code active} ones make the good traffic; the others exist
 * only to make the adversarial kinds that need them.
 *
 * @param active       provisioned and never revoked
 * @param revoked      provisioned, then revoked before the run
 * @param unknown      never provisioned
 * @param expiredSeed  provisioned with a seed whose five years ended before this year
 */
public record Fleet(List<Device> active, List<Device> revoked, List<Device> unknown, List<Device> expiredSeed) {

    public Fleet {
        if (active.isEmpty()) {
            throw new IllegalArgumentException("a fleet needs at least one active sensor");
        }
        active = List.copyOf(active);
        revoked = List.copyOf(revoked);
        unknown = List.copyOf(unknown);
        expiredSeed = List.copyOf(expiredSeed);
    }
}
