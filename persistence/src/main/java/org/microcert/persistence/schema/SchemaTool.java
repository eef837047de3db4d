package org.microcert.persistence.schema;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.microcert.persistence.cassandra.CassandraAccess;
import org.microcert.persistence.cassandra.CassandraAccessException;

/**
 * {@code ops/bin/schema [--contact-point host:port] [--datacenter dc] [--journal-keyspace k]
 * [--snapshot-keyspace k] [--replication simple:1|dc1:3,dc2:3] [--print]}: creates the journal and
 * snapshot keyspaces and tables (or prints the CQL). Exit 0 done, 1 failed, 2 usage error or Cassandra
 * refused the credentials or TLS settings.
 */
public final class SchemaTool {

    static final String USAGE = """
            usage: ops/bin/schema [options]
              --contact-point HOST:PORT   Cassandra to connect to (default 127.0.0.1:9042)
              --datacenter NAME           the driver's local data center (default datacenter1)
              --journal-keyspace NAME     default microcert_journal
              --snapshot-keyspace NAME    default microcert_snapshot
              --replication SPEC          simple:N (local) or DC:N[,DC:N] for NetworkTopologyStrategy
                                          (default simple:1)
              --print                     print the CQL instead of applying it
            """ + CassandraAccess.USAGE;

    private SchemaTool() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String[] args) {
        if (ToolOptions.wantsHelp(args)) {
            System.out.println(USAGE);
            return 0;
        }
        Map<String, String> options;
        CassandraTarget target;
        Replication replication;
        try {
            Set<String> withValue = new HashSet<>(CassandraTarget.OPTIONS);
            withValue.add("--replication");
            Set<String> flags = new HashSet<>(CassandraTarget.FLAGS);
            flags.add("--print");
            options = ToolOptions.parse(args, withValue, flags);
            target = CassandraTarget.fromOptions(options);
            replication = Replication.parse(options.getOrDefault("--replication", "simple:1"));
        } catch (SchemaException | IllegalArgumentException e) {
            System.err.println("schema: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        if (options.containsKey("--print")) {
            Schema.statements(target.journalKeyspace(), target.snapshotKeyspace(), replication)
                    .forEach(s -> System.out.println(s + ";\n"));
            return 0;
        }
        try (CqlSession session = target.openSession()) {
            Schema.apply(session, target.journalKeyspace(), target.snapshotKeyspace(), replication);
            System.out.printf("schema applied: keyspaces %s and %s with %s%n", target.journalKeyspace(),
                    target.snapshotKeyspace(), replication.toCql());
            return 0;
        } catch (CassandraAccessException e) {
            System.err.println("schema: " + e.getMessage());
            return 2;
        } catch (SchemaException | DriverException e) {
            System.err.println("schema: " + e.getMessage());
            return 1;
        }
    }
}
