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
