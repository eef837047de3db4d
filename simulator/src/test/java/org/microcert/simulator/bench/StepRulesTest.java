package org.microcert.simulator.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.microcert.simulator.report.LatencySummary;
import org.microcert.simulator.report.RunReport;

class StepRulesTest {

    @Test
    void aWindowKeptUpWhenItAnsweredWhatItsRampedScheduleSent() {
        // 40/s for 4 s with a 1 s ramp sends 140 requests; all answered, the last at 4.05 s
        RunReport all = window(140, 4.05, 0);
        assertTrue(StepRules.keptUp(all, 40, Duration.ofSeconds(4)));
        assertTrue(StepRules.halfMet(List.of(all, all, all), 40, Duration.ofSeconds(4)));
        assertTrue(all.summary().requestsPerSecond() < 0.95 * 40); // what the rule before it refused
        // a fifth of the schedule unanswered did not keep up; a failure in one window fails them all
        assertFalse(StepRules.keptUp(window(112, 4.05, 0), 40, Duration.ofSeconds(4)));
        assertFalse(StepRules.halfMet(List.of(all, window(140, 4.05, 1), all), 40, Duration.ofSeconds(4)));
    }

    /** A measured window: {@code answered} requests over {@code seconds}, {@code failures} of them without a verdict. */
    private static RunReport window(long answered, double seconds, long failures) {
        LatencySummary l = new LatencySummary(answered, 1, 1, 1, 1, 1, 1);
        return new RunReport("microcert-simulator", 1, "2026-11-27T00:00:00Z", null, null, null,
                new RunReport.Summary(seconds, answered, answered, answered / seconds, answered / seconds, 0, failures, 0, l, l, l),
                Map.of(), List.of(), List.of(), failures == 0, List.of());
    }
}
