package org.microcert.persistence.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.cassandra.KeyspaceAndTableStatements;
import org.apache.pekko.persistence.cassandra.PluginSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;

/** The schema command against a real Cassandra, compared with what the plugin itself would create. */
@ExtendWith(CassandraExtension.class)
class SchemaTest {

    private static CqlSession session;

    @BeforeAll
    static void connect(TestCassandra cassandra) {
        session = new CassandraTarget(cassandra.host(), cassandra.port(), TestCassandra.LOCAL_DATACENTER,
                "unused", "unused").openSession();
    }

    @AfterAll
    static void close() {
        session.close();
    }

    @Test
    void ourTablesHaveExactlyThePluginsColumnsKeysAndOptions() {
        Schema.apply(session, "schema_ours_j", "schema_ours_s", Replication.simple(1));
        ActorSystem system = ActorSystem.create("schema-test", ConfigFactory.parseString("""
                pekko.persistence.cassandra.journal.keyspace = schema_plugin_j
                pekko.persistence.cassandra.snapshot.keyspace = schema_plugin_s
                pekko.persistence.cassandra.events-by-tag.enabled = false
                """).withFallback(ConfigFactory.load()));
        try {
            KeyspaceAndTableStatements plugin = new KeyspaceAndTableStatements(system, "pekko.persistence.cassandra",
                    PluginSettings.apply(system));
            session.execute(plugin.createJournalKeyspaceStatement());
            plugin.getCreateJournalTablesStatements().forEach(session::execute);
            session.execute(plugin.createSnapshotKeyspaceStatement());
            plugin.getCreateSnapshotTablesStatements().forEach(session::execute);
        } finally {
            system.terminate();
        }
        for (String table : List.of("messages", "metadata", "all_persistence_ids")) {
            assertEquals(describe("schema_plugin_j", table), describe("schema_ours_j", table), table);
        }
        assertEquals(describe("schema_plugin_s", "snapshots"), describe("schema_ours_s", "snapshots"));
        assertFalse(tables("schema_ours_j").contains("tag_views"), "no events-by-tag tables: events-by-tag is off");
    }

    @Test
    void theCommandAppliesTheChosenReplicationIdempotentlyAndRefusesBadInput(TestCassandra cassandra) {
        String contact = cassandra.contactPointString();
        String[] args = {"--contact-point", contact, "--journal-keyspace", "schema_cli_j",
            "--snapshot-keyspace", "schema_cli_s", "--replication", "datacenter1:1"};
        assertEquals(0, SchemaTool.run(args));
        assertEquals(0, SchemaTool.run(args), "applying twice changes nothing");
        Map<String, String> replication = session.execute(
                "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'schema_cli_j'")
                .one().getMap("replication", String.class, String.class);
        assertEquals("org.apache.cassandra.locator.NetworkTopologyStrategy", replication.get("class"));
        assertEquals("1", replication.get("datacenter1"));
        assertEquals(List.of("all_persistence_ids", "audit_trail", "lease_terms", "messages", "metadata", "replay_sessions",
                "shard_leases"),
                tables("schema_cli_j"));
        assertEquals(List.of("snapshots"), tables("schema_cli_s"));

        assertEquals(2, SchemaTool.run(new String[] {"--contact-point", contact, "--journal-keyspace", "bad-name"}));
        assertEquals(2, SchemaTool.run(new String[] {"--contact-point", contact, "--replication", "simple:0"}));
        assertEquals(2, SchemaTool.run(new String[] {"--contact-point", contact, "--replicaton", "simple:1"}));
        assertEquals(2, SchemaTool.run(new String[] {"--contact-point", contact, "--journal-keyspace", "x; DROP"}));
        assertTrue(tables("bad").isEmpty());
    }

    @Test
    void replicationSpecsParseOrFailWithAReason() {
        assertEquals("{ 'class' : 'SimpleStrategy', 'replication_factor' : 1 }", Replication.parse("simple:1").toCql());
        assertEquals("{ 'class' : 'NetworkTopologyStrategy', 'eu' : 3, 'us' : 2 }", Replication.parse("us:2,eu:3").toCql());
        for (String bad : List.of("", "simple", "simple:x", "simple:1,dc1:3", "dc1:3,dc1:2", "d'c:1", "dc1:0")) {
            assertThrows(SchemaException.class, () -> Replication.parse(bad), bad);
        }
    }

    /** Columns (name -> kind, position, type, clustering order) plus the table options that matter. */
    private static Map<String, String> describe(String keyspace, String table) {
        Map<String, String> out = new TreeMap<>();
        for (Row r : session.execute("SELECT column_name, kind, position, type, clustering_order FROM system_schema.columns"
                + " WHERE keyspace_name = ? AND table_name = ?", keyspace, table)) {
            out.put(r.getString("column_name"), r.getString("kind") + " " + r.getInt("position") + " "
                    + r.getString("type") + " " + r.getString("clustering_order"));
        }
        Row options = session.execute("SELECT gc_grace_seconds, compaction FROM system_schema.tables"
                + " WHERE keyspace_name = ? AND table_name = ?", keyspace, table).one();
        out.put("(gc_grace_seconds)", String.valueOf(options.getInt("gc_grace_seconds")));
        out.put("(compaction)", new TreeMap<>(options.getMap("compaction", String.class, String.class)).toString());
        return out;
    }

    private static List<String> tables(String keyspace) {
        List<String> out = new ArrayList<>();
        session.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", keyspace)
                .forEach(r -> out.add(r.getString("table_name")));
        return out;
    }
}
