package org.microcert.cluster.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.coordination.lease.LeaseException;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.microcert.cluster.Poll;
import org.microcert.cluster.TestNode;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;

/**
 * The shard lease on the real Cassandra: one holder at a time, a holder that stops renewing fails
 * closed on its own clock before anyone else can acquire, renewals extend from when they were sent,
 * release hands over at once, and a holder whose row was taken is told.
 */
@ExtendWith(CassandraExtension.class)
class CassandraLeaseTest {

    static final String KEYSPACE = "lease_journal";
    static final LongSupplier NANO_TIME = System::nanoTime;
    static ActorSystem<Void> system;
    static CompletionStage<CassandraSession> session;
    static int names;

    @BeforeAll
    static void start(TestCassandra cassandra) {
        system = ActorSystem.create(Behaviors.empty(), "lease",
                TestNode.config(TestNode.cassandraJournal(cassandra, "lease")));
        CassandraSession s = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
        s.executeDDL("CREATE KEYSPACE IF NOT EXISTS " + KEYSPACE
                + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").toCompletableFuture().join();
        for (String ddl : CassandraLease.createTables(KEYSPACE)) {
            s.executeDDL(ddl).toCompletableFuture().join();
        }
        session = CompletableFuture.completedFuture(s);
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    /** A node's term: TTL {@code ttl} s, 1 s margin, renewed every {@code heartbeat} (ZERO: only when asked). */
    static NodeTerm node(String name, int ttl, Duration heartbeat, LongSupplier ticker) {
        // a test's own ticker stands for both clocks
        return node(name, ttl, heartbeat, ticker, ticker == NANO_TIME ? System::currentTimeMillis
                : () -> ticker.getAsLong() / 1_000_000);
    }

    static NodeTerm node(String name, int ttl, Duration heartbeat, LongSupplier ticker, LongSupplier wallMillis) {
        FencingSettings fencing = new FencingSettings(KEYSPACE, Duration.ofSeconds(ttl),
                heartbeat.isZero() ? Duration.ofHours(1) : heartbeat, Duration.ofSeconds(20), Duration.ofSeconds(1));
        return new NodeTerm((ExtendedActorSystem) system.classicSystem(), name, session, fencing, ticker, wallMillis);
    }

    /** The lease of shard {@code name} held under {@code node}'s terms. */
    static CassandraLease lease(String name, NodeTerm node) {
        var config = ConfigFactory.parseString("lease-class = \"" + CassandraLease.class.getName() + "\"")
                .withFallback(system.settings().config().getConfig("microcert.fencing.lease"))
                .withFallback(system.settings().config().getConfig("pekko.coordination.lease"));
        return new CassandraLease(LeaseSettings.apply(config, name, "node"), node, KEYSPACE);
    }

    static String newName() {
        return "lease-test-" + (++names) + "-" + System.nanoTime();
    }

    static <T> T join(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void ofTwoNodesAcquiringAtOnceExactlyOneHoldsTheLeaseUntilItReleasesIt() throws Exception {
        String name = newName();
        CassandraLease a = lease(name, node("node-a", 6, Duration.ofMillis(500), NANO_TIME));
        CassandraLease b = lease(name, node("node-b", 6, Duration.ofMillis(500), NANO_TIME));
        var fromA = a.acquire();
        var fromB = b.acquire();
        boolean gotA = join(fromA);
        boolean gotB = join(fromB);
        assertNotEquals(gotA, gotB, "exactly one of the two acquires");
        CassandraLease holder = gotA ? a : b;
        CassandraLease other = gotA ? b : a;
        assertTrue(holder.checkLease());
        assertFalse(other.checkLease());
        assertFalse(join(other.acquire()), "held and renewed: still not the other's");
        assertTrue(join(holder.acquire()), "acquiring its own row again (a lost answer) holds it");

        assertTrue(join(holder.release()));
        assertFalse(holder.checkLease(), "released: no longer held");
        assertTrue(join(other.acquire()), "released: the other acquires at once");
        assertTrue(other.checkLease());
        assertFalse(join(holder.release()), "a release of a lease not held deletes nothing");
        assertTrue(other.checkLease());
        join(other.release());
    }

    @Test
    void aHolderThatStopsRenewingStopsHoldingBeforeAnotherNodeCanAcquire() throws Exception {
        String name = newName();
        CassandraLease a = lease(name, node("node-a", 2, Duration.ZERO, NANO_TIME)); // never renews
        assertTrue(join(a.acquire()));
        long aValid = a.validUntil();
        CassandraLease b = lease(name, node("node-b", 2, Duration.ZERO, NANO_TIME));
        long acquired = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (acquired == 0) {
            assertTrue(System.nanoTime() - deadline < 0, "the expired lease was never acquired");
            if (join(b.acquire())) {
                acquired = System.nanoTime();
            } else {
                Thread.sleep(50); // pacing the retries, not a synchronisation
            }
        }
        // the safety property itself: b holds only once a's own validity has ended (no overlap)
        assertTrue(acquired - aValid > 0, "b acquired " + (aValid - acquired) / 1_000_000
                + " ms before a stopped counting the lease as its own");
        assertFalse(a.checkLease());
        assertTrue(b.checkLease());
        join(b.release());
    }

    @Test
    void validityEndsOnTheHoldersOwnClockAndEachRenewalExtendsItFromWhenItWasSent() throws Exception {
        AtomicLong ticker = new AtomicLong(0);
        List<Optional<Throwable>> lost = new java.util.concurrent.CopyOnWriteArrayList<>();
        NodeTerm node = node("node-a", 6, Duration.ZERO, ticker::get);
        CassandraLease a = lease(newName(), node);
        assertTrue(join(a.acquire(lost::add)));
        long second = 1_000_000_000L;
        ticker.set(5 * second - 1); // TTL 6 s - margin 1 s
        assertTrue(a.checkLease());
        ticker.set(3 * second);
        long before = a.validUntil();
        node.renewNow();
        Poll.until(Duration.ofSeconds(30), "the renewal acknowledged", () -> a.validUntil() != before);
        assertEquals(8 * second, a.validUntil(), "renewed at 3 s: valid until 3 + 6 - 1 s");
        ticker.set(8 * second);
        assertFalse(a.checkLease(), "fails closed at its own deadline, with no I/O");
        assertTrue(lost.isEmpty());
        node.renewNow(); // the next heartbeat finds it lapsed
        Poll.until(Duration.ofSeconds(30), "the lease-lost callback", () -> !lost.isEmpty());
        assertInstanceOf(LeaseException.class, lost.get(0).orElseThrow());
        assertFalse(join(a.release()), "lost: nothing to release");
    }

    @Test
    void aMachineSuspendedWhileItsMonotonicClockStoodStillStopsHoldingByTheWallClock() throws Exception {
        AtomicLong ticker = new AtomicLong(0);
        AtomicLong wall = new AtomicLong(1_000_000);
        CassandraLease a = lease(newName(), node("node-a", 6, Duration.ZERO, ticker::get, wall::get));
        assertTrue(join(a.acquire()));
        wall.addAndGet(4_999);
        assertTrue(a.checkLease());
        wall.addAndGet(1); // 5 s later by the wall clock, no time at all by the monotonic one
        assertFalse(a.checkLease(), "fails closed when either clock says the term lapsed");
        join(a.release());
    }

    @Test
    void aNodeWhoseTermExpiredLosesEveryShardAndTheyGoOnlyToALiveTerm() throws Exception {
        List<Optional<Throwable>> lost = new java.util.concurrent.CopyOnWriteArrayList<>();
        NodeTerm nodeA = node("node-a", 6, Duration.ZERO, NANO_TIME);
        CassandraLease first = lease(newName(), nodeA);
        CassandraLease second = lease(newName(), nodeA);
        assertTrue(join(first.acquire(lost::add)));
        assertTrue(join(second.acquire(lost::add)));
        NodeTerm nodeB = node("node-b", 6, Duration.ZERO, NANO_TIME);
        CassandraLease taker = lease(first.getSettings().leaseName(), nodeB);
        assertFalse(join(taker.acquire()), "node a's term is alive");
        String term = join(session.thenCompose(s -> s.selectOne(SimpleStatement.newInstance("SELECT owner FROM "
                + KEYSPACE + "." + CassandraLease.TABLE + " WHERE name = ?", first.getSettings().leaseName()))))
                .orElseThrow().getString("owner");
        // the term's row gone, as when it expired in Cassandra
        join(session.thenCompose(s -> s.executeWrite(SimpleStatement.newInstance(
                "DELETE FROM " + KEYSPACE + "." + NodeTerm.TABLE + " WHERE term = ?", term))));
        assertTrue(first.checkLease(), "it cannot know before its next renewal");
        nodeA.renewNow();
        Poll.until(Duration.ofSeconds(30), "both lease-lost callbacks", () -> lost.size() == 2);
        assertFalse(first.checkLease());
        assertFalse(second.checkLease());
        assertTrue(join(taker.acquire()), "the expired term's shard goes to a live term");
        assertTrue(taker.checkLease());
        assertFalse(join(first.acquire()), "node a's new term finds it held by node b's live one");
        join(taker.release());
    }
}
