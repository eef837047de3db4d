package org.microcert.ops.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.microcert.ops.cassandra.CassandraException.Reason;

/**
 * Apache Cassandra 5.0 run as a separate JVM from the jars of {@code cassandra-all} (whose
 * classpath the ops build writes into {@code cassandra.classpath}), with a generated
 * {@code cassandra.yaml}, its own directory and ports, and its output in {@code logs/cassandra.log}
 * under that directory. {@link #start} returns once CQL answers; {@link #stop} ends the process tree.
 *
 * <p>Directory layout: {@code conf/} (yaml, logback), {@code data/}, {@code commitlog/},
 * {@code saved_caches/}, {@code hints/}, {@code cdc_raw/}, {@code logs/}, {@code cassandra.pid}.
 */
public final class CassandraServer implements AutoCloseable {

    /** Where and how to run Cassandra. */
    public record Settings(Path directory, String host, int cqlPort, int storagePort, int jmxPort,
                           String heap, Duration startTimeout, boolean stopWithParent, List<String> extraJvmOptions,
                           ClientSecurity clientSecurity) {

        /** Without client security: no authentication, no TLS. */
        public Settings(Path directory, String host, int cqlPort, int storagePort, int jmxPort, String heap,
                        Duration startTimeout, boolean stopWithParent, List<String> extraJvmOptions) {
            this(directory, host, cqlPort, storagePort, jmxPort, heap, startTimeout, stopWithParent, extraJvmOptions,
                    ClientSecurity.NONE);
        }

        public Settings {
            directory = directory.toAbsolutePath().normalize();
            extraJvmOptions = List.copyOf(extraJvmOptions);
            clientSecurity = clientSecurity == null ? ClientSecurity.NONE : clientSecurity;
            for (int port : new int[] {cqlPort, storagePort, jmxPort}) {
                if (port < 1 || port > 65535) {
                    throw new CassandraException(Reason.BAD_SETTINGS, "port " + port + " is not in 1..65535");
                }
            }
            if (cqlPort == storagePort || cqlPort == jmxPort || storagePort == jmxPort) {
                throw new CassandraException(Reason.BAD_SETTINGS, "the CQL, storage and JMX ports must differ");
            }
            if (!heap.matches("[1-9][0-9]*[mMgG]")) {
                throw new CassandraException(Reason.BAD_SETTINGS, "heap '" + heap + "' is not like 512m or 1g");
            }
        }

        /** 127.0.0.1 with Cassandra's usual ports 9042 / 7000 / 7199, a 1 GB heap, 3 minutes to start. */
        public static Settings defaults(Path directory) {
            return new Settings(directory, "127.0.0.1", 9042, 7000, 7199, "1g", Duration.ofMinutes(3), false, List.of());
        }

        public Settings withPorts(int cql, int storage, int jmx) {
            return new Settings(directory, host, cql, storage, jmx, heap, startTimeout, stopWithParent, extraJvmOptions, clientSecurity);
        }

        public Settings withHeap(String newHeap) {
            return new Settings(directory, host, cqlPort, storagePort, jmxPort, newHeap, startTimeout, stopWithParent, extraJvmOptions, clientSecurity);
        }

        public Settings withStartTimeout(Duration timeout) {
            return new Settings(directory, host, cqlPort, storagePort, jmxPort, heap, timeout, stopWithParent, extraJvmOptions, clientSecurity);
        }

        /** Whether the Cassandra JVM exits by itself when this JVM dies (tests: yes; the CLI: no). */
        public Settings withStopWithParent(boolean stop) {
            return new Settings(directory, host, cqlPort, storagePort, jmxPort, heap, startTimeout, stop, extraJvmOptions, clientSecurity);
        }

        /** Extra JVM options for the Cassandra process, e.g. {@code -Dcassandra.unsafesystem=true} in tests. */
        public Settings withExtraJvmOptions(List<String> options) {
            return new Settings(directory, host, cqlPort, storagePort, jmxPort, heap, startTimeout, stopWithParent, options, clientSecurity);
        }

        /** Authentication and client TLS for this Cassandra (tests of MicroCert against a secured Cassandra). */
        public Settings withClientSecurity(ClientSecurity security) {
            return new Settings(directory, host, cqlPort, storagePort, jmxPort, heap, startTimeout, stopWithParent,
                    extraJvmOptions, security);
        }

        Path logFile() {
            return directory.resolve("logs").resolve("cassandra.log");
        }

        Path pidFile() {
            return directory.resolve("cassandra.pid");
        }
    }

