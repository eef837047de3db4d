package org.microcert.simulator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sweep's search for the highest sustained rate, against made-up targets (no network, no clock). */
class ClimbTest {

    @Test
    void aSweepNarrowsTheGapBetweenItsBestStepAndTheFailedOne() throws Exception {
        List<Double> tried = new ArrayList<>();
        List<Double> sustained = new ArrayList<>();
        // a target that keeps up to 70/s: the steps are 25% apart, so the climb alone would report 61
        double best = Climb.search(25, 1.25, 30, 2, (rate, label) -> {
            tried.add(rate);
            return rate <= 70;
        }, sustained::add);
        // 25, 31.25, 39.06, 48.83, 61.04 pass; 76.29 fails twice and so does the next rate, 95.37;
        // then sqrt(61.04 * 76.29) = 68.24 passes and sqrt(68.24 * 76.29) = 72.15 fails twice
        assertEquals(68.24, best, 0.01);
        assertEquals(12, tried.size(), tried.toString());
        assertEquals(tried.get(5), tried.get(6));
        assertEquals(95.37, tried.get(7), 0.01);
        assertEquals(tried.get(7), tried.get(8));
        assertEquals(68.24, tried.get(9), 0.01);
        assertEquals(72.15, tried.get(10), 0.01);
        assertEquals(tried.get(10), tried.get(11));
        assertEquals(best, sustained.get(sustained.size() - 1));
    }

    @Test
    void oneRateThatFailsTwiceDoesNotEndTheSweepWhenTheNextIsSustained() throws Exception {
        List<Double> tried = new ArrayList<>();
        // keeps up to 200/s, but a compaction spoils both runs of the 62.5/s step
        double best = Climb.search(50, 1.25, 30, 2, (rate, label) -> {
            tried.add(rate);
            return rate != 62.5 && rate <= 200;
        }, r -> { });
        assertEquals(List.of(50.0, 62.5, 62.5, 78.125), tried.subList(0, 4));
        // 78.1 ... 190.7 pass; 238.4 and 298.0 fail twice each; the bisections towards 238.4 fail
        assertEquals(16, tried.size(), tried.toString());
        assertEquals(190.73486328125, best, 1e-9);
        assertEquals(List.of(238.4185791015625, 238.4185791015625, 298.0232238769531, 298.0232238769531),
                tried.subList(8, 12));
        assertEquals(Math.sqrt(190.73486328125 * 238.4185791015625), tried.get(12), 1e-9);
    }

    @Test
    void aStepThatFailsOnceAndThenKeepsUpCountsAsSustained() throws Exception {
        List<Double> tried = new ArrayList<>();
        boolean[] failedOnce = {false};
        double best = Climb.search(100, 2, 4, 2, (rate, label) -> {
            tried.add(rate);
            if (rate == 200 && !failedOnce[0]) {
                failedOnce[0] = true; // one GC pause
                return false;
            }
            return true;
        }, r -> { });
        assertEquals(List.of(100.0, 200.0, 200.0, 400.0), tried);
        assertEquals(400, best); // never failed twice: no bisection
    }

    @Test
    void aTooFastFirstStepIsHalvedAndTriedOnceMoreAfterTheClimbBack() throws Exception {
        List<Double> tried = new ArrayList<>();
        // keeps up to 99/s: 100 fails twice, so from 50 up: 50, 62.5, 78.1, 97.7 pass; the next step,
        // 122, is above the rate that failed: 100 is tried once more, fails twice again and is the
        // limit; bisect towards it (98.8 passes, 99.4 fails twice)
        double best = Climb.search(100, 1.25, 30, 2, (rate, label) -> {
            tried.add(rate);
            return rate <= 99;
        }, r -> { });
        assertEquals(11, tried.size(), tried.toString());
        assertEquals(List.of(100.0, 100.0, 50.0, 62.5, 78.125, 97.65625, 100.0, 100.0), tried.subList(0, 8));
        assertEquals(Math.sqrt(97.65625 * 100), tried.get(8), 1e-9);
        assertEquals(Math.sqrt(tried.get(8) * 100), tried.get(9), 1e-9);
        assertEquals(tried.get(9), tried.get(10));
        assertEquals(tried.get(8), best);
    }

    @Test
    void stepsThatRunOutBeforeTheWarmRetryStillBisectTowardsTheFailedRate() throws Exception {
        List<Double> tried = new ArrayList<>();
        // 6 steps: 100 twice (failed), 50 .. 97.7; the retry of 100 has no step left, but the figure
        // is still narrowed towards 100, not left at the climb's last step
        double best = Climb.search(100, 1.25, 6, 2, (rate, label) -> {
            tried.add(rate);
            return rate <= 99;
        }, r -> { });
        assertEquals(List.of(100.0, 100.0, 50.0, 62.5, 78.125, 97.65625), tried.subList(0, 6));
        assertEquals(Math.sqrt(97.65625 * 100), tried.get(6), 1e-9);
        assertEquals(tried.get(6), best);
    }

    @Test
    void aFirstStepThatFailedColdIsPassedWarmAndTheClimbGoesOn() throws Exception {
        List<Double> tried = new ArrayList<>();
        int[] calls = {0};
        // keeps up to 200/s, except its first two steps (a cold JIT): 100 fails twice, 50 .. 97.7
        // pass, 100 passes warm, and the climb goes on as usual above it
        double best = Climb.search(100, 1.25, 30, 0, (rate, label) -> {
            tried.add(rate);
            return ++calls[0] > 2 && rate <= 200;
        }, r -> { });
        assertEquals(List.of(100.0, 100.0, 50.0, 62.5, 78.125, 97.65625, 100.0, 125.0, 156.25, 195.3125),
                tried.subList(0, 10));
        assertEquals(195.3125, best, 1e-9);
    }

    @Test
    void aSweepThatMustStopKeepsItsBestSoFar() throws Exception {
        List<Double> tried = new ArrayList<>();
        double best = Climb.search(25, 1.25, 30, 2, (rate, label) -> {
            tried.add(rate);
            return rate > 70 ? null : Boolean.TRUE; // e.g. the next step would prebuild too many certificates
        }, r -> { });
        assertEquals(6, tried.size(), tried.toString());
        assertEquals(61.03515625, best, 1e-9); // no failed step: nothing to bisect towards
    }
}
