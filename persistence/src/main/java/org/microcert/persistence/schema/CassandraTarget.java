package org.microcert.persistence.schema;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Where the command-line tools (schema, audit, backup, restore, benchmark) find Cassandra and the
 * keyspaces: {@code --contact-point host:port}, {@code --datacenter}, {@code --journal-keyspace},
 * {@code --snapshot-keyspace}. Defaults match {@code persistence.conf}.
 */
public record CassandraTarget(String host, int port, String datacenter, String journalKeyspace,
                              String snapshotKeyspace) {

    public static final String DEFAULT_JOURNAL = "microcert_journal";
    public static final String DEFAULT_SNAPSHOT = "microcert_snapshot";
    /** The options {@link #fromOptions} reads. */
    public static final Set<String> OPTIONS = Set.of("--contact-point", "--datacenter", "--journal-keyspace",
            "--snapshot-keyspace");

    public CassandraTarget {
        Schema.requireKeyspace(journalKeyspace);
        Schema.requireKeyspace(snapshotKeyspace);
        if (port < 1 || port > 65535) {
            throw new SchemaException("port " + port + " is not in 1..65535");
        }
    }

    /** Reads the four options from {@code options} (absent ones take the defaults). */
    public static CassandraTarget fromOptions(Map<String, String> options) {
        String contact = options.getOrDefault("--contact-point", "127.0.0.1:9042");
        int colon = contact.lastIndexOf(':');
        if (colon <= 0) {
            throw new SchemaException("--contact-point must be host:port, not '" + contact + "'");
        }
        int port;
        try {
            port = Integer.parseInt(contact.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new SchemaException("--contact-point must be host:port, not '" + contact + "'");
        }
        return new CassandraTarget(contact.substring(0, colon), port, options.getOrDefault("--datacenter", "datacenter1"),
                options.getOrDefault("--journal-keyspace", DEFAULT_JOURNAL),
                options.getOrDefault("--snapshot-keyspace", DEFAULT_SNAPSHOT));
    }

    /**
     * Pekko configuration for an offline tool: {@code persistence.conf} and {@code serialization.conf}
     * pointed at this Cassandra and these keyspaces, with {@code overrides} on top.
     */
    public Config pekkoConfig(String overrides) {
        return ConfigFactory.parseString(overrides)
                .withFallback(ConfigFactory.parseString("""
                        datastax-java-driver.basic.contact-points = ["%s:%d"]
                        datastax-java-driver.basic.load-balancing-policy.local-datacenter = "%s"
                        datastax-java-driver.basic.request.timeout = 30s
                        pekko.persistence.cassandra.journal.keyspace = "%s"
                        pekko.persistence.cassandra.snapshot.keyspace = "%s"
                        pekko.loglevel = WARNING
                        pekko.coordinated-shutdown.exit-jvm = off
                        """.formatted(host, port, datacenter, journalKeyspace, snapshotKeyspace)))
                .withFallback(ConfigFactory.parseResources("persistence.conf"))
                .withFallback(ConfigFactory.parseResources("serialization.conf"))
                .withFallback(ConfigFactory.load())
                .resolve();
    }

    /** A session with generous timeouts (schema changes and full scans on a busy machine). */
    public CqlSession openSession() {
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(30))
                .build();
        return CqlSession.builder().withConfigLoader(config)
                .addContactPoint(new InetSocketAddress(host, port)).withLocalDatacenter(datacenter).build();
    }
}
