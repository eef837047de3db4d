package org.microcert.cluster.node;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.microcert.cluster.application.AuditedOperations;
import org.microcert.cluster.application.KeyOperationRefused;
import org.microcert.cluster.application.KeyOperations;
import org.microcert.cluster.application.SensorIds;
import org.microcert.cluster.backup.BackupService;
import org.microcert.cluster.backup.CardDigests;
import org.microcert.cluster.backup.ClusterBackups;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.cluster.http.GatewayIdentity;
import org.microcert.cluster.http.GatewayRoutes;
import org.microcert.cluster.http.HttpServer;
import org.microcert.cluster.http.JournalProbe;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.replay.CassandraReplayLedger;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.sensor.ShardAvailability;
import org.microcert.cluster.sensor.SensorSharding;
import org.microcert.cluster.sensor.SensorSettings;
import org.microcert.cluster.trail.AuditTrail;
import org.microcert.cluster.trail.CassandraAuditTrail;
import org.microcert.cluster.trail.InMemoryAuditTrail;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.sensor.SensorPersistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds the node's parts from its configuration and wires them (sharding and
 * the replay ledger, the journal probe, the audit trail, the card-digest service, backups, the
 * application's key operations, the gateway).
 */
public final class NodeAssembly {

    private static final Logger LOG = LoggerFactory.getLogger(NodeAssembly.class);

    private NodeAssembly() {}

    /**
     * Starts sharding, the journal probe, the audit trail and the gateway on {@code system} with
     * {@code card}. Used by {@link NodeLauncher#main} and by tests that run nodes in-process.
     */
    public static CompletionStage<ServerBinding> start(ActorSystem<?> system, EncryptionCard card) {
        return start(system, card, null);
    }

    /** As {@link #start(ActorSystem, EncryptionCard)}, with this audit trail instead of the configured one (tests). */
    public static CompletionStage<ServerBinding> start(ActorSystem<?> system, EncryptionCard card, AuditTrail auditTrail) {
        return start(system, card, auditTrail, HttpServer.https(system.settings().config().getConfig("microcert.http")));
    }

    /** The start itself, with the gateway's HTTPS context already loaded (before sharding: {@link HttpServer#https}). */
    static CompletionStage<ServerBinding> start(ActorSystem<?> system, EncryptionCard card, AuditTrail auditTrail,
            Optional<HttpsConnectionContext> https) {
        Config config = system.settings().config();
        Metrics metrics = Metrics.get(system);
        // What can be checked without starting anything comes first.
        SensorSettings settings = SensorSettings.fromConfig(config, Clock.systemUTC());
        Config http = config.getConfig("microcert.http");
        BearerTokens tokens = tokens(http.getString("tokens-file"));
        Duration tokensReload = http.getDuration("tokens-reload-interval");
        if (!http.getString("tokens-file").isBlank() && !tokensReload.isZero()) {
            // a content check (not mtime, whose granularity can hide a quick second edit); the file is small
            Path tokensFile = Path.of(http.getString("tokens-file"));
            system.scheduler().scheduleWithFixedDelay(tokensReload, tokensReload,
                    () -> tokens.reloadIfChanged(tokensFile), system.executionContext());
        }
        Config ledgerConfig = config.getConfig("microcert.replay-ledger");
        Duration ahead = settings.reservationAhead();
        // auto: a third of reservation-ahead, so the reservation stays at least two thirds of it ahead
        Duration renewEvery = ledgerConfig.getString("renew-interval").equals("auto") ? ahead.dividedBy(3)
                : ledgerConfig.getDuration("renew-interval");
        if (!ahead.isZero() && (renewEvery.isZero() || renewEvery.isNegative() || renewEvery.compareTo(ahead) >= 0)) {
            throw new IllegalArgumentException("microcert.replay-ledger.renew-interval must be auto, or above 0 and below "
                    + "microcert.sensor.reservation-ahead (" + ahead.toMillis() + "ms), not " + renewEvery.toMillis() + "ms");
        }
        if (ledgerConfig.getDuration("session-ttl").compareTo(Duration.ofHours(1)) < 0) {
            // shorter, a crashed node's sensors could outlive its row within the clocks' skew
            throw new IllegalArgumentException("microcert.replay-ledger.session-ttl must be at least 1h");
        }

        boolean cassandra = config.getString("pekko.persistence.journal.plugin").contains("cassandra");
        // A session of our own (same driver settings): taking the journal's shared session first would
        // create it without the plugin's schema-autocreate step.
        CassandraSession session = cassandra
                ? CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra") : null;
        // With the ledger off (or a zero reservation-ahead, where a session would reserve nothing ahead
        // of the clock) the node renews no session but still reads other nodes' ones.
        ReplayLedger ledger = session == null ? ReplayLedger.NONE
                : CassandraReplayLedger.start(system, session,
                        config.getString("pekko.persistence.cassandra.journal.keyspace"),
                        config.getString("pekko.persistence.cassandra.write-profile"),
                        config.getString("pekko.persistence.cassandra.read-profile"), Clock.systemUTC(), ahead,
                        ledgerConfig.getBoolean("enabled") && !ahead.isZero(), renewEvery,
                        ledgerConfig.getDuration("timeout"), ledgerConfig.getDuration("session-ttl"),
                        ledgerConfig.getBoolean("tables-autocreate"), metrics);
        // the journal's sensor listing lets known sensors' recoveries skip the unknown-id limit
        SensorSharding.init(system, card, settings, ledger, cassandra ? sensorIds(system, true)::current : null);
        JournalProbe probe;
        if (session != null && http.getBoolean("journal-probe.enabled")) {
            probe = JournalProbe.start(system, session, http.getDuration("journal-probe.interval"),
                    http.getDuration("journal-probe.timeout"), metrics);
        } else {
            probe = JournalProbe.alwaysUp();
            metrics.journalUp(true);
        }
        AuditTrail audit = auditTrail != null ? auditTrail : auditTrail(system, config.getConfig("microcert.audit"), session);

        // This node's share of the cards' set digest, for backups taken on any node.
        system.systemActorOf(CardDigests.create(card), "card-digests", Props.empty());

        ClusterReadiness readiness = new ClusterReadiness(Cluster.get(system), probe);
        metrics.clusterMembers(readiness::upMembers, readiness::unreachableMembers);
        NodeManagement.start(system, readiness);
        SensorClient sensors = new SensorClient(system, http.getDuration("ask-timeout"), shardAvailability(system, http));
        String journalKeyspace = config.getString("pekko.persistence.cassandra.journal.keyspace");
        BackupService backups = ClusterBackups.create(system, card, session, journalKeyspace,
                config.getString("pekko.persistence.cassandra.snapshot.keyspace"), http.getDuration("backup-digest-timeout"));
        KeyOperations keys = new KeyOperations(sensors, new AuditedOperations(audit, metrics), backups,
                sensorIds(system, cassandra), http.getInt("import-parallelism"), http.getInt("rewrap-parallelism"));
        GatewayRoutes routes = new GatewayRoutes(sensors, keys, tokens, audit, metrics, readiness,
                http.getDuration("backup-timeout"), http.getDuration("import-body-timeout"),
                GatewayIdentity.Policy.fromConfig(http, metrics),
                http.getInt("operator-auth-failures.max-failures"), http.getDuration("operator-auth-failures.window"),
                http.getConfig("device-rate-limit"));
        return HttpServer.start(system, routes.route(), http, https);
    }

