package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ProvisionedSensorsTest {

    @Test
    void everyAddedIdIsHeldAndFewOthersAre() {
        ProvisionedSensors known = new ProvisionedSensors(100_000);
        for (long id = 1; id <= 100_000; id++) {
            known.add(id); // sequential ids, as factories assign them
        }
        for (long id = 1; id <= 100_000; id++) {
            assertTrue(known.mayContain(id), "no false negative: " + id);
        }
        SplittableRandom random = new SplittableRandom(21);
        int falsePositives = 0;
        for (int i = 0; i < 100_000; i++) {
            long id = random.nextLong();
            if (id > 100_000 && known.mayContain(id)) {
                falsePositives++;
            }
        }
        // 10 bits and 7 hashes per id: about 0.8% at capacity
        assertTrue(falsePositives < 2_000, falsePositives + " random ids of 100,000 looked provisioned");
    }
}
