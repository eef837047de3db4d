package org.microcert.cluster.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.OptionalLong;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;

/** The node's replay ledger on the real Cassandra: renewed ahead of the clock, readable by any node. */
@ExtendWith(CassandraExtension.class)
class CassandraReplayLedgerTest {

    static ActorSystem<Void> system;
    static CassandraSession session;

    @BeforeAll
    static void start(TestCassandra cassandra) {
        system = ActorSystem.create(Behaviors.empty(), "ledger",
                TestNode.config(TestNode.cassandraJournal(cassandra, "ledger")));
        session = CassandraSessionRegistry.get(system).sessionFor("pekko.connectors.cassandra");
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    static CassandraReplayLedger ledger(boolean renewing, Duration renewEvery) {
        return CassandraReplayLedger.start(system, session, "ledger_journal", "pekko-persistence-cassandra-profile",
                "pekko-persistence-cassandra-profile", Clock.systemUTC(), Duration.ofSeconds(30), renewing, renewEvery,
                Duration.ofSeconds(20), Duration.ofDays(7), true, Metrics.get(system));
    }

    static long awaitDurableAbove(ReplayLedger ledger, long value) {
        return TestProbe.create(system).awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(50), () -> {
            long durable = ledger.durableUntil();
            assertTrue(durable > value, "the ledger was never renewed past " + value);
            return durable;
        });
    }

    @Test
    void aSessionIsRenewedAheadOfTheClockAndAnotherNodeReadsAtLeastWhatWasAcknowledged() throws Exception {
        CassandraReplayLedger first = ledger(true, Duration.ofMillis(300));
        long before = System.currentTimeMillis() / 1000;
        long durable = awaitDurableAbove(first, Long.MIN_VALUE);
        assertTrue(durable >= before + 30, "reserved reservation-ahead past the clock: " + durable + " vs " + before);
        long later = awaitDurableAbove(first, durable); // renewed again as the clock moves
        assertTrue(later > durable);

        CassandraReplayLedger second = ledger(true, Duration.ofSeconds(10));
        assertNotEquals(first.session(), second.session(), "a session per node start");
        long seen = first.durableUntil();
        OptionalLong read = second.reservedUntil(first.session()).toCompletableFuture().join();
        assertTrue(read.isPresent() && read.getAsLong() >= seen,
                "another node reads at least what the first saw acknowledged: " + read + " vs " + seen);
        assertTrue(first.reservedUntil(first.session()).toCompletableFuture().join().getAsLong() >= first.durableUntil());
        assertEquals(OptionalLong.empty(), second.reservedUntil("no-such-session").toCompletableFuture().join());

        // a node with the ledger off renews nothing, offers no session, and still reads the others'
        CassandraReplayLedger off = ledger(false, Duration.ofMillis(300));
        assertEquals(null, off.session());
        assertFalse(off.joinable());
        assertTrue(off.reservedUntil(first.session()).toCompletableFuture().join().getAsLong() >= seen);
        TestProbe.create(system).expectNoMessage(Duration.ofSeconds(1)); // three of its renewal intervals: nothing written
        assertEquals(2, session.selectAll("SELECT session FROM ledger_journal.replay_sessions").toCompletableFuture()
                .join().size(), "one row per renewing ledger");
        // rows expire (a week after their last renewal by default)
        int ttl = session.selectOne("SELECT TTL(reserved_until) FROM ledger_journal.replay_sessions WHERE session = ?",
                first.session()).toCompletableFuture().join().orElseThrow().getInt(0);
        assertTrue(ttl > 0 && ttl <= Duration.ofDays(7).toSeconds(), "ttl " + ttl);
    }

    @Test
    void sensorsJoinOnlyWhileEveryMemberReadsAMembership() {
        org.apache.pekko.util.Version old = new org.apache.pekko.util.Version("0.0.0"); // nodes before the ledger
        org.apache.pekko.util.Version now = new org.apache.pekko.util.Version("0.2.0");
        org.apache.pekko.util.Version later = new org.apache.pekko.util.Version("0.10.1");
        assertTrue(CassandraReplayLedger.joinsAllowed(java.util.List.of(now, later)));
        assertFalse(CassandraReplayLedger.joinsAllowed(java.util.List.of(now, old, later)));
    }
}
