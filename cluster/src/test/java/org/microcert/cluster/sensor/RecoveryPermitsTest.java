package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecoveryPermitsTest {

    @Test
    void permitsBeyondTheLimitWaitInOrderAndBeyondTheQueueAreRefused() {
        RecoveryPermits permits = new RecoveryPermits(2, 2);
        List<String> granted = new ArrayList<>();
        RecoveryPermits.Ticket a = permits.request(() -> granted.add("a"));
        RecoveryPermits.Ticket b = permits.request(() -> granted.add("b"));
        RecoveryPermits.Ticket c = permits.request(() -> granted.add("c"));
        RecoveryPermits.Ticket d = permits.request(() -> granted.add("d"));
        assertTrue(a.held() && b.held());
        assertFalse(c.held() || d.held());
        assertNull(permits.request(() -> granted.add("e")), "queue full: refused");
        assertEquals(2, permits.inUse());
        assertEquals(2, permits.waiting());

        a.release();
        a.release(); // idempotent: must not free a second permit
        assertEquals(List.of("c"), granted);
        assertTrue(c.held());
        assertEquals(2, permits.inUse());
        assertEquals(1, permits.waiting());
    }

    @Test
    void aWaiterThatLeavesIsNeverGrantedAndAHolderThatStopsPassesItsPermitOn() {
        RecoveryPermits permits = new RecoveryPermits(1, 5);
        List<String> granted = new ArrayList<>();
        RecoveryPermits.Ticket a = permits.request(() -> granted.add("a"));
        RecoveryPermits.Ticket b = permits.request(() -> granted.add("b"));
        RecoveryPermits.Ticket c = permits.request(() -> granted.add("c"));
        b.release(); // gave up waiting
        assertEquals(1, permits.waiting());
        a.release();
        assertEquals(List.of("c"), granted);
        c.release();
        assertEquals(0, permits.inUse());
        assertEquals(0, permits.waiting());
        assertEquals(1, permits.peak());
        assertNotNull(permits.request(() -> {}));
        assertEquals(1, permits.inUse());
    }
}
