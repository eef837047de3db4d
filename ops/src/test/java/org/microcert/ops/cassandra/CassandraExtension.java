package org.microcert.ops.cassandra;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension giving tests a real Cassandra: one per test JVM, shared by every test class
 * that uses the extension, started on free ports (several builds may run at once on one machine)
 * in {@code target/cassandra-it-<pid>}, stopped (and its files deleted, except the log) when the test run ends, also when
 * tests fail (root store) or the JVM is stopped (shutdown hook), and exiting by itself if the
 * test JVM is killed. With {@code MICROCERT_TEST_CASSANDRA=host:port} in the environment it starts
 * nothing and uses that Cassandra.
 *
 * <p>Use {@code @ExtendWith(CassandraExtension.class)} and take a {@link TestCassandra} parameter
 * (e.g. in a {@code @BeforeAll} method).
 */
public final class CassandraExtension implements BeforeAllCallback, ParameterResolver {

    /** Environment variable naming an external Cassandra, {@code host:port}. */
    public static final String EXTERNAL_ENV = "MICROCERT_TEST_CASSANDRA";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(CassandraExtension.class);
    private static final int START_ATTEMPTS = 3;

    @Override
    public void beforeAll(ExtensionContext context) {
        cassandra(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext extension) {
        return parameter.getParameter().getType() == TestCassandra.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext extension) {
        return cassandra(extension);
    }

    /** The shared Cassandra, started on first use. */
    public static TestCassandra cassandra(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Shared.class, k -> Shared.start(), Shared.class).cassandra;
    }

    /**
     * A Cassandra of its own, with authentication and/or client TLS, on free ports in {@code directory}
     * (the shared one stays as it is): for the tests of MicroCert against a secured Cassandra. Close it
     * (e.g. in {@code @AfterAll}); a shutdown hook and the parent watchdog stop it otherwise. Always
     * started here, also when {@value #EXTERNAL_ENV} names an external Cassandra.
     */
    public static Shared startSecured(Path directory, CassandraServer.ClientSecurity security) {
        CassandraServer server = Shared.startOnFreePorts(directory, security);
        Thread hook = new Thread(() -> Shared.stopAndDelete(server), "cassandra-test-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        return new Shared(new TestCassandra(server.host(), server.cqlPort(), server), hook);
    }

    /** Lives in the root store: closed once, when the whole test run ends. */
    public static final class Shared implements AutoCloseable {
        final TestCassandra cassandra;
        private final Thread hook;

        private Shared(TestCassandra cassandra, Thread hook) {
            this.cassandra = cassandra;
            this.hook = hook;
        }

        static Shared start() {
            String external = System.getenv(EXTERNAL_ENV);
            if (external != null && !external.isBlank()) {
                int colon = external.lastIndexOf(':');
                if (colon <= 0) {
                    throw new IllegalArgumentException(EXTERNAL_ENV + " must be host:port, not '" + external + "'");
                }
                return new Shared(new TestCassandra(external.substring(0, colon),
                        Integer.parseInt(external.substring(colon + 1)), null), null);
            }
            Path directory = Path.of(System.getProperty("microcert.test.cassandra.dir",
                    "target/cassandra-it-" + ProcessHandle.current().pid()));
            CassandraServer server = startOnFreePorts(directory, CassandraServer.ClientSecurity.NONE);
            Thread hook = new Thread(() -> stopAndDelete(server), "cassandra-test-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            System.out.println("[CassandraExtension] Cassandra for tests on " + server.host() + ":" + server.cqlPort()
                    + " (pid " + server.pid() + ", log " + server.logFile() + ")");
            return new Shared(new TestCassandra(server.host(), server.cqlPort(), server), hook);
        }

        public TestCassandra cassandra() {
            return cassandra;
        }

        private static CassandraServer startOnFreePorts(Path directory, CassandraServer.ClientSecurity security) {
            CassandraException last = null;
            for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
                int[] ports = freePorts(3);
                CassandraServer.Settings settings = CassandraServer.Settings.defaults(directory)
                        .withPorts(ports[0], ports[1], ports[2])
                        .withHeap(System.getProperty("microcert.test.cassandra.heap", "1g"))
                        .withStartTimeout(Duration.ofMinutes(4))
                        .withStopWithParent(true)
                        // no fsync of system tables: schema changes take a fraction of the time;
                        // test data is thrown away anyway
                        .withExtraJvmOptions(security.passwordAuthentication()
                                ? List.of("-Dcassandra.unsafesystem=true",
                                        // the default superuser without the 10 s wait meant for multi-node clusters
                                        "-Dcassandra.superuser_setup_delay_ms=0")
                                : List.of("-Dcassandra.unsafesystem=true"))
                        .withClientSecurity(security);
                try {
                    return CassandraServer.start(settings);
                } catch (CassandraException e) {
                    // another process may have taken a port between choosing and binding it
                    boolean portRace = e.reason() == CassandraException.Reason.PORT_IN_USE
                            || (e.reason() == CassandraException.Reason.START_FAILED
                                && e.getMessage().contains("Address already in use"));
                    if (!portRace) {
                        throw e;
                    }
                    last = e;
                }
            }
            throw last;
        }

        @Override
        public void close() {
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // the JVM is already shutting down; the hook stops the server as well (idempotent)
                }
            }
            cassandra.server().ifPresent(Shared::stopAndDelete);
        }

        /** Stops the server and deletes its files except the log, which explains failures. */
        private static void stopAndDelete(CassandraServer server) {
            server.stop();
            Path logs = server.logFile().getParent();
            try (Stream<Path> files = Files.walk(server.settings().directory())) {
                files.sorted(Comparator.reverseOrder()).filter(p -> !p.startsWith(logs)).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // leftovers live under target/ and go with mvn clean
            }
        }
    }

    static int[] freePorts(int count) {
        ServerSocket[] sockets = new ServerSocket[count];
        int[] ports = new int[count];
        try {
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new IllegalStateException("no free local port", e);
        } finally {
            for (ServerSocket s : sockets) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing a listening socket we own does not fail in practice
                    }
                }
            }
        }
    }
}
