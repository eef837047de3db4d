package org.microcert.cluster.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.IntSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.microcert.cluster.tls.GatewayTrust;

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
    private volatile Supplier<SeedCacheCounts> seedCache = () -> SeedCacheCounts.NONE;
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
    private final Counter leaseTerms = Counter.builder().name("microcert_lease_terms_total")
            .help("This node's fencing term (docs/cluster.md \"Fencing\"): started, renewals ok or failed, and "
                    + "lost (every shard held under it stops until a new term holds it)").labelNames("event")
            .register(registry);
    private final Counter ledgerJoins = Counter.builder().name("microcert_replay_ledger_joins_total")
            .help("Sensors that joined this node's replay-ledger session (one journal write each, then none "
                    + "for their replay protection until they stop)").register(registry);
    private final Counter keyOperations = Counter.builder().name("microcert_key_operations_total")
            .help("Key-management operations by action and result").labelNames("action", "result").register(registry);

    private final Counter operatorAuthFailures = Counter.builder().name("microcert_operator_auth_failures_total")
            .help("Operator calls refused for their credential: refused (401) or throttled (429, source over its limit)")
            .labelNames("result").register(registry);
    private final Counter auditOutcomesUnrecorded = Counter.builder().name("microcert_audit_outcome_unrecorded_total")
            .help("Key-management operations that happened but whose outcome record could not be stored")
            .labelNames("action").register(registry);

    private final Counter gatewayRequests = Counter.builder().name("microcert_gateway_requests_total")
            .help("Device requests by forwarding gateway (the CN of its verified client certificate; none without "
                    + "one; other beyond 64 names unless allow-listed)").labelNames("gateway").register(registry);

    private final Counter rateLimited = Counter.builder().name("microcert_rate_limited_total")
            .help("Device requests refused with 429 because their client exceeded its rate limit, by route")
            .labelNames("route").register(registry);
    private final Counter failedVerificationsDelayed = Counter.builder()
            .name("microcert_failed_verifications_delayed_total")
            .help("BAD_TAG answers delayed because their sensor was over its failed-verification limit")
            .register(registry);
    private final Counter unknownSensorCache = Counter.builder().name("microcert_unknown_sensor_cache_total")
            .help("Unknown sensor ids: stored in this node's negative cache, or answered from it (hit) without a recovery")
            .labelNames("result").register(registry);
    private final Counter recoveries = Counter.builder().name("microcert_sensor_recoveries_total")
            .help("Sensor entities recovered from the journal on this node (each reads a snapshot and the journal)")
            .register(registry);
    private volatile java.util.function.LongSupplier rateLimitClients = () -> 0;
    private final Counter unknownRecoveries = Counter.builder().name("microcert_unknown_recoveries_total")
            .help("Recoveries of sensor ids not known to this node to be provisioned, by result: started (a permit "
                    + "at once), queued (none free: a device call waits, an operator command goes ahead), refused (the "
                    + "queue was full), gave_up (waited max-wait); "
                    + "refused and gave_up are answered UNAVAILABLE without a read")
            .labelNames("result").register(registry);
    private volatile IntSupplier unknownRecoveriesInFlight = () -> 0;
    private volatile IntSupplier unknownRecoveriesWaiting = () -> 0;
    private volatile IntSupplier unknownRecoveriesPeak = () -> 0;
    private volatile long provisionedListed;

    private Metrics() {
        GaugeWithCallback.builder().name("microcert_unknown_recovery_permits")
                .help("Recoveries of ids not known to be provisioned: holding a permit (in_flight), waiting for one, "
                        + "and the most ever in flight at once on this node (peak)")
                .labelNames("state").callback(cb -> {
                    cb.call(unknownRecoveriesInFlight.getAsInt(), "in_flight");
                    cb.call(unknownRecoveriesWaiting.getAsInt(), "waiting");
                    cb.call(unknownRecoveriesPeak.getAsInt(), "peak");
                }).register(registry);
        GaugeWithCallback.builder().name("microcert_provisioned_ids_listed")
                .help("Sensor ids read from the journal's listing by this node's last complete load (their recoveries "
                        + "skip the unknown-id limit)")
                .callback(cb -> cb.call(provisionedListed)).register(registry);
        CounterWithCallback.builder().name("microcert_gateway_refusals_total")
                .help("Gateways refused, by reason: untrusted (TLS handshake, certificate not of a gateway CA), "
                        + "not_allowed (handshake, CN not allow-listed), no_certificate (device request without one); "
                        + "for this process").labelNames("reason")
                .callback(cb -> GatewayTrust.refusals().forEach((r, n) -> cb.call(n, r.label()))).register(registry);
        GaugeWithCallback.builder().name("microcert_rate_limit_clients")
                .help("Clients whose device rate-limit bucket this node holds (idle ones are evicted)")
                .callback(cb -> cb.call(rateLimitClients.getAsLong())).register(registry);
        GaugeWithCallback.builder().name("microcert_sensor_entities_active").help("Sensor entities in memory on this node")
                .callback(cb -> cb.call(activeEntities.get())).register(registry);
        GaugeWithCallback.builder().name("microcert_journal_up").help("1 when the last journal probe answered")
                .callback(cb -> cb.call(journalUp ? 1 : 0)).register(registry);
        CounterWithCallback.builder().name("microcert_seed_cache_hits_total")
                .help("Certificates and key operations served by a seed kept open in memory")
                .callback(cb -> cb.call(seedCache.get().hits())).register(registry);
        CounterWithCallback.builder().name("microcert_seed_cache_misses_total")
                .help("Uses of a seed that was not kept open (opened on the card), with keep-seed-open on")
                .callback(cb -> cb.call(seedCache.get().misses())).register(registry);
        CounterWithCallback.builder().name("microcert_seed_opens_total")
                .help("Sealed seeds opened by the encryption card for the sensor entities (each with keep-seed-open off)")
                .callback(cb -> cb.call(seedCache.get().opens())).register(registry);
        CounterWithCallback.builder().name("microcert_seed_cache_evictions_total")
                .help("Kept seeds wiped, by reason: bound (max-open-seeds needed the place), idle "
                        + "(open-seed-idle-timeout), released (the entity passivated, stopped, was revoked or got a new seed)")
                .labelNames("reason").callback(cb -> {
                    SeedCacheCounts c = seedCache.get();
                    cb.call(c.evictedByBound(), "bound");
                    cb.call(c.evictedIdle(), "idle");
                    cb.call(c.released(), "released");
                }).register(registry);
        GaugeWithCallback.builder().name("microcert_seed_cache_open_seeds").help("Seeds kept open in memory on this node")
                .callback(cb -> cb.call(seedCache.get().open())).register(registry);
        GaugeWithCallback.builder().name("microcert_seed_cache_capacity")
                .help("max-open-seeds on this node (0: keep-seed-open off)")
                .callback(cb -> cb.call(seedCache.get().capacity())).register(registry);
        GaugeWithCallback.builder().name("microcert_cluster_members")
                .help("Cluster members as this node sees them: Up, and unreachable by its failure detector")
                .labelNames("state")
                .callback(cb -> {
                    cb.call(upMembers.getAsInt(), "up");
                    cb.call(unreachableMembers.getAsInt(), "unreachable");
                }).register(registry);
    }

    /** The numbers behind the seed metrics, read from the node's seed cache at each scrape. */
    public record SeedCacheCounts(long hits, long misses, long opens, long evictedByBound, long evictedIdle,
                                  long released, int open, int capacity) {
        static final SeedCacheCounts NONE = new SeedCacheCounts(0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** Where the seed metrics come from: the node's seed cache (one per node). */
    public void seedCache(Supplier<SeedCacheCounts> source) {
        seedCache = source;
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

    /** An event of this node's fencing term: started, ok, failed (a renewal), lost. */
    public void leaseTerm(String event) {
        leaseTerms.labelValues(event).inc();
    }

    /** A busy sensor joined this node's replay-ledger session. */
    public void ledgerJoined() {
        ledgerJoins.inc();
    }

    /** A device request from {@code gateway} (a bounded label: see {@code GatewayIdentity}). */
    public void gatewayRequest(String gateway) {
        gatewayRequests.labelValues(gateway).inc();
    }

    /** A device request refused with 429 on {@code route} (an endpoint template). */
    public void rateLimited(String route) {
        rateLimited.labelValues(route).inc();
    }

    /** The negative cache of unknown sensor ids: {@code stored} or {@code hit}. */
    public void unknownSensorCache(String result) {
        unknownSensorCache.labelValues(result).inc();
    }

    /** A sensor entity completed its recovery from the journal. */
    public void recovered() {
        recoveries.inc();
    }

    /** A BAD_TAG answer delayed: its sensor is over its failed-verification limit. */
    public void failedVerificationDelayed() {
        failedVerificationsDelayed.inc();
    }

    /** A recovery of an id not known to be provisioned: started, queued, refused or gave_up. */
    public void unknownRecovery(String result) {
        unknownRecoveries.labelValues(result).inc();
    }

    /** Where {@code microcert_unknown_recovery_permits} reads the node's permits. */
    public void unknownRecoveries(IntSupplier inFlight, IntSupplier waiting, IntSupplier peak) {
        unknownRecoveriesInFlight = inFlight;
        unknownRecoveriesWaiting = waiting;
        unknownRecoveriesPeak = peak;
    }

    /** A load of the journal's sensor listing completed with {@code ids} ids. */
    public void provisionedListed(long ids) {
        provisionedListed = ids;
    }

    /** Where {@code microcert_rate_limit_clients} reads the number of tracked clients. */
    public void rateLimitClients(java.util.function.LongSupplier clients) {
        rateLimitClients = clients;
    }

    public void keyOperation(String action, String result) {
        keyOperations.labelValues(action, result).inc();
    }

    public void operatorAuthFailure(String result) {
        operatorAuthFailures.labelValues(result).inc();
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
