package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.microcert.cluster.replay.ReplayGuard;
import org.microcert.protocol.RejectReason;

class VerdictReasonTest {

    /** A reason added to the protocol must get its center name, or a verifier's rejection would throw. */
    @Test
    void everyProtocolReasonHasTheSameNameAtTheCenter() {
        for (RejectReason r : RejectReason.values()) {
            assertEquals(r.name(), VerdictReason.of(r).name());
        }
    }

    /** Likewise for a refusal added to the replay guard. */
    @Test
    void everyReplayRefusalHasTheSameNameAtTheCenter() {
        for (ReplayGuard.Reason r : ReplayGuard.Reason.values()) {
            assertEquals(r.name(), VerdictReason.of(r).name());
        }
    }
}
