package org.microcert.ops.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's refusals, which need no running Cassandra. */
class CassandraServerTest {

    @TempDir
    Path dir;

    @Test
    void takenCqlPortIsReportedAndNothingIsStarted() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int[] free = CassandraExtension.freePorts(2);
            CassandraServer.Settings settings = CassandraServer.Settings.defaults(dir)
                    .withPorts(taken.getLocalPort(), free[0], free[1]);
            CassandraException e = assertThrows(CassandraException.class, () -> CassandraServer.start(settings));
            assertEquals(CassandraException.Reason.PORT_IN_USE, e.reason());
            assertTrue(e.getMessage().contains("CQL (native transport) port " + taken.getLocalPort()), e.getMessage());
            assertFalse(Files.exists(dir.resolve("cassandra.pid")));
            assertTrue(CassandraServer.attach(settings).isEmpty());
        }
    }

    @Test
    void badSettingsAreRefused() {
        assertEquals(CassandraException.Reason.BAD_SETTINGS, assertThrows(CassandraException.class,
                () -> CassandraServer.Settings.defaults(dir).withPorts(9042, 9042, 7199)).reason());
        assertEquals(CassandraException.Reason.BAD_SETTINGS, assertThrows(CassandraException.class,
                () -> CassandraServer.Settings.defaults(dir).withPorts(0, 7000, 7199)).reason());
        assertEquals(CassandraException.Reason.BAD_SETTINGS, assertThrows(CassandraException.class,
                () -> CassandraServer.Settings.defaults(dir).withHeap("lots")).reason());
    }

    /**
     * The pid file names a Cassandra that is still coming up, so that one whose starter was killed
     * can be stopped; a start that fails removes it with the process.
     */
    @Test
    void aStartingCassandraCanBeFoundAndAFailedStartLeavesNoPidFile() throws Exception {
        int[] ports = CassandraExtension.freePorts(3);
        // far shorter than any Cassandra start: the wait ends in START_TIMEOUT
        CassandraServer.Settings settings = CassandraServer.Settings.defaults(dir).withPorts(ports[0], ports[1], ports[2])
                .withStartTimeout(java.time.Duration.ofSeconds(3)).withStopWithParent(true);
        java.util.concurrent.CompletableFuture<CassandraServer> start =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> CassandraServer.start(settings));
        // woken by the directory's changes (the pid file appearing, then filled), not by polling
        long deadline = System.nanoTime() + 3_000_000_000L;
        try (java.nio.file.WatchService watch = dir.getFileSystem().newWatchService()) {
            dir.register(watch, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE,
                    java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY);
            while (CassandraServer.attach(settings).isEmpty() && !start.isDone()) {
                java.nio.file.WatchKey key = watch.poll(deadline - System.nanoTime(), java.util.concurrent.TimeUnit.NANOSECONDS);
                if (key == null) {
                    break;
                }
                key.pollEvents();
                key.reset();
            }
        }
        assertFalse(start.isDone(), () -> "the start ended first: " + start.handle((s, e) -> e).join());
        assertTrue(CassandraServer.attach(settings).isPresent(), "found while starting");
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class, start::get);
        assertEquals(CassandraException.Reason.START_TIMEOUT, ((CassandraException) e.getCause()).reason());
        assertFalse(Files.exists(dir.resolve("cassandra.pid")));
        assertTrue(CassandraServer.attach(settings).isEmpty());
    }

    @Test
    void stalePidFileOfADeadProcessIsNotARunningCassandra() throws IOException {
        Files.writeString(dir.resolve("cassandra.pid"), "999999999");
        assertTrue(CassandraServer.attach(CassandraServer.Settings.defaults(dir)).isEmpty());
    }

    @Test
    void cliExplainsUsageErrorsAndMissingServer() {
        assertEquals(2, cli(new String[] {"start", "--cql-port", "many"}).status);
        assertEquals(2, cli(new String[] {"frobnicate"}).status);
        Result status = cli(new String[] {"status", "--dir", dir.toString()});
        assertEquals(1, status.status);
        assertTrue(status.err.contains("no Cassandra started from " + dir.toAbsolutePath()), status.err);
        assertEquals(1, cli(new String[] {"stop", "--dir", dir.toString()}).status);
    }

    private record Result(int status, String err) {
    }

    private static Result cli(String[] args) {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        try {
            return new Result(CassandraCli.run(args), err.toString());
        } finally {
            System.setErr(original);
        }
    }
}
