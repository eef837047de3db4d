package org.microcert.simulator.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;

/**
 * The checker's journal read against a real Cassandra: rows laid out as pekko-persistence-cassandra
 * writes them (the messages table of persistence/.../schema.cql), one sensor written by one writer
 * after another, one whose sequence number 3 two writers wrote (what the fault lab found on a node
 * resumed inside a partition).
 */
@ExtendWith(CassandraExtension.class)
class JournalRowsCassandraTest {

    @Test
    void twoWritersOfOneSequenceNumberAreFoundInTheJournal(TestCassandra cassandra) {
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withStringList(DefaultDriverOption.CONTACT_POINTS, List.of(cassandra.contactPointString()))
                .withString(DefaultDriverOption.LOAD_BALANCING_LOCAL_DATACENTER, TestCassandra.LOCAL_DATACENTER)
                // schema changes on a busy 2-core machine take longer than the driver's 2 s default
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, java.time.Duration.ofSeconds(60))
                .build();
        try (CqlSession s = CqlSession.builder().withConfigLoader(config).build()) {
            s.execute("CREATE KEYSPACE IF NOT EXISTS lab_journal_test WITH replication = "
                    + "{'class': 'SimpleStrategy', 'replication_factor': 1}");
            s.execute("CREATE TABLE IF NOT EXISTS lab_journal_test.messages (persistence_id text, partition_nr bigint, "
                    + "sequence_nr bigint, timestamp timeuuid, timebucket text, writer_uuid text, ser_id int, "
                    + "ser_manifest text, event_manifest text, event blob, PRIMARY KEY ((persistence_id, partition_nr), "
                    + "sequence_nr, timestamp))");
            s.execute("TRUNCATE lab_journal_test.messages");
            String insert = "INSERT INTO lab_journal_test.messages (persistence_id, partition_nr, sequence_nr, timestamp, "
                    + "writer_uuid) VALUES (?, 0, ?, now(), ?)";
            for (Object[] row : new Object[][] {
                    {"Sensor|00000000000000a1", 1L, "w1"}, {"Sensor|00000000000000a1", 2L, "w1"},
                    {"Sensor|00000000000000a1", 3L, "w2"},
                    {"Sensor|00000000000000b2", 1L, "w1"}, {"Sensor|00000000000000b2", 2L, "w1"},
                    {"Sensor|00000000000000b2", 3L, "w1"}, {"Sensor|00000000000000b2", 3L, "w3"}}) {
                s.execute(s.prepare(insert).bind(row));
            }
        }
        Map<String, List<JournalRows.Event>> journal = JournalRows.read(cassandra.contactPointString(),
                TestCassandra.LOCAL_DATACENTER, "lab_journal_test", List.of("00000000000000a1", "00000000000000b2", "00000000000000c3"));
        assertEquals(3, journal.get("00000000000000a1").size());
        assertEquals(List.of(), journal.get("00000000000000c3"));
        History accepted = new History("auth", 1, 2, 1, "00000000000000a1", "c0", 0, "ACCEPTED", null);
        LabChecker.Result r = LabChecker.check(List.of(accepted), journal);
        assertEquals(1, r.report().path("safety").path("twoWriters").size(), r.report().toString());
        assertEquals("Sensor|00000000000000b2", r.report().path("safety").path("twoWriters").path(0).path("persistenceId").asText());
        assertTrue(r.report().path("safety").path("twoWriters").path(0).path("problem").asText().contains("written twice"));
    }
}
