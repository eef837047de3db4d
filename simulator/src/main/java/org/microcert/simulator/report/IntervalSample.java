package org.microcert.simulator.report;

/**
 * One interval of the timeline (normally one second).
 *
 * @param t                 seconds since the start, at the end of the interval
 * @param targetRate        requests per second the schedule asked for at that time
 * @param requestsPerSecond answers received per second in the interval
 * @param itemsPerSecond    items (certificates) answered per second (a batch counts its items)
 * @param latency           latencies of all requests answered in the interval
 * @param sendLagP99Ms      99th percentile of (release by the scheduler - due time): high means the simulator lagged
 */
public record IntervalSample(double t, double targetRate, double requestsPerSecond, double itemsPerSecond,
                             LatencySummary latency, double sendLagP99Ms, long failures, long wrong,
                             int inFlight, int waiting) {}