    /** Fail-fast for sensors whose shard cannot answer (docs/cluster.md "Node loss"), unless switched off. */
    private static ShardAvailability shardAvailability(ActorSystem<?> system, Config http) {
        Config c = http.getConfig("shard-availability");
        return c.getBoolean("enabled")
                ? ShardAvailability.start(system, system.settings().config().getInt("pekko.cluster.sharding.number-of-shards"),
                        c.getDuration("refresh"), c.getDuration("hand-off"))
                : ShardAvailability.NONE;
    }

    /** Sensor ids from the journal's persistence-id index (Cassandra's all_persistence_ids). */
    private static SensorIds sensorIds(ActorSystem<?> system, boolean cassandra) {
        if (!cassandra) {
            return () -> {
                throw new KeyOperationRefused(KeyOperationRefused.Reason.NOT_AVAILABLE,
                        "fleet-wide operations need the Cassandra journal");
            };
        }
        return () -> PersistenceQuery.get(system).getReadJournalFor(CassandraReadJournal.class,
                        CassandraReadJournal.Identifier()).currentPersistenceIds()
                .map(SensorPersistence::sensorIdOf).filter(Optional::isPresent).map(Optional::get);
    }

    private static AuditTrail auditTrail(ActorSystem<?> system, Config audit, CassandraSession session) {
        String store = audit.getString("store");
        if (store.equals("memory") || (store.equals("auto") && session == null)) {
            LOG.warn("audit trail kept in memory and in the audit log only (microcert.audit.store = {})", store);
            return new InMemoryAuditTrail();
        }
        if (session == null) {
            throw new IllegalStateException("microcert.audit.store = cassandra needs the Cassandra journal");
        }
        String keyspace = audit.getString("keyspace");
        CassandraAuditTrail trail = new CassandraAuditTrail(session, keyspace, system.executionContext());
        if (audit.getBoolean("tables-autocreate")) {
            // Wait before the gateway binds: a key-management call answered before the table exists
            // would lose its Cassandra audit record (schema changes take seconds on a busy node).
            try {
                trail.createTables(keyspace).toCompletableFuture().get(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating the audit_trail table");
            } catch (ExecutionException | TimeoutException e) {
                LOG.error("could not create the audit_trail table: {}",
                        e instanceof ExecutionException ? e.getCause().toString() : "timed out after 60 s");
            }
        }
        return trail;
    }

    private static BearerTokens tokens(String file) {
        if (file.isBlank()) {
            LOG.warn("no tokens file (microcert.http.tokens-file): every operator call will answer 401");
            return BearerTokens.none();
        }
        try {
            BearerTokens tokens = BearerTokens.load(Path.of(file));
            LOG.info("{} operator tokens loaded from {}", tokens.size(), file);
            return tokens;
        } catch (IOException e) {
            // A FileSystemException's message is only the path: its type says what went wrong.
            throw new IllegalStateException("cannot read the tokens file " + file + ": "
                    + (e instanceof FileSystemException ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }
}
