package org.microcert.cluster;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.microcert.cluster.audit.AuditTrail;
import org.microcert.cluster.audit.CassandraAuditTrail;
import org.microcert.cluster.audit.InMemoryAuditTrail;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.microcert.cluster.http.ApiError;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.cluster.http.GatewayRoutes;
import org.microcert.cluster.http.HttpServer;
import org.microcert.cluster.http.JournalProbe;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.replay.CassandraReplayLedger;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorEntity;
import org.microcert.cluster.sensor.SensorSettings;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.sensor.SensorPersistence;
import org.microcert.protocol.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MicroCert node: joins the Pekko cluster, hosts its share of the sensor entities, serves the
 * HTTP gateway. Configured by file, environment and flags ({@link NodeConfig}; {@code ops/bin/node
 * --help}). Cassandra runs separately ({@code ops/bin/cassandra}); the node connects to it.
 */
public final class MicroCertNode {

    /** The actor system (and cluster) name every node uses. */
    public static final String SYSTEM_NAME = "MicroCert";

    private static final Logger LOG = LoggerFactory.getLogger(MicroCertNode.class);

    private MicroCertNode() {}

    /** Exit status of a node that cannot start: bad flags, configuration, files or card. */
    static final int EXIT_SETUP = 2;

    /**
     * Why the node shuts itself down. For STARTUP_FAILED node.conf turns exit-jvm off: {@link #main}
     * exits itself, with {@link #EXIT_SETUP}, once the system has stopped (Pekko would exit with 0).
     */
    enum ShutdownReason implements CoordinatedShutdown.Reason { STARTUP_FAILED }

