package org.microcert.simulator.run;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.report.RunReport;
import org.microcert.simulator.traffic.Device;
import org.microcert.simulator.traffic.Verdict;

/**
 * Brings a fleet into service before a measurement. A fleet in service talks all the time, so its
 * entities are running and have joined their node's replay ledger (no journal write per
 * certificate); after a bulk import (minutes for a large fleet) they have passivated instead. This
 * sends one fresh certificate of every sensor (its entity's recovery from the journal and a
 * reservation write), waits until those reservations have run out, and sends one more (the
 * sensor, now heard twice, joins its node's ledger: one write). That cold start is measured here,
 * as figures of its own, instead of being spread over a measurement of the fleet in service
 * (docs/benchmarks.md).
 */
public final class FleetWake {

    /** Passes over the sensors whose certificate got no verdict (a cold node's ask timed out). */
    public static final int PASSES = 5;

    /**
     * Batches outstanding per gateway, on average (one limit for all, handed out round-robin): with
     * 500 certificates each, what a cold node here recovers in about 2 s. Four in flight to one
     * node timed 88% of their items out (docs/benchmarks.md).
     */
    static final int BATCHES_IN_FLIGHT_PER_GATEWAY = 2;

    private FleetWake() {}

    /**
     * Both rounds: the wake, then, {@code settle} after it, the round that makes each sensor join
     * (none when {@code settle} is zero). {@code settle} is the nodes' reservation-ahead and a
     * second: a certificate inside its sensor's reservation writes nothing, so it would not make
     * the sensor join.
     */
    public static RunReport.Wake run(GatewayClient client, int gateways, List<Device> sensors, int batchSize,
                              java.time.Duration settle, PrintStream out) throws InterruptedException {
        RunReport.Wake wake = run(client, gateways, sensors, batchSize, out);
        if (settle.isZero()) {
            return wake;
        }
        out.printf(Locale.ROOT, "waiting %d s for the wake's reservations to run out, then one more certificate of each "
                + "sensor (it joins its node's replay ledger)...%n", settle.toSeconds());
        Thread.sleep(settle.toMillis());
        RunReport.Wake join = run(client, gateways, sensors, batchSize, out);
        return new RunReport.Wake(wake.sensors(), wake.seconds(), wake.sensorsPerSecond(), wake.passes(),
                wake.notAccepted() + join.notAccepted(), wake.rejected() + join.rejected(), wake.firstPassOutcomes(),
                join.seconds(), join.sensorsPerSecond());
    }

    /**
     * One round: wakes {@code sensors} through {@code client} (round-robin over its gateways). Items without a
     * verdict are sent again, up to {@link #PASSES} passes; a rejection is not: a fresh certificate
     * of an active sensor must be accepted, so it is counted ({@link RunReport.Wake#rejected()}).
     */
    static RunReport.Wake run(GatewayClient client, int gateways, List<Device> sensors, int batchSize, PrintStream out)
            throws InterruptedException {
        List<Device> asleep = sensors;
        Map<String, Long> firstPass = null;
        long rejected = 0;
        int passes = 0;
        long started = System.nanoTime();
        while (!asleep.isEmpty() && passes < PASSES) {
            passes++;
            Semaphore inFlight = new Semaphore(BATCHES_IN_FLIGHT_PER_GATEWAY * Math.max(1, gateways));
            List<Map.Entry<List<Device>, CompletableFuture<List<Verdict>>>> sent = new ArrayList<>();
            for (int i = 0; i < asleep.size(); i += batchSize) {
                List<Device> chunk = asleep.subList(i, Math.min(asleep.size(), i + batchSize));
                long now = WallClock.nowSeconds(); // each batch as fresh as a sensor's own certificate
                List<byte[]> certs = chunk.stream().map(d -> d.authenticate(now)).toList();
                inFlight.acquire();
                sent.add(Map.entry(chunk, client.batch(certs).whenComplete((v, e) -> inFlight.release())));
            }
            Map<String, Long> outcomes = new TreeMap<>();
            List<Device> noVerdict = new ArrayList<>();
            for (var batch : sent) {
                List<Verdict> verdicts = batch.getValue().join();
                for (int k = 0; k < verdicts.size(); k++) {
                    Verdict v = verdicts.get(k);
                    outcomes.merge(v instanceof Verdict.Accepted ? "accepted"
                            : v instanceof Verdict.Rejected r ? "rejected " + r.reason() : "failed", 1L, Long::sum);
                    if (v instanceof Verdict.Rejected) {
                        rejected++;
                    } else if (v instanceof Verdict.Failed) {
                        noVerdict.add(batch.getKey().get(k));
                    }
                }
            }
            if (firstPass == null) {
                firstPass = outcomes;
            }
            asleep = noVerdict;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long accepted = sensors.size() - asleep.size() - rejected;
        RunReport.Wake wake = new RunReport.Wake(sensors.size(), round(seconds), round(accepted / Math.max(seconds, 1e-9)),
                passes, asleep.size() + rejected, rejected, firstPass == null ? Map.of() : firstPass, null, null);
        out.printf(Locale.ROOT, "one certificate of each of %,d sensors accepted in %.1f s (%,.0f sensors/s), "
                        + "%d pass(es); the first pass: %s%s%s%n", accepted, seconds, wake.sensorsPerSecond(), passes,
                wake.firstPassOutcomes(), rejected == 0 ? "" : "; REJECTED: " + rejected,
                asleep.isEmpty() ? "" : "; no verdict after " + passes + " passes: " + asleep.size());
        return wake;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
