package org.microcert.cluster.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's Prometheus metrics (one registry per actor system), served at {@code /metrics}. Names
 * and labels are listed in docs/http-api.md. Labels only ever carry codes, never sensor ids (their
 * number is unbounded) or secrets.
 */
public final class Metrics implements Extension {

    private static final ExtensionId<Metrics> ID = new ExtensionId<>() {
        @Override
        public Metrics createExtension(ActorSystem<?> system) {
            return new Metrics();
        }
    };

    /** The metrics of {@code system}. */
    public static Metrics get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final AtomicLong activeEntities = new AtomicLong();
    private volatile boolean journalUp;
    private volatile IntSupplier upMembers = () -> 0;
    private volatile IntSupplier unreachableMembers = () -> 0;

    private final Counter verdicts = Counter.builder().name("microcert_verdicts_total")
            .help("Certificates judged, by operation, outcome and reason")
            .labelNames("operation", "outcome", "reason").register(registry);
    private final Histogram requestSeconds = Histogram.builder().name("microcert_request_seconds")
            .help("HTTP request latency").labelNames("route", "status")
            .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
            .register(registry);
    private final Counter reservations = Counter.builder().name("microcert_replay_reservations_total")
            .help("Replay reservations written to the journal, a sensor joining its node's replay ledger included: "
                    + "before an answer (a certificate waited for the write) or in the background (a busy sensor's "
                    + "early renewal)").labelNames("when").register(registry);
    private final Counter ledgerRenewals = Counter.builder().name("microcert_replay_ledger_renewals_total")
            .help("Renewals of this node's replay-ledger session, by result (ok, failed)")
            .labelNames("result").register(registry);
    private final Counter ledgerJoins = Counter.builder().name("microcert_replay_ledger_joins_total")
            .help("Sensors that joined this node's replay-ledger session (one journal write each, then none "
                    + "for their replay protection until they stop)").register(registry);
    private final Counter keyOperations = Counter.builder().name("microcert_key_operations_total")
            .help("Key-management operations by action and result").labelNames("action", "result").register(registry);

    private final Counter auditOutcomesUnrecorded = Counter.builder().name("microcert_audit_outcome_unrecorded_total")
            .help("Key-management operations that happened but whose outcome record could not be stored")
            .labelNames("action").register(registry);

    private Metrics() {
        GaugeWithCallback.builder().name("microcert_sensor_entities_active").help("Sensor entities in memory on this node")
                .callback(cb -> cb.call(activeEntities.get())).register(registry);
        GaugeWithCallback.builder().name("microcert_journal_up").help("1 when the last journal probe answered")
                .callback(cb -> cb.call(journalUp ? 1 : 0)).register(registry);
        GaugeWithCallback.builder().name("microcert_cluster_members")
                .help("Cluster members as this node sees them: Up, and unreachable by its failure detector")
                .labelNames("state")
                .callback(cb -> {
                    cb.call(upMembers.getAsInt(), "up");
                    cb.call(unreachableMembers.getAsInt(), "unreachable");
                }).register(registry);
    }

    /** Where {@code microcert_cluster_members} reads the membership from (the node's cluster, once it runs). */
    public void clusterMembers(IntSupplier up, IntSupplier unreachable) {
        upMembers = up;
        unreachableMembers = unreachable;
    }

    public void verdict(String operation, String outcome, String reason) {
        verdicts.labelValues(operation, outcome, reason == null ? "" : reason).inc();
    }

    public void request(String route, int status, long nanos) {
        requestSeconds.labelValues(route, Integer.toString(status)).observe(nanos / 1e9);
    }

    /** A reservation journaled: {@code beforeAnswer} when a certificate's answer waits for the write. */
    public void reservationWritten(boolean beforeAnswer) {
        reservations.labelValues(beforeAnswer ? "before_answer" : "background").inc();
    }

    /** The node's replay-ledger session renewed ({@code ok}) or not. */
    public void ledgerRenewed(boolean ok) {
        ledgerRenewals.labelValues(ok ? "ok" : "failed").inc();
    }

    /** A busy sensor joined this node's replay-ledger session. */
    public void ledgerJoined() {
        ledgerJoins.inc();
    }

    public void keyOperation(String action, String result) {
        keyOperations.labelValues(action, result).inc();
    }

    public void auditOutcomeUnrecorded(String action) {
        auditOutcomesUnrecorded.labelValues(action).inc();
    }

    public void entityStarted() {
        activeEntities.incrementAndGet();
    }

    public void entityStopped() {
        activeEntities.decrementAndGet();
    }

    public long activeEntities() {
        return activeEntities.get();
    }

    public void journalUp(boolean up) {
        journalUp = up;
    }

    /** Content type of {@link #scrape()}. */
    public String contentType() {
        return writer.getContentType();
    }

    /** All metrics in Prometheus text format. */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
