package org.microcert.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.microcert.cluster.node.NodeConfig;
import org.microcert.cluster.trail.AuditTrail;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.card.EncryptionCard;

/**
 * A MicroCert node in the test JVM: a one-node cluster, the gateway on a free port, and either an
 * in-memory journal or the given Cassandra configuration.
 */
public final class TestNode implements AutoCloseable {

    /** The journal in the test Cassandra, in keyspaces {@code <prefix>_journal/_snapshot}, autocreate on. */
    public static Config cassandraJournal(TestCassandra cassandra, String prefix) {
        return ConfigFactory.parseString(cassandra.pekkoConfig(prefix + "_journal", prefix + "_snapshot"))
                .withFallback(ConfigFactory.parseResources("persistence-dev.conf"));
    }

    /**
     * A node on the test Cassandra ({@link #cassandraJournal}) that accepts {@code token} as operator
     * {@code operator} (its tokens file written in {@code dir}), with a 40 s ask timeout (the first
     * write creates the keyspaces: slow on a busy machine); {@code extra}: more settings (HOCON).
     */
    public static Config cassandraWithOperator(TestCassandra cassandra, String prefix, java.nio.file.Path dir,
                                               String token, String operator, String extra) {
        java.nio.file.Path tokens = dir.resolve("tokens");
        try {
            java.nio.file.Files.writeString(tokens,
                    org.microcert.cluster.http.BearerTokens.sha256Hex(token) + " operator " + operator + "\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return ConfigFactory.parseString("microcert.http.tokens-file = \"" + tokens + "\"\n"
                        + "microcert.http.ask-timeout = 40s\n" + extra)
                .withFallback(cassandraJournal(cassandra, prefix));
    }

    /** An in-memory journal and snapshot store (Pekko's persistence testkit). */
    public static Config inMemoryJournal() {
        return PersistenceTestKitPlugin.getInstance().config()
                .withFallback(PersistenceTestKitSnapshotPlugin.config());
    }

    /** A test node's configuration: {@code overrides} on free ports, loopback, no JVM exit. */
    public static Config config(Config overrides) {
        return NodeConfig.layered(overrides.withFallback(ConfigFactory.parseString("""
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.seed-nodes = []
                pekko.coordinated-shutdown.exit-jvm = off
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                microcert.http.port = 0
                microcert.http.interface = "127.0.0.1"
                microcert.audit.store = auto
                """)));
    }

    private final ActorSystem<Void> system;
    private final EncryptionCard card;
    private final ServerBinding binding;
    private final String baseUrl;

    public TestNode(String name, Config overrides, EncryptionCard card) {
        this(name, overrides, card, null);
    }

    /** A node whose gateway writes to {@code audit} (null: the configured audit trail). */
    public TestNode(String name, Config overrides, EncryptionCard card, AuditTrail audit) {
        this(name, overrides, card, audit, null);
    }

    /**
     * A node that joins {@code seed}'s cluster (null: forms its own one-node cluster). Nodes of one
     * cluster need the same {@code name}.
     */
    public TestNode(String name, Config overrides, EncryptionCard card, AuditTrail audit, TestNode seed) {
        Config config = config(overrides);
        this.card = card;
        this.system = ActorSystem.create(Behaviors.empty(), name, config);
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(seed == null ? cluster.selfMember().address()
                : Cluster.get(seed.system).selfMember().address()));
        try {
            this.binding = MicroCertNode.start(system, card, audit).toCompletableFuture().get(30, TimeUnit.SECONDS);
            awaitUp(cluster);
        } catch (Exception e) {
            system.terminate();
            throw new IllegalStateException("test node did not start", e);
        }
        String scheme = config.getBoolean("microcert.http.tls.enabled") ? "https" : "http";
        this.baseUrl = scheme + "://127.0.0.1:" + binding.localAddress().getPort();
    }

    private static void awaitUp(Cluster cluster) throws InterruptedException {
        Poll.until(java.time.Duration.ofSeconds(30), "the node becoming Up",
                () -> cluster.selfMember().status() == MemberStatus.up());
    }

    public String url(String path) {
        return baseUrl + path;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    @Override
    public void close() {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("test node did not stop", e);
        }
        card.close();
    }

    /** A small HTTP client for the tests: plain calls, answers as (status, body, headers). */
    public static final class Client {
        private final HttpClient http;

        public Client(HttpClient http) {
            this.http = http;
        }

        public Client() {
            this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
        }

        public HttpResponse<String> send(String method, String url, String contentType, byte[] body, String token) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            if (contentType != null) {
                b.header("Content-Type", contentType);
            }
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            try {
                return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (Exception e) {
                throw new IllegalStateException(method + " " + url + " failed", e);
            }
        }

        public HttpResponse<String> get(String url, String token) {
            return send("GET", url, null, null, token);
        }

        public HttpResponse<String> postJson(String url, String json, String token) {
            return send("POST", url, "application/json", json.getBytes(StandardCharsets.UTF_8), token);
        }
    }
}
