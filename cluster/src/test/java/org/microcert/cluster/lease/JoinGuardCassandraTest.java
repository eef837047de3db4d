package org.microcert.cluster.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.microcert.cluster.Poll;
import org.microcert.cluster.TestNode;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;

/**
 * A node first in its own seed list, as a restarted first seed node is, on the real Cassandra with
 * fencing on: it forms its cluster when no other node holds a live term, and does not when one does
 * (it waits to join that cluster instead of forming a second one beside it).
 */
@ExtendWith(CassandraExtension.class)
class JoinGuardCassandraTest {

    @Test
    void aFirstSeedFormsItsClusterWhenNoOtherNodeLives(TestCassandra cassandra) throws Exception {
        ActorSystem<Void> node = start(cassandra, "GuardA", "guard_a", false);
        try {
            assertEquals(List.of(self(node)), JoinGuard.join(node).toCompletableFuture().get(60, TimeUnit.SECONDS));
            Poll.until(Duration.ofSeconds(60), "the first seed forming its cluster",
                    () -> Cluster.get(node).selfMember().status() == MemberStatus.up());
        } finally {
            node.terminate();
            node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFirstSeedDoesNotFormASecondClusterBesideALiveOne(TestCassandra cassandra) throws Exception {
        ActorSystem<Void> node = start(cassandra, "GuardB", "guard_b", true);
        try {
            Address other = AddressFromURIString.parse("pekko://GuardB@127.0.0.1:1");
            assertEquals(List.of(other, self(node)), JoinGuard.join(node).toCompletableFuture().get(60, TimeUnit.SECONDS),
                    "the live node first, itself last");
            // Pekko's first seed joins itself after seed-node-timeout (5 s) without an answer: wait
            // well past it from the join, and the node must still not be a member of anything
            Thread.sleep(12_000);
            assertFalse(Cluster.get(node).state().getMembers().iterator().hasNext(),
                    "formed a cluster of its own: " + Cluster.get(node).state().getMembers());
        } finally {
            node.terminate();
            node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** A node with seed-nodes = [itself]; {@code otherLive}: another node's live term is in Cassandra first. */
    private static ActorSystem<Void> start(TestCassandra cassandra, String name, String prefix, boolean otherLive)
            throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Config journal = TestNode.cassandraJournal(cassandra, prefix);
        String keyspace = prefix + "_journal";
        if (otherLive) {
            try (CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                    .withLocalDatacenter(TestCassandra.LOCAL_DATACENTER).build()) {
                session.execute("CREATE KEYSPACE IF NOT EXISTS " + keyspace
                        + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
                for (String ddl : CassandraLease.createTables(keyspace)) {
                    session.execute(ddl);
                }
                session.execute("INSERT INTO " + keyspace + "." + NodeTerm.TABLE
                        + " (term, node) VALUES ('other', '" + name + "@127.0.0.1:1') USING TTL 300");
            }
        }
        Config config = TestNode.config(ConfigFactory.parseString("""
                pekko.remote.artery.canonical.port = %d
                pekko.cluster.seed-nodes = ["pekko://%s@127.0.0.1:%d"]
                """.formatted(port, name, port)).withFallback(journal));
        assertEquals(0, config.getStringList("pekko.cluster.seed-nodes").size(), "fencing takes the seeds over");
        assertEquals(1, config.getStringList(JoinGuard.SEEDS).size());
        // the guard alone (the node's start calls it the same way), so the test sees its decision
        return ActorSystem.create(Behaviors.empty(), name, config);
    }

    private static Address self(ActorSystem<?> system) {
        return Cluster.get(system).selfMember().address();
    }
}
