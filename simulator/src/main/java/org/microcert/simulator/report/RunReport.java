package org.microcert.simulator.report;

import java.util.List;
import java.util.Map;

/**
 * Everything a run found, as written to {@code report.json} (and rendered into {@code report.html}).
 * Field names are part of the report format: tools compare reports between versions.
 *
 * @param passed   no wrong outcome, error rate within the limit, every request answered
 * @param problems why the run did not pass (empty when it passed)
 */
public record RunReport(String tool, int formatVersion, String startedAt, Settings settings,
                        Provisioning provisioning, Wake wake, Summary summary, Map<String, LatencySummary> latencyByKind,
                        List<OutcomeLedger.KindOutcome> outcomes, List<IntervalSample> timeline,
                        boolean passed, List<String> problems) {

    /** The options of the run (never the operator token). */
    public record Settings(List<String> gateways, int sensors, double rate, double rampSeconds,
                           double durationSeconds, Map<String, Double> mix, int connections, int batchSize,
                           String suite) {}

    /**
     * How the fleet was loaded before the run.
     *
     * @param seconds          the whole set-up: making the chips, the import, the revocations
     * @param sensorsPerSecond lines answered PROVISIONED or ALREADY_PROVISIONED per second of import
     */
    public record Provisioning(int sensors, long provisioned, long alreadyProvisioned, long failed,
                               double seconds, double sensorsPerSecond, int revoked, int expiredSeedSensors) {}

    /**
     * The fleet woken before the run (run --wake), or null: one certificate of every active sensor,
     * then another once the first one's reservation has run out, so that the run measures a fleet in
     * service and the cold start is a figure of its own. Counts cover both rounds.
     *
     * @param sensorsPerSecond  sensors accepted per second of the wake, all passes included
     * @param passes            passes of the first round: items without a verdict (a cold node's timeout)
     *                          are sent again
     * @param notAccepted       certificates never accepted, both rounds counted: rejected, or without a
     *                          verdict after the last pass
     * @param rejected          fresh certificates of active sensors the center rejected (wrong outcomes)
     * @param firstPassOutcomes what the first round's first pass got back, by outcome
     * @param joinSeconds       the second round (run --wake-settle after the first): one more
     *                          certificate of each sensor, which makes it join its node's replay ledger;
     *                          null when there was none (a fast round can round to 0 s)
     * @param joinSensorsPerSecond sensors accepted per second of that round
     */
    public record Wake(int sensors, double seconds, double sensorsPerSecond, int passes, long notAccepted,
                       long rejected, Map<String, Long> firstPassOutcomes, Double joinSeconds,
                       Double joinSensorsPerSecond) {}

    /**
     * @param good     latency of good traffic only (what a real fleet would see)
     * @param sendLag  time the scheduler released each request minus its due time: a p99 near the
     *                 latencies means the simulator, not the center, was the limit
     */
    public record Summary(double elapsedSeconds, long requests, long items, double requestsPerSecond,
                          double itemsPerSecond, long wrongOutcomes, long failures, long unanswered,
                          LatencySummary all, LatencySummary good, LatencySummary sendLag) {}
}
