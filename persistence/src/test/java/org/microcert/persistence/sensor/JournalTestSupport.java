package org.microcert.persistence.sensor;

import com.datastax.oss.driver.api.core.CqlSession;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.schema.Replication;
import org.microcert.persistence.schema.Schema;
import org.microcert.protocol.SensorId;

/**
 * Test helpers for tests on the real Cassandra: each test class gets its own keyspaces (created by
 * the production schema command, autocreate stays off), an ActorSystem configured with the
 * module's {@code persistence.conf}, and software cards.
 */
public final class JournalTestSupport {

    public static final Duration TIMEOUT = Duration.ofSeconds(60);
    public static final char[] CARD_PASSWORD = "test card password".toCharArray();

    private JournalTestSupport() {
    }

    /** Where tools and sessions find the test Cassandra and the given keyspaces. */
    public static CassandraTarget target(TestCassandra cassandra, String keyspacePrefix) {
        return new CassandraTarget(cassandra.host(), cassandra.port(), TestCassandra.LOCAL_DATACENTER,
                keyspacePrefix + "_journal", keyspacePrefix + "_snapshot");
    }

    /** Creates the keyspaces and tables with the schema command's code (SimpleStrategy RF 1). */
    public static void createSchema(CassandraTarget target) {
        try (CqlSession session = target.openSession()) {
            Schema.apply(session, target.journalKeyspace(), target.snapshotKeyspace(), Replication.simple(1));
        }
    }

    public static ActorSystem<Void> system(CassandraTarget target, String name) {
        return ActorSystem.create(Behaviors.empty(), name, target.pekkoConfig(""));
    }

    /**
     * Appends events to a sensor's journal through Pekko Persistence (one call per sensor and
     * system: the actor stays, named after the sensor) and returns the new state.
     */
    public static SensorRecord append(ActorSystem<?> system, SensorId sensor, List<SensorEvent> events) {
        return append(system, sensor, events, 100);
    }

    /** {@link #append(ActorSystem, SensorId, List)} with a snapshot every {@code snapshotEvery} events. */
    public static SensorRecord append(ActorSystem<?> system, SensorId sensor, List<SensorEvent> events, int snapshotEvery) {
        ActorRef<SensorJournal.Command> journal = system.systemActorOf(SensorJournal.create(sensor, snapshotEvery, 2),
                "journal-" + sensor, org.apache.pekko.actor.typed.Props.empty());
        return AskPattern.<SensorJournal.Command, SensorRecord>ask(journal,
                r -> new SensorJournal.Append(events, r), TIMEOUT, system.scheduler()).toCompletableFuture().join();
    }

    /** Appends each sensor's events, 32 sensors at a time, each through its own journal actor (stopped after). */
    public static void appendAll(ActorSystem<?> system, java.util.Map<SensorId, List<SensorEvent>> events) {
        org.apache.pekko.stream.javadsl.Source.from(List.copyOf(events.entrySet()))
                .mapAsyncUnordered(32, e -> {
                    ActorRef<SensorJournal.Command> journal = system.systemActorOf(SensorJournal.create(e.getKey(), 100, 2),
                            "bulk-" + e.getKey(), org.apache.pekko.actor.typed.Props.empty());
                    return AskPattern.<SensorJournal.Command, SensorRecord>ask(journal,
                            r -> new SensorJournal.Append(e.getValue(), r), TIMEOUT, system.scheduler())
                            .thenApplyAsync(s -> {
                                journal.tell(new SensorJournal.Stop());
                                return s;
                            }, system.executionContext());
                })
                .runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), system)
                .toCompletableFuture().join();
    }

    /** A software card with fresh keys whose state file lives in {@code dir}. */
    public static SoftwareCard card(Path dir, String name) {
        Path keystore = dir.resolve(name + ".bcfks");
        KeyCeremony.create(keystore, CARD_PASSWORD);
        return SoftwareCard.open(keystore, CARD_PASSWORD, dir.resolve(name + ".state"));
    }
}
