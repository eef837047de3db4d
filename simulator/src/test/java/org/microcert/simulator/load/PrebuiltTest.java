package org.microcert.simulator.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.microcert.simulator.traffic.TrafficKind;

class PrebuiltTest {

    record Op(long index) implements Operation {
        @Override
        public TrafficKind kind() {
            return TrafficKind.BATCH;
        }

        @Override
        public CompletableFuture<List<Item>> send() {
            return CompletableFuture.completedFuture(List.of());
        }
    }

    @Test
    void everyRequestIsBuiltOnceBeforehandAndHandedOutByIndex() {
        Set<Long> built = ConcurrentHashMap.newKeySet();
        Prebuilt p = Prebuilt.build(i -> {
            assertEquals(true, built.add(i), "built twice: " + i);
            return new Op(i);
        }, 1000);
        assertEquals(1000, built.size(), "all built before the first create");
        for (long i = 0; i < 1000; i++) {
            assertEquals(i, ((Op) p.create(i)).index());
        }
        assertThrows(IllegalStateException.class, () -> p.create(1000));
    }

    @Test
    void aRequestIsHandedOutOnlyOnce() {
        Prebuilt p = Prebuilt.build(Op::new, 2);
        Operation first = p.create(1);
        assertSame(Op.class, first.getClass());
        // the driver asks for each index once; a second ask is a bug, never a resend of the same certificate
        assertThrows(IllegalStateException.class, () -> p.create(1));
    }

    @Test
    void aRequestThatFailedToBuildFailsWhenSentNotWhenPrebuilt() {
        Prebuilt p = Prebuilt.build(i -> {
            if (i == 1) {
                throw new IllegalArgumentException("no such sensor");
            }
            return new Op(i);
        }, 3);
        assertEquals(0, ((Op) p.create(0)).index());
        assertThrows(IllegalArgumentException.class, () -> p.create(1));
        assertEquals(2, ((Op) p.create(2)).index());
    }
}
