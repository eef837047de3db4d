package org.microcert.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A MicroCert node in its own JVM ({@link MicroCertNode#main}), started from the test classpath
 * with a generated config file, output to a log file. {@link #kill()} is a SIGKILL: no coordinated
 * shutdown, no hand-over, as when a machine dies.
 */
public final class NodeProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;
    private final int httpPort;

    private NodeProcess(String name, Process process, Path log, int httpPort) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.httpPort = httpPort;
    }

    /**
     * Starts a node whose configuration is {@code config} (HOCON, layered above application.conf).
     *
     * @param env extra environment (e.g. the card password)
     */
    public static NodeProcess start(String name, Path dir, String config, int httpPort, Map<String, String> env) {
        try {
            Path conf = dir.resolve(name + ".conf");
            Files.writeString(conf, config);
            Path log = dir.resolve(name + ".log");
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
                    "-cp", classpath, MicroCertNode.class.getName(), "--config", conf.toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            NodeProcess node = new NodeProcess(name, p, log, httpPort);
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A free TCP port on loopback. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url(String path) {
        return "http://127.0.0.1:" + httpPort + path;
    }

    public String name() {
        return name;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines of the node's log, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return name + " log:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return name + " log unreadable: " + e;
        }
    }

    /** The node's exit status once it has exited on its own within {@code within}. */
    public int awaitExit(java.time.Duration within) throws InterruptedException {
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " still running after " + within + "\n" + logTail());
        }
        return process.exitValue();
    }

    /** The node's whole output so far. */
    public String log() throws IOException {
        return Files.readString(log);
    }

    /** SIGKILL, and wait until the process is gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    kill();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        }
    }
}
