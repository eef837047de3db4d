package org.microcert.simulator.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.microcert.protocol.CipherSuite;

class FleetLoaderTest {

    @Test
    void differentFleetSeedsAndSuitesGetDisjointIdBlocks() {
        // seeds below 2^32 all mapped to base 0 before: every small seed shared the same ids
        Set<Long> bases = new HashSet<>();
        int fleets = 0;
        for (long seed : new long[] {0, 1, 2, 7, 42, 1L << 31, (1L << 32) - 1, 1L << 32, -1, Long.MAX_VALUE}) {
            for (CipherSuite suite : CipherSuite.values()) {
                long base = FleetLoader.idBase(seed, suite);
                assertEquals(0, base & 0xFFFF_FFFFL, "a block starts at a multiple of 2^32");
                assertTrue(base >= 0, "ids stay positive");
                bases.add(base);
                fleets++;
            }
        }
        // a fleet uses the 2^32 ids above its base: distinct bases are disjoint id ranges
        assertEquals(fleets, bases.size());
        for (long seed = 0; seed < 2_000; seed++) {
            assertTrue(bases.add(FleetLoader.idBase(seed + 100, CipherSuite.AES128)), "seed " + (seed + 100));
        }
    }

    @Test
    void oneFleetSeedAlwaysGetsTheSameIds() {
        assertEquals(FleetLoader.idBase(7, CipherSuite.SM4), FleetLoader.idBase(7, CipherSuite.SM4));
    }
}