    /**
     * What a client must bring: with {@code passwordAuthentication}, a role and its password
     * ({@code PasswordAuthenticator}, {@code CassandraAuthorizer}; the default superuser
     * cassandra/cassandra appears once Cassandra has set up its roles, shortly after CQL answers);
     * with a {@code keystore} (PKCS#12: the server's key and certificate chain), TLS only on the CQL
     * port; with a {@code truststore} too (PKCS#12 of CA certificates), client certificates signed by
     * those CAs are required (mutual TLS). Passwords are of throw-away test stores, written to cassandra.yaml.
     */
    public record ClientSecurity(boolean passwordAuthentication, Path keystore, String keystorePassword,
                                 Path truststore, String truststorePassword) {

        public static final ClientSecurity NONE = new ClientSecurity(false, null, null, null, null);

        public boolean tls() {
            return keystore != null;
        }
    }

    private static final Duration STOP_GRACE = Duration.ofSeconds(60);

    private final Settings settings;
    private final ProcessHandle process;

    private CassandraServer(Settings settings, ProcessHandle process) {
        this.settings = settings;
        this.process = process;
    }

    /**
     * Starts Cassandra and waits until CQL answers.
     *
     * @throws CassandraException with reason PORT_IN_USE, ALREADY_RUNNING, START_FAILED,
     *     START_TIMEOUT, UNSUPPORTED_JAVA or CLASSPATH_MISSING; nothing is left running then
     */
    public static CassandraServer start(Settings settings) {
        Optional<ProcessHandle> running = runningIn(settings.directory());
        if (running.isPresent()) {
            throw new CassandraException(Reason.ALREADY_RUNNING, "Cassandra from " + settings.directory()
                    + " is already running (pid " + running.get().pid() + ")");
        }
        checkPortsFree(settings);
        List<String> command = CassandraCommand.of(settings);
        try {
            CassandraConfig.write(settings);
            Files.createDirectories(settings.logFile().getParent());
        } catch (IOException e) {
            throw new CassandraException(Reason.BAD_SETTINGS, "cannot write to " + settings.directory() + ": " + e.getMessage(), e);
        }
        Process child;
        try {
            child = new ProcessBuilder(command)
                    .directory(settings.directory().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(settings.logFile().toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(nullFile().toFile()))
                    .start();
        } catch (IOException e) {
            throw new CassandraException(Reason.START_FAILED, "cannot launch " + command.get(0) + ": " + e.getMessage(), e);
        }
        CassandraServer server = new CassandraServer(settings, child.toHandle());
        // Before the wait, not after it: a starter killed while Cassandra came up left a Cassandra
        // that `stop` could not find (only its taken ports said it was there). While it starts,
        // `status` finds it and says CQL does not answer yet.
        try {
            Files.writeString(settings.pidFile(), Long.toString(child.pid()));
        } catch (IOException e) {
            server.stop();
            throw new UncheckedIOException("cannot write " + settings.pidFile(), e);
        }
        try {
            server.awaitCql(child);
        } catch (RuntimeException e) {
            boolean interrupted = Thread.interrupted(); // cleared for the stop, so it is graceful
            server.stop(); // what is left of it, and its pid file
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            throw e;
        }
        return server;
    }

    /**
     * The Cassandra started earlier (perhaps by another JVM, e.g. the CLI) from this directory.
     */
    public static Optional<CassandraServer> attach(Settings settings) {
        return runningIn(settings.directory()).map(p -> new CassandraServer(settings, p));
    }

    /** The live process whose pid is in the directory's pid file and that is a Cassandra daemon. */
    static Optional<ProcessHandle> runningIn(Path directory) {
        Path pidFile = directory.toAbsolutePath().normalize().resolve("cassandra.pid");
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(p -> p.info().arguments().map(a -> Arrays.asList(a).contains(CassandraCommand.DAEMON)
                            || Arrays.asList(a).contains(ParentWatchdog.class.getName())).orElse(true));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    public Settings settings() {
        return settings;
    }

    public String host() {
        return settings.host();
    }

    public int cqlPort() {
        return settings.cqlPort();
    }

    public InetSocketAddress contactPoint() {
        return new InetSocketAddress(settings.host(), settings.cqlPort());
    }

    public long pid() {
        return process.pid();
    }

    public Path logFile() {
        return settings.logFile();
    }

    /** Directory holding the SSTables: {@code data/<keyspace>/<table>-<id>/}. */
    public Path dataDirectory() {
        return settings.directory().resolve("data");
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /** Whether CQL answers right now. */
    public boolean cqlAnswers() {
        return CqlProbe.answers(settings.host(), settings.cqlPort(), settings.clientSecurity(), Duration.ofSeconds(2));
    }

    /**
     * Writes the memtables of a keyspace (all tables when none are named) to SSTables on disk,
     * like {@code nodetool flush}, through Cassandra's local JMX port.
     */
    public void flush(String keyspace, String... tables) {
        invokeStorageService("forceKeyspaceFlush", new Object[] {keyspace, tables},
                new String[] {String.class.getName(), String[].class.getName()});
    }

    private void invokeStorageService(String operation, Object[] args, String[] signature) {
        String url = "service:jmx:rmi:///jndi/rmi://" + settings.host() + ":" + settings.jmxPort() + "/jmxrmi";
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(url), Map.of())) {
            MBeanServerConnection mbeans = connector.getMBeanServerConnection();
            mbeans.invoke(new ObjectName("org.apache.cassandra.db:type=StorageService"), operation, args, signature);
        } catch (Exception e) {
            throw new CassandraException(Reason.JMX_FAILED, operation + " through JMX " + settings.host() + ":"
                    + settings.jmxPort() + " failed: " + e, e);
        }
    }

    /**
     * Stops the process tree: SIGTERM (Cassandra flushes and closes), then SIGKILL after 60 s.
     * Removes the pid file. Idempotent.
     */
    public void stop() {
        stopTree(process);
        try {
            Files.deleteIfExists(settings.pidFile());
        } catch (IOException e) {
            // a stale pid file names a dead process, which runningIn() ignores
        }
    }

    @Override
    public void close() {
        stop();
    }

    static void stopTree(ProcessHandle root) {
        List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
        tree.add(root);
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : tree) {
            try {
                p.onExit().get(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                p.destroyForcibly();
                p.onExit().join();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits for CQL; {@link #start} stops the process when this throws. */
    private void awaitCql(Process child) {
        long deadline = System.nanoTime() + settings.startTimeout().toNanos();
        while (true) {
            if (!child.isAlive()) {
                throw new CassandraException(Reason.START_FAILED, "Cassandra exited with status " + child.exitValue()
                        + " before CQL answered on " + settings.host() + ":" + settings.cqlPort()
                        + "; last lines of " + settings.logFile() + ":\n" + tail(settings.logFile(), 15));
            }
            if (cqlAnswers()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new CassandraException(Reason.START_TIMEOUT, "CQL did not answer on " + settings.host() + ":"
                        + settings.cqlPort() + " within " + settings.startTimeout().toSeconds() + " s; stopped it; see "
                        + settings.logFile());
            }
            try {
                child.onExit().get(250, TimeUnit.MILLISECONDS); // returns early if the process dies
            } catch (TimeoutException | ExecutionException e) {
                // still starting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CassandraException(Reason.START_FAILED, "interrupted while waiting for Cassandra; stopped it");
            }
        }
    }

    static String tail(Path file, int lines) {
        try (Stream<String> all = Files.lines(file, StandardCharsets.UTF_8)) {
            List<String> list = all.toList();
            return String.join("\n", list.subList(Math.max(0, list.size() - lines), list.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void checkPortsFree(Settings s) {
        String[] names = {"CQL (native transport)", "storage (inter-node)", "JMX"};
        int[] ports = {s.cqlPort(), s.storagePort(), s.jmxPort()};
        for (int i = 0; i < ports.length; i++) {
            if (!portFree(s.host(), ports[i])) {
                throw new CassandraException(Reason.PORT_IN_USE, names[i] + " port " + ports[i] + " on " + s.host()
                        + " is already in use" + (i == 0 && CqlProbe.answers(s.host(), ports[i], Duration.ofSeconds(1))
                        ? " by a CQL server (another Cassandra?)" : "") + "; choose another port or stop that process");
            }
        }
    }

    static boolean portFree(String host, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path nullFile() {
        return Path.of(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}
