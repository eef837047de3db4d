package org.microcert.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.http.JournalProbe;
import org.microcert.cluster.metrics.Metrics;

/**
 * Two nodes in one JVM, each with its Pekko Management endpoint on its own port: node A's only seed
 * is node B, so A cannot be Up before B runs, and its /ready must say so (500); /alive stays 200 while it
 * waits. Once B is started both form the cluster and both /ready answer 200.
 */
class NodeManagementTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private ActorSystem<Void> a;
    private ActorSystem<Void> b;

    @AfterEach
    void stop() {
        for (ActorSystem<Void> s : new ActorSystem[] {a, b}) {
            if (s != null) {
                s.terminate();
                s.getWhenTerminated().toCompletableFuture().join();
            }
        }
    }

    @Test
    void readyAnswersOnlyOnceTheNodeIsAnUpMember() throws Exception {
        int remoteA = freePort(), remoteB = freePort(), mgmtA = freePort(), mgmtB = freePort();
        a = node(remoteA, remoteB, mgmtA);
        // Pekko Management answers a failing check with 500 "Not Healthy" (any non-2xx fails a probe)
        assertEquals(500, get(mgmtA, "/ready"), "A's only seed is not running: A is not Up");
        assertEquals(200, get(mgmtA, "/alive"), "a node still joining is alive");
        assertEquals(MemberStatus.removed(), Cluster.get(a).selfMember().status(), "A has not joined");

        b = node(remoteB, remoteB, mgmtB);
        assertEquals(200, awaitStatus(mgmtB, 200), "B, its own seed, becomes Up and ready");
        assertEquals(200, awaitStatus(mgmtA, 200), "A joins B and becomes ready");
        assertEquals(MemberStatus.up(), Cluster.get(a).selfMember().status());
        ClusterReadiness readiness = new ClusterReadiness(Cluster.get(a), JournalProbe.alwaysUp());
        Metrics metrics = Metrics.get(a);
        metrics.clusterMembers(readiness::upMembers, readiness::unreachableMembers); // as NodeAssembly does
        String scrape = new String(metrics.scrape(), StandardCharsets.UTF_8);
        assertTrue(scrape.contains("microcert_cluster_members{state=\"up\"} 2"), scrape);
        assertTrue(scrape.contains("microcert_cluster_members{state=\"unreachable\"} 0"), scrape);
    }

    /** A node as NodeAssembly starts it, minus sharding and the gateway: its readiness from membership. */
    private static ActorSystem<Void> node(int remotePort, int seedPort, int managementPort) {
        var config = NodeConfig.layered(ConfigFactory.parseString("""
                pekko.remote.artery.canonical { hostname = "127.0.0.1", port = %d }
                pekko.cluster.seed-nodes = ["pekko://MicroCert@127.0.0.1:%d"]
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.coordinated-shutdown.exit-jvm = off
                microcert.management.enabled = on
                pekko.management.http { port = %d, bind-hostname = "127.0.0.1" }
                # no Cassandra here: Pekko joins the seed nodes itself (with fencing, JoinGuard would)
                microcert.fencing.enabled = off
                """.formatted(remotePort, seedPort, managementPort)));
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "MicroCert", config);
        NodeManagement.start(system, new ClusterReadiness(Cluster.get(system), JournalProbe.alwaysUp()));
        return system;
    }

    private int get(int port, String path) throws IOException, InterruptedException {
        // the endpoint binds asynchronously: a refused connection is retried, bounded
        Instant deadline = Instant.now().plusSeconds(20);
        while (true) {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (java.net.ConnectException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    /** Polls /ready until it answers {@code wanted} or 30 s pass; returns the last status. */
    private int awaitStatus(int port, int wanted) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plusSeconds(30);
        int status = get(port, "/ready");
        while (status != wanted && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            status = get(port, "/ready");
        }
        return status;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
