package org.microcert.ops.cassandra;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The Cassandra a test run uses: the one {@link CassandraExtension} started, or the external one
 * named by {@code MICROCERT_TEST_CASSANDRA=host:port}.
 */
public final class TestCassandra {

    /** The data center of a single node started by {@link CassandraServer} (SimpleSnitch). */
    public static final String LOCAL_DATACENTER = "datacenter1";

    private final String host;
    private final int port;
    private final CassandraServer server; // null when external

    TestCassandra(String host, int port, CassandraServer server) {
        this.host = host;
        this.port = port;
        this.server = server;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public InetSocketAddress contactPoint() {
        return new InetSocketAddress(host, port);
    }

    /** {@code host:port}, the form of the driver's {@code basic.contact-points}. */
    public String contactPointString() {
        return host + ":" + port;
    }

    /** Whether this is an external Cassandra (no process, data files or flush available). */
    public boolean external() {
        return server == null;
    }

    /** The started server, empty when external. */
    public Optional<CassandraServer> server() {
        return Optional.ofNullable(server);
    }

    /** The SSTable directory ({@code data/<keyspace>/<table>-<id>/}), empty when external. */
    public Optional<Path> dataDirectory() {
        return server().map(CassandraServer::dataDirectory);
    }

    /**
     * HOCON overrides that point the java-driver and pekko-persistence-cassandra at this Cassandra:
     * parse with {@code ConfigFactory.parseString(...)} and put them in front of the application's
     * configuration ({@code withFallback}). Requests get 30 s: schema changes and first writes take
     * seconds when tests share 2 cores with Cassandra, and the driver's default is 2 s.
     *
     * @param journalKeyspace keyspace of the journal ({@code pekko.persistence.cassandra.journal.keyspace})
     * @param snapshotKeyspace keyspace of the snapshots ({@code pekko.persistence.cassandra.snapshot.keyspace})
     */
    public String pekkoConfig(String journalKeyspace, String snapshotKeyspace) {
        requireIdentifier(journalKeyspace);
        requireIdentifier(snapshotKeyspace);
        return """
                datastax-java-driver.basic.contact-points = ["%s"]
                datastax-java-driver.basic.load-balancing-policy.local-datacenter = "%s"
                datastax-java-driver.advanced.reconnect-on-init = true
                datastax-java-driver.basic.request.timeout = 30s
                pekko.persistence.cassandra.journal.keyspace = "%s"
                pekko.persistence.cassandra.snapshot.keyspace = "%s"
                """.formatted(contactPointString(), LOCAL_DATACENTER, journalKeyspace, snapshotKeyspace);
    }

    /** Only the driver settings (contact point, local data center). */
    public String driverConfig() {
        return """
                datastax-java-driver.basic.contact-points = ["%s"]
                datastax-java-driver.basic.load-balancing-policy.local-datacenter = "%s"
                datastax-java-driver.advanced.reconnect-on-init = true
                datastax-java-driver.basic.request.timeout = 30s
                """.formatted(contactPointString(), LOCAL_DATACENTER);
    }

    /**
     * Writes the keyspace's memtables to SSTables (tests that inspect data files).
     *
     * @throws UnsupportedOperationException on an external Cassandra
     */
    public void flush(String keyspace, String... tables) {
        if (server == null) {
            throw new UnsupportedOperationException("flush needs the Cassandra started by the fixture, not "
                    + contactPointString());
        }
        server.flush(keyspace, tables);
    }

    private static void requireIdentifier(String keyspace) {
        if (!keyspace.matches("[a-zA-Z][a-zA-Z0-9_]{0,47}")) {
            throw new IllegalArgumentException("'" + keyspace + "' is not a valid keyspace name");
        }
    }

    @Override
    public String toString() {
        return "TestCassandra[" + contactPointString() + (server == null ? ", external]" : ", pid " + server.pid() + "]");
    }
}
