package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.OptionalLong;
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

    static CassandraReplayLedger ledger(Duration renewEvery) {
        return CassandraReplayLedger.start(system, session, "ledger_journal", "pekko-persistence-cassandra-profile",
                "pekko-persistence-cassandra-profile", Clock.systemUTC(), Duration.ofSeconds(30), renewEvery,
                Duration.ofSeconds(20), true, Metrics.get(system));
    }

    static long awaitDurableAbove(ReplayLedger ledger, long value) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (ledger.durableUntil() <= value) {
            assertTrue(System.nanoTime() < deadline, "the ledger was never renewed past " + value);
            Thread.sleep(50);
        }
        return ledger.durableUntil();
    }

    @Test
    void aSessionIsRenewedAheadOfTheClockAndAnotherNodeReadsAtLeastWhatWasAcknowledged() throws Exception {
        CassandraReplayLedger first = ledger(Duration.ofMillis(300));
        long before = System.currentTimeMillis() / 1000;
        long durable = awaitDurableAbove(first, Long.MIN_VALUE);
        assertTrue(durable >= before + 30, "reserved reservation-ahead past the clock: " + durable + " vs " + before);
        long later = awaitDurableAbove(first, durable); // renewed again as the clock moves
        assertTrue(later > durable);

        CassandraReplayLedger second = ledger(Duration.ofSeconds(10));
        assertNotEquals(first.session(), second.session(), "a session per node start");
        long seen = first.durableUntil();
        OptionalLong read = second.reservedUntil(first.session()).toCompletableFuture().join();
        assertTrue(read.isPresent() && read.getAsLong() >= seen,
                "another node reads at least what the first saw acknowledged: " + read + " vs " + seen);
        assertTrue(first.reservedUntil(first.session()).toCompletableFuture().join().getAsLong() >= first.durableUntil());
        assertEquals(OptionalLong.empty(), second.reservedUntil("no-such-session").toCompletableFuture().join());
    }
}
