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
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.microcert.persistence.cassandra.CassandraAccess;
import org.microcert.persistence.cassandra.CassandraAccessException;

/**
 * Where the command-line tools (schema, audit, backup, restore, benchmark) find Cassandra and the
 * keyspaces: {@code --contact-point host:port}, {@code --datacenter}, {@code --journal-keyspace},
 * {@code --snapshot-keyspace}, and how to authenticate and encrypt ({@link CassandraAccess}: user,
 * password file, truststore, client keystore). Defaults match {@code persistence.conf}.
 */
public record CassandraTarget(String host, int port, String datacenter, String journalKeyspace,
                              String snapshotKeyspace, CassandraAccess access) {

    public static final String DEFAULT_JOURNAL = "microcert_journal";
    public static final String DEFAULT_SNAPSHOT = "microcert_snapshot";
    /** The options {@link #fromOptions} reads. */
    public static final Set<String> OPTIONS = Stream.concat(Stream.of("--contact-point", "--datacenter",
            "--journal-keyspace", "--snapshot-keyspace"), CassandraAccess.OPTIONS.stream()).collect(Collectors.toUnmodifiableSet());
    /** The value-less flags {@link #fromOptions} reads. */
    public static final Set<String> FLAGS = CassandraAccess.FLAGS;

    /** Without authentication or TLS. */
    public CassandraTarget(String host, int port, String datacenter, String journalKeyspace, String snapshotKeyspace) {
        this(host, port, datacenter, journalKeyspace, snapshotKeyspace, CassandraAccess.NONE);
    }

    public CassandraTarget {
        Schema.requireKeyspace(journalKeyspace);
        Schema.requireKeyspace(snapshotKeyspace);
        if (port < 1 || port > 65535) {
            throw new SchemaException("port " + port + " is not in 1..65535");
        }
    }

    /** {@link #fromOptions(Map, Function)} with the process environment. */
    public static CassandraTarget fromOptions(Map<String, String> options) {
        return fromOptions(options, System::getenv);
    }

    /**
     * Reads {@link #OPTIONS} from {@code options} (absent ones take the defaults), the Cassandra user
     * and password variables from {@code environment}.
     *
     * @throws IllegalArgumentException for an access option that cannot be used (a usage error)
     */
    public static CassandraTarget fromOptions(Map<String, String> options, Function<String, String> environment) {
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
                options.getOrDefault("--snapshot-keyspace", DEFAULT_SNAPSHOT), CassandraAccess.fromOptions(options, environment));
    }

    /**
     * Pekko configuration for an offline tool: {@code persistence.conf} and {@code serialization.conf}
     * pointed at this Cassandra and these keyspaces, with {@code overrides} on top.
     */
    public Config pekkoConfig(String overrides) {
        return ConfigFactory.parseString(overrides)
                .withFallback(access.driverConfig())
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

    /**
     * A session with generous timeouts (schema changes and full scans on a busy machine).
     *
     * @throws CassandraAccessException when Cassandra refused the credentials or the TLS handshake failed
     */
    public CqlSession openSession() {
        DriverConfigLoader config = access.applyTo(DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(30))
                // a tool fails at once, whatever an application.conf on its class path says
                .withBoolean(DefaultDriverOption.RECONNECT_ON_INIT, false))
                .build();
        try {
            return CqlSession.builder().withConfigLoader(config)
                    .addContactPoint(new InetSocketAddress(host, port)).withLocalDatacenter(datacenter).build();
        } catch (RuntimeException e) {
            throw CassandraAccess.explain(e, access).<RuntimeException>map(CassandraAccessException::new).orElse(e);
        }
    }
}