    public static void main(String[] args) {
        if (Arrays.asList(args).contains("--help")) {
            System.out.print(NodeConfig.usage());
            return;
        }
        Config config;
        EncryptionCard card;
        try {
            config = NodeConfig.load(args, System.getenv());
            card = NodeCard.open(config.getConfig("microcert.card"), System.getenv());
        } catch (RuntimeException e) { // besides ours: e.g. a microcert.card value of the wrong type
            System.err.println("microcert node: " + describe(e));
            System.err.println("(ops/bin/node --help lists the options)");
            System.exit(EXIT_SETUP);
            return;
        }
        Optional<HttpsConnectionContext> https;
        ActorSystem<Void> system;
        try {
            // The keystore before the actor system: with seed nodes set, the system joins the cluster as it starts.
            https = HttpServer.https(config.getConfig("microcert.http"));
            checkClusterPortFree(config);
            system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME, config);
        } catch (RuntimeException e) { // e.g. a bad TLS keystore or cluster port; Artery's own bind failure (the system has stopped itself)
            card.close();
            System.err.println("microcert node: cannot start: " + describe(e));
            System.exit(EXIT_SETUP);
            return;
        }
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseActorSystemTerminate(), "close-card", () -> {
            card.close();
            return CompletableFuture.completedFuture(Done.getInstance());
        });
        int status = startOrStop(system, () -> start(system, card, null, https), System.err).toCompletableFuture().join();
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Refuses a cluster port that cannot be bound (another node on it, a hostname not of this machine)
     * in one line before the actor system starts: Artery would log the failure with a stack trace
     * first. Checked for the TCP transports with a fixed port and hostname; anything else, and a port
     * taken in the moment between this check and Artery's bind, is left to Artery.
     */
    static void checkClusterPortFree(Config config) {
        Config artery = config.getConfig("pekko.remote.artery");
        boolean bindHost = !artery.getString("bind.hostname").isBlank();
        boolean bindPort = !artery.getString("bind.port").isBlank();
        String host = artery.getString(bindHost ? "bind.hostname" : "canonical.hostname");
        int port = artery.getInt(bindPort ? "bind.port" : "canonical.port");
        String transport = artery.getString("transport");
        if (!artery.getBoolean("enabled") || !(transport.equals("tcp") || transport.equals("tls-tcp"))
                || port <= 0 || port > 65_535 || host.startsWith("<")) {
            return; // Artery's own checks name these
        }
        // the settings at fault, as the operator set them
        String hostSetting = bindHost ? "pekko.remote.artery.bind.hostname" : "--hostname (pekko.remote.artery.canonical.hostname)";
        String portSetting = bindPort ? "pekko.remote.artery.bind.port" : "--remote-port (pekko.remote.artery.canonical.port)";
        String where = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("the cluster hostname " + host + " does not resolve (" + hostSetting + ")");
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(address, port));
        } catch (IOException e) {
            throw new IllegalArgumentException("the cluster port " + where + " cannot be bound (" + e.getMessage() + "): "
                    + (isLocal(address) ? "another node on it? Choose another with " + portSetting
                            : host + " is not an address of this machine: set " + hostSetting));
        }
    }

    private static boolean isLocal(InetAddress address) {
        try {
            return address.isAnyLocalAddress() || address.isLoopbackAddress() || NetworkInterface.getByInetAddress(address) != null;
        } catch (IOException e) {
            return true; // cannot tell: the port is the likelier cause
        }
    }

    /**
     * {@link #start}s the node and completes with 0 once the gateway listens. On any failure, thrown
     * or completed, it prints one line on {@code err} (no stack trace), stops the actor system
     * (leaving the cluster if it joined) and completes with {@link #EXIT_SETUP} once it has
     * terminated: Pekko's threads would otherwise keep a half-started member running.
     */
    static CompletionStage<Integer> startOrStop(ActorSystem<?> system, EncryptionCard card, PrintStream err) {
        return startOrStop(system, () -> start(system, card), err);
    }

    private static CompletionStage<Integer> startOrStop(ActorSystem<?> system,
            Supplier<CompletionStage<ServerBinding>> start, PrintStream err) {
        CompletionStage<ServerBinding> started;
        try {
            started = start.get();
        } catch (RuntimeException e) {
            started = CompletableFuture.failedFuture(e);
        }
        return started.handle((binding, failure) -> failure).thenCompose(failure -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(0);
            }
            err.println("microcert node: cannot start: " + describe(failure));
            return CoordinatedShutdown.get(system).runAll(ShutdownReason.STARTUP_FAILED).handle((done, f) -> done)
                    .thenCompose(done -> system.getWhenTerminated()).thenApply(terminated -> EXIT_SETUP);
        });
    }

    /**
     * A failure in one line: its message. The node's own exceptions (usage, card, tokens, TLS,
     * settings) name the file or setting at fault and never hold a secret.
     */
    static String describe(Throwable failure) {
        Throwable t = Failures.cause(failure);
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /**
     * Starts sharding, the journal probe, the audit trail and the gateway on {@code system} with
     * {@code card}. Used by {@link #main} and by tests that run nodes in-process.
     */
    public static CompletionStage<ServerBinding> start(ActorSystem<?> system, EncryptionCard card) {
        return start(system, card, null);
    }

    /** As {@link #start(ActorSystem, EncryptionCard)}, with this audit trail instead of the configured one (tests). */
    public static CompletionStage<ServerBinding> start(ActorSystem<?> system, EncryptionCard card, AuditTrail auditTrail) {
        return start(system, card, auditTrail, HttpServer.https(system.settings().config().getConfig("microcert.http")));
    }

    /** The start itself, with the gateway's HTTPS context already loaded (before sharding: {@link HttpServer#https}). */
    private static CompletionStage<ServerBinding> start(ActorSystem<?> system, EncryptionCard card, AuditTrail auditTrail,
            Optional<HttpsConnectionContext> https) {
        Config config = system.settings().config();
        Metrics metrics = Metrics.get(system);
        // What can be checked without starting anything comes first.
        SensorSettings settings = SensorSettings.fromConfig(config, Clock.systemUTC());
        Config http = config.getConfig("microcert.http");
        BearerTokens tokens = tokens(http.getString("tokens-file"));
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
        SensorEntity.initSharding(system, card, settings, ledger);
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
        system.systemActorOf(CardDigests.create(card), "card-digests", org.apache.pekko.actor.typed.Props.empty());

        Cluster cluster = Cluster.get(system);
        GatewayRoutes.Readiness readiness = new GatewayRoutes.Readiness() {
            @Override
            public boolean clusterUp() {
                return cluster.selfMember().status() == MemberStatus.up();
            }

            @Override
            public String clusterStatus() {
                return cluster.selfMember().status().toString();
            }

            @Override
            public boolean journalUp() {
                return probe.isUp();
            }

            @Override
            public int upMembers() {
                int n = 0;
                for (org.apache.pekko.cluster.Member m : cluster.state().getMembers()) {
                    n += m.status() == MemberStatus.up() ? 1 : 0;
                }
                return n;
            }
        };
        SensorClient sensors = new SensorClient(system, http.getDuration("ask-timeout"));
        GatewayRoutes routes = new GatewayRoutes(sensors, tokens, audit, metrics, readiness,
                NodeBackups.create(system, card, session, config.getString("pekko.persistence.cassandra.journal.keyspace"),
                        config.getString("pekko.persistence.cassandra.snapshot.keyspace"),
                        http.getDuration("backup-digest-timeout")), sensorIds(system, cassandra), http.getInt("import-parallelism"),
                http.getInt("rewrap-parallelism"), http.getDuration("backup-timeout"));
        return HttpServer.start(system, routes.route(), http, https);
    }

    /** Sensor ids from the journal's persistence-id index (Cassandra's all_persistence_ids). */
    private static GatewayRoutes.SensorIds sensorIds(ActorSystem<?> system, boolean cassandra) {
        if (!cassandra) {
            return () -> {
                throw new ApiError(StatusCodes.NOT_IMPLEMENTED, "NOT_AVAILABLE",
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
