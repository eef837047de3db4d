package org.microcert.ops.cassandra;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.microcert.ops.cassandra.CassandraException.Reason;
import org.microcert.ops.cassandra.CassandraServer.Settings;

/**
 * The command line of the Cassandra JVM that {@link CassandraServer} starts: which Java, its
 * options (heap, the module exports Cassandra 5.0 needs on Java 17), and the classpath the ops
 * build wrote into {@code cassandra.classpath}.
 */
final class CassandraCommand {

    static final String DAEMON = "org.apache.cassandra.service.CassandraDaemon";

    private CassandraCommand() {
    }

    static List<String> of(Settings s) {
        Path java = javaExecutable();
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xms" + s.heap(), "-Xmx" + s.heap(),
                "-Xss256k", "-XX:+UseG1GC", "-XX:+HeapDumpOnOutOfMemoryError", "-XX:+ExitOnOutOfMemoryError",
                "-XX:HeapDumpPath=" + s.directory().resolve("logs"),
                "-Djava.net.preferIPv4Stack=true",
                "-Dcassandra.config=" + s.directory().resolve("conf/cassandra.yaml").toUri(),
                "-Dlogback.configurationFile=" + s.directory().resolve("conf/logback.xml").toUri(),
                "-Dcassandra.logdir=" + s.directory().resolve("logs"),
                "-Dcassandra-foreground=yes",
                "-Dcassandra.storagedir=" + s.directory(),
                "-Dcassandra.triggers_dir=" + s.directory().resolve("triggers"),
                "-Dcassandra.jmx.local.port=" + s.jmxPort(),
                "-Dcassandra.skip_wait_for_gossip_to_settle=0"));
        for (String p : List.of("java.base/jdk.internal.misc", "java.base/jdk.internal.ref", "java.base/sun.nio.ch",
                "java.management.rmi/com.sun.jmx.remote.internal.rmi", "java.rmi/sun.rmi.registry",
                "java.rmi/sun.rmi.server", "java.sql/java.sql")) {
            cmd.add("--add-exports=" + p + "=ALL-UNNAMED");
        }
        for (String p : List.of("java.base/java.lang.module", "java.base/jdk.internal.loader",
                "java.base/jdk.internal.ref", "java.base/jdk.internal.reflect", "java.base/jdk.internal.math",
                "java.base/jdk.internal.module", "java.base/jdk.internal.util.jar", "java.base/sun.nio.ch",
                "java.base/java.io", "java.base/java.nio", "java.base/java.util.concurrent", "java.base/java.util",
                "java.base/java.util.concurrent.atomic", "java.base/java.lang", "java.base/java.math",
                "java.base/java.lang.reflect", "java.base/java.net", "jdk.management/com.sun.management.internal")) {
            cmd.add("--add-opens=" + p + "=ALL-UNNAMED");
        }
        cmd.addAll(s.extraJvmOptions());
        String main = DAEMON;
        String classpath = cassandraClasspath();
        if (s.stopWithParent()) {
            cmd.add("-D" + ParentWatchdog.PARENT_PID_PROPERTY + "=" + ProcessHandle.current().pid());
            classpath = opsClassesLocation() + File.pathSeparator + classpath;
            main = ParentWatchdog.class.getName();
        }
        cmd.addAll(List.of("-cp", classpath, main));
        return cmd;
    }

    /**
     * The Java that runs Cassandra: {@code MICROCERT_CASSANDRA_JAVA_HOME} if set, else this JVM's.
     * Cassandra 5.0 supports Java 11 and 17 only.
     */
    private static Path javaExecutable() {
        String home = System.getenv("MICROCERT_CASSANDRA_JAVA_HOME");
        if (home == null || home.isBlank()) {
            int feature = Runtime.version().feature();
            if (feature != 11 && feature != 17) {
                throw new CassandraException(Reason.UNSUPPORTED_JAVA, "Cassandra 5.0 runs on Java 11 or 17, this is Java "
                        + feature + "; set MICROCERT_CASSANDRA_JAVA_HOME to a Java 17 home");
            }
            home = System.getProperty("java.home");
        }
        Path java = Path.of(home, "bin", "java");
        if (!Files.isExecutable(java)) {
            throw new CassandraException(Reason.UNSUPPORTED_JAVA, "no java executable at " + java);
        }
        return java;
    }

    private static String cassandraClasspath() {
        try (InputStream in = CassandraServer.class.getResourceAsStream("cassandra.classpath")) {
            if (in == null) {
                throw new CassandraException(Reason.CLASSPATH_MISSING,
                        "cassandra.classpath is not on the classpath; build ops first: mvn -pl ops -am compile");
            }
            String classpath = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            for (String jar : classpath.split(File.pathSeparator)) {
                if (!Files.isRegularFile(Path.of(jar))) {
                    throw new CassandraException(Reason.CLASSPATH_MISSING, "Cassandra jar " + jar
                            + " is missing; run mvn -pl ops -am compile (online) to download it");
                }
            }
            return classpath;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String opsClassesLocation() {
        try {
            return Path.of(ParentWatchdog.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
