package org.microcert.cluster.node;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.microcert.cluster.card.CardLoader;
import org.microcert.cluster.http.HttpServer;
import org.microcert.cluster.tls.ClusterTlsEngineProvider;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.cassandra.CassandraAccess;
import org.microcert.protocol.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a node process: flags and configuration ({@link NodeConfig}), the card, the actor system,
 * then {@link NodeAssembly}; any failure is one line on stderr and exit status {@link #EXIT_SETUP}.
 */
public final class NodeLauncher {

    /** The actor system (and cluster) name every node uses. */
    public static final String SYSTEM_NAME = "MicroCert";

    private static final Logger LOG = LoggerFactory.getLogger(NodeLauncher.class);

    private NodeLauncher() {}

    /** Exit status of a node that cannot start: bad flags, configuration, files or card. */
    public static final int EXIT_SETUP = 2;

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
            card = CardLoader.open(config.getConfig("microcert.card"), System.getenv());
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
            String clusterTls = ClusterTlsEngineProvider.check(config);
            checkClusterPortFree(config);
            checkCassandraAccess(config);
            if (clusterTls.isEmpty()) {
                LOG.warn("cluster traffic in clear, unauthenticated: any host that reaches the cluster port can join "
                        + "(set --cluster-tls-keystore, docs/security.md)");
            } else {
                LOG.info(clusterTls);
            }
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
        int status = startOrStop(system, () -> NodeAssembly.start(system, card, null, https), System.err).toCompletableFuture().join();
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

    /**
     * Opens one Cassandra session before the actor system starts, so that refused or missing
     * credentials and a failed TLS handshake stop the node in one line (the journal plugin would
     * retry them for ever, reconnect-on-init). A Cassandra not up yet is only a warning: the node waits for it.
     */
    static void checkCassandraAccess(Config config) {
        if (config.getString("pekko.persistence.journal.plugin").contains("cassandra")) {
            CassandraAccess.check(config).ifPresent(problem ->
                    LOG.warn("Cassandra does not answer yet ({}); the node keeps trying", problem));
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
     * {@link NodeAssembly#start}s the node and completes with 0 once the gateway listens. On any failure, thrown
     * or completed, it prints one line on {@code err} (no stack trace), stops the actor system
     * (leaving the cluster if it joined) and completes with {@link #EXIT_SETUP} once it has
     * terminated: Pekko's threads would otherwise keep a half-started member running.
     */
    static CompletionStage<Integer> startOrStop(ActorSystem<?> system, EncryptionCard card, PrintStream err) {
        return startOrStop(system, () -> NodeAssembly.start(system, card, null), err);
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

}
