package org.microcert.ops.cassandra;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * Asks a server whether it speaks CQL: sends a native-protocol v4 OPTIONS frame and expects a
 * SUPPORTED frame back. Cassandra opens its native transport last, so an answer means it serves
 * queries. Needs no driver, which keeps ops free of client dependencies.
 */
final class CqlProbe {

    private static final byte[] OPTIONS_V4 = {0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00};
    private static final int OPCODE_SUPPORTED = 0x06;

    private CqlProbe() {
    }

    static boolean answers(String host, int port, Duration timeout) {
        try (Socket socket = new Socket()) {
            int millis = (int) timeout.toMillis();
            socket.connect(new InetSocketAddress(host, port), millis);
            socket.setSoTimeout(millis);
            OutputStream out = socket.getOutputStream();
            out.write(OPTIONS_V4);
            out.flush();
            byte[] header = new byte[9];
            new DataInputStream(socket.getInputStream()).readFully(header);
            return (header[0] & 0x80) != 0 && header[4] == OPCODE_SUPPORTED;
        } catch (IOException e) {
            return false;
        }
    }
}
