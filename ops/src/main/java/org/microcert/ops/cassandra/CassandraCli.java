package org.microcert.ops.cassandra;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code ops/bin/cassandra start|stop|status [--dir DIR] [--cql-port N] [--storage-port N]
 * [--jmx-port N] [--heap 1g] [--timeout SECONDS]}: a local single-node Cassandra for development.
 * Exit status 0 on success, 1 when the operation failed, 2 on a usage error.
 */
public final class CassandraCli {

    static final String USAGE = """
            usage: ops/bin/cassandra start|stop|status [options]
              --dir DIR           data, logs and configuration (default ./var/cassandra)
              --cql-port N        CQL native transport port (default 9042)
              --storage-port N    inter-node storage port (default 7000)
              --jmx-port N        local JMX port, used by flush (default 7199)
              --heap SIZE         heap of the Cassandra JVM, e.g. 512m, 1g (default 1g)
              --timeout SECONDS   how long start waits for CQL (default 180)""";

    private CassandraCli() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 0) {
            System.err.println(USAGE);
            return 2;
        }
        CassandraServer.Settings settings;
        try {
            settings = parse(args);
        } catch (IllegalArgumentException | CassandraException e) {
            System.err.println("cassandra: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        try {
            switch (args[0]) {
                case "start" -> {
                    CassandraServer server = CassandraServer.start(settings);
                    System.out.printf("Cassandra is up: CQL on %s:%d (pid %d, log %s)%n", server.host(),
                            server.cqlPort(), server.pid(), server.logFile());
                }
                case "stop" -> {
                    CassandraServer server = CassandraServer.attach(settings).orElseThrow(() -> notRunning(settings));
                    server.stop();
                    System.out.printf("Cassandra (pid %d) stopped%n", server.pid());
                }
                case "status" -> {
                    Optional<CassandraServer> server = CassandraServer.attach(settings);
                    if (server.isEmpty()) {
                        throw notRunning(settings);
                    }
                    boolean cql = server.get().cqlAnswers();
                    System.out.printf("Cassandra is running (pid %d); CQL on %s:%d %s%n", server.get().pid(),
                            settings.host(), settings.cqlPort(), cql ? "answers" : "does NOT answer (starting, or another port?)");
                    return cql ? 0 : 1;
                }
                default -> {
                    System.err.println("cassandra: unknown command '" + args[0] + "'\n" + USAGE);
                    return 2;
                }
            }
            return 0;
        } catch (CassandraException e) {
            System.err.println("cassandra: " + e.getMessage());
            return 1;
        }
    }

    private static CassandraException notRunning(CassandraServer.Settings settings) {
        return new CassandraException(CassandraException.Reason.NOT_RUNNING,
                "no Cassandra started from " + settings.directory() + " is running");
    }

    static CassandraServer.Settings parse(String[] args) {
        CassandraServer.Settings s = CassandraServer.Settings.defaults(Path.of("var", "cassandra"));
        Path dir = s.directory();
        int cql = s.cqlPort();
        int storage = s.storagePort();
        int jmx = s.jmxPort();
        String heap = s.heap();
        Duration timeout = s.startTimeout();
        for (int i = 1; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + args[i] + " needs a value");
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--dir" -> dir = Path.of(value);
                case "--cql-port" -> cql = number(args[i], value);
                case "--storage-port" -> storage = number(args[i], value);
                case "--jmx-port" -> jmx = number(args[i], value);
                case "--heap" -> heap = value;
                case "--timeout" -> timeout = Duration.ofSeconds(number(args[i], value));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        return new CassandraServer.Settings(dir, s.host(), cql, storage, jmx, heap, timeout, false, List.of());
    }

    private static int number(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, not '" + value + "'");
        }
    }
}
