package org.microcert.simulator.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrafficMixTest {

    @Test
    void weightsAndAdversarialShareBecomeProbabilities() {
        TrafficMix mix = TrafficMix.of(TrafficMix.parseWeights("authenticate=3,sign=1"), 0.2,
                TrafficMix.parseAdversarial("replayed,malformed"));
        Map<TrafficKind, Double> p = mix.probabilities();
        assertEquals(0.6, p.get(TrafficKind.AUTHENTICATE), 1e-12);
        assertEquals(0.2, p.get(TrafficKind.SIGN), 1e-12);
        assertEquals(0.1, p.get(TrafficKind.REPLAYED), 1e-12);
        assertEquals(0.1, p.get(TrafficKind.MALFORMED), 1e-12);
        assertEquals(false, mix.includes(TrafficKind.BATCH));
    }

    @Test
    void picksFollowTheProbabilities() {
        TrafficMix mix = TrafficMix.of(Map.of(TrafficKind.AUTHENTICATE, 1), 0.5, List.of(TrafficKind.FORGED_TAG));
        SplittableRandom rnd = new SplittableRandom(42);
        Map<TrafficKind, Integer> counts = new EnumMap<>(TrafficKind.class);
        for (int i = 0; i < 100_000; i++) {
            counts.merge(mix.pick(rnd), 1, Integer::sum);
        }
        assertEquals(2, counts.size());
        assertEquals(50_000, counts.get(TrafficKind.FORGED_TAG), 1_000);
    }

    @Test
    void allMeansEveryAdversarialKind() {
        assertEquals(7, TrafficMix.parseAdversarial("all").size());
        assertEquals(List.of(), TrafficMix.parseAdversarial("none"));
    }

    @Test
    void badMixesAreRefusedWithTheOffendingEntry() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrafficMix.parseWeights("authenticate=x"))
                .getMessage().contains("'x'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrafficMix.parseWeights("login=3"))
                .getMessage().contains("login"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrafficMix.parseWeights("authenticate"))
                .getMessage().contains("name=weight"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TrafficMix.parseAdversarial("replayed,teleport"))
                .getMessage().contains("teleport"));
        assertThrows(IllegalArgumentException.class, () -> TrafficMix.of(Map.of(TrafficKind.SIGN, 0), 0, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> TrafficMix.of(Map.of(TrafficKind.SIGN, 1), 0.1, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> TrafficMix.of(Map.of(TrafficKind.SIGN, 1), 1.0, List.of(TrafficKind.MALFORMED)));
    }

    @Test
    void aWrongOutcomeIsABadItemAcceptedOrAGoodOneRejectedNeverAFailure() {
        assertTrue(TrafficKind.REPLAYED.isWrong(Verdict.ACCEPTED));
        assertEquals(false, TrafficKind.REPLAYED.isWrong(Verdict.rejected("BAD_TAG")));
        assertTrue(TrafficKind.AUTHENTICATE.isWrong(Verdict.rejected("BAD_TAG")));
        assertEquals(false, TrafficKind.AUTHENTICATE.isWrong(Verdict.failed("timeout")));
        assertEquals(false, TrafficKind.MALFORMED.isWrong(Verdict.failed("timeout")));
    }
}
