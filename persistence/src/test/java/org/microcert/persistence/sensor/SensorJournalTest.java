package org.microcert.persistence.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.protocol.SensorId;

/**
 * Sensor events through Pekko Persistence into the real Cassandra (schema from the schema command,
 * autocreate off) and back after the ActorSystem is restarted, with snapshots.
 */
@ExtendWith(CassandraExtension.class)
class SensorJournalTest {

    private static CassandraTarget target;

    @BeforeAll
    static void schema(TestCassandra cassandra) {
        target = JournalTestSupport.target(cassandra, "journal_it");
        JournalTestSupport.createSchema(target);
    }

    @Test
    void stateWrittenByOneActorSystemIsRecoveredByTheNextFromEventsAndSnapshots() {
        SensorId sensor = SensorId.parse("0000000000a1b2c3");
        Instant at = Instant.parse("2026-11-25T18:00:00Z");
        List<SensorEvent> events = new ArrayList<>();
        events.add(new SensorEvent.Provisioned(SensorFixtures.sealed(sensor, 1, 1, (byte) 1), "d1", at, "factory"));
        for (int i = 1; i <= 5; i++) {
            events.add(new SensorEvent.ReplayReservationExtended(1_795_000_000L + 10L * i));
        }
        // a graceful stop, with the randoms accepted in its second: kept through the snapshots
        events.add(new SensorEvent.ReplayReservationReleased(1_795_000_045L, List.of(3L, -9L)));
        events.add(new SensorEvent.SeedUpdateStarted(2, at, "operator"));
        events.add(new SensorEvent.SeedUpdated(SensorFixtures.sealed(sensor, 2, 1, (byte) 2), "d2", at, "sensor"));

        SensorRecord written;
        ActorSystem<Void> first = JournalTestSupport.system(target, "journal-first");
        try {
            ActorRef<SensorJournal.Command> journal = spawn(first, sensor);
            written = null;
            for (SensorEvent e : events) { // one event per command, as the entity persists them
                written = ask(first, journal, r -> new SensorJournal.Append(List.of(e), r));
            }
        } finally {
            first.terminate();
            first.getWhenTerminated().toCompletableFuture().join();
        }
        assertEquals(2, written.seedVersion());
        assertEquals(events.size(), countRows("SELECT sequence_nr FROM " + target.journalKeyspace()
                + ".messages WHERE persistence_id = ? AND partition_nr = 0", SensorPersistence.persistenceId(sensor).id()));
        assertTrue(countRows("SELECT sequence_nr FROM " + target.snapshotKeyspace()
                + ".snapshots WHERE persistence_id = ?", SensorPersistence.persistenceId(sensor).id()) >= 2,
                "snapshots every 3 events");

        ActorSystem<Void> second = JournalTestSupport.system(target, "journal-second");
        try {
            SensorRecord recovered = ask(second, spawn(second, sensor), SensorJournal.Get::new);
            assertEquals(written, recovered);
            assertEquals(SensorRecord.Status.ACTIVE, recovered.status());
            assertEquals(1_795_000_045L, recovered.replayReservedUntilEpochSecond());
            assertEquals(List.of(3L, -9L), recovered.replayRandomsAtReserved());
            assertEquals(1, recovered.seedUpdates());
        } finally {
            second.terminate();
        }
    }

    /** The sensor's journal actor, snapshotting every 3 events. */
    private static ActorRef<SensorJournal.Command> spawn(ActorSystem<?> system, SensorId sensor) {
        return system.systemActorOf(SensorJournal.create(sensor, 3, 2), "journal-" + sensor, Props.empty());
    }

    private static SensorRecord ask(ActorSystem<?> system, ActorRef<SensorJournal.Command> journal,
                                    java.util.function.Function<ActorRef<SensorRecord>, SensorJournal.Command> command) {
        return AskPattern.ask(journal, command::apply, JournalTestSupport.TIMEOUT, system.scheduler())
                .toCompletableFuture().join();
    }

    private static int countRows(String cql, Object... values) {
        try (CqlSession session = target.openSession()) {
            return session.execute(cql, values).all().size();
        }
    }
}
