package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The negative cache: trusted only under the shard incarnation that stored an id, forgotten exactly. */
class UnknownSensorsTest {

    final Object shardHere = new Object();
    final Object shardAfterItCameBack = new Object();

    @Test
    void anEntryIsTrustedOnlyUnderTheShardIncarnationThatStoredIt() {
        UnknownSensors u = new UnknownSensors(1024);
        u.markUnknown(42, shardHere);
        assertTrue(u.isUnknown(42, shardHere));
        assertFalse(u.isUnknown(42, shardAfterItCameBack), "a shard that moved away and back may have provisioned it");
        assertFalse(u.isUnknown(43, shardHere));
    }

    @Test
    void forgettingRemovesOnlyThatIdAndACollisionOnlyCostsAMiss() {
        UnknownSensors u = new UnknownSensors(1); // one slot: every id collides
        u.markUnknown(1, shardHere);
        u.forget(2);
        assertTrue(u.isUnknown(1, shardHere), "forgetting another id leaves this one");
        u.forget(1);
        assertFalse(u.isUnknown(1, shardHere));
        u.markUnknown(1, shardHere);
        u.markUnknown(2, shardHere);
        assertFalse(u.isUnknown(1, shardHere), "replaced: answered by a recovery again, never wrongly");
        assertTrue(u.isUnknown(2, shardHere));
    }
}
