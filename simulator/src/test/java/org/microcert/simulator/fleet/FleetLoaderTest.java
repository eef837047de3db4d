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

    /**
     * Pinned literals, computed outside this code (SHA-256 over "microcert-sim fleet ids", the seed as
     * 8 big-endian bytes and the suite name; first 8 bytes, masked): a changed derivation would stop a
     * re-run from driving a fleet provisioned by an earlier run, so it must fail here.
     */
    @Test
    void oneFleetSeedAlwaysGetsTheSameIds() {
        assertEquals(0x21a4b88600000000L, FleetLoader.idBase(7, CipherSuite.SM4));
        assertEquals(0x1fc5aa8800000000L, FleetLoader.idBase(7, CipherSuite.AES128));
    }
}
