package org.microcert.cluster.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * The cheapest closed-loop HTTP/1.1 load generator we can write: one blocking keep-alive socket
 * per thread, requests prepared before the run, responses parsed just enough (status line,
 * Content-Length). It leaves as much of the shared CPU as possible to the server under test, the
 * same way for the baseline and the gateway.
 */
final class RawHttpLoad {

    private RawHttpLoad() {}

    /** An HTTP/1.1 request's bytes. */
    static byte[] request(String method, String path, String contentType, byte[] body) {
        String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (body == null ? "" : "Content-Type: " + contentType + "\r\nContent-Length: " + body.length + "\r\n")
                + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        if (body == null) {
            return h;
        }
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    /**
     * Runs {@code connections} loops for {@code seconds}; request {@code i} is {@code requests.apply(i)}.
     *
     * @return {ok (status 200), other}
     */
    static long[] run(int port, int connections, double seconds, IntFunction<byte[]> requests) throws Exception {
        AtomicLong ok = new AtomicLong();
        AtomicLong other = new AtomicLong();
        AtomicLong next = new AtomicLong();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            Thread t = new Thread(() -> {
                try (Socket s = new Socket()) {
                    s.setTcpNoDelay(true);
                    s.connect(new InetSocketAddress("127.0.0.1", port));
                    OutputStream out = s.getOutputStream();
                    InputStream in = new BufferedInputStream(s.getInputStream(), 16384);
                    while (System.nanoTime() < end) {
                        out.write(requests.apply((int) next.getAndIncrement()));
                        out.flush();
                        if (readResponse(in) == 200) {
                            ok.incrementAndGet();
                        } else {
                            other.incrementAndGet();
                        }
                    }
                } catch (IOException e) {
                    other.incrementAndGet();
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return new long[] {ok.get(), other.get()};
    }

    /** Reads one response; returns its status code. */
    private static int readResponse(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int status = -1;
        long length = 0;
        boolean chunked = false;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed");
            }
            if (b == '\n') {
                String l = line.toString().trim();
                line.setLength(0);
                if (l.isEmpty()) {
                    break;
                }
                if (status < 0) {
                    status = Integer.parseInt(l.substring(9, 12));
                } else if (l.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Long.parseLong(l.substring(15).trim());
                } else if (l.regionMatches(true, 0, "Transfer-Encoding:", 0, 18) && l.contains("chunked")) {
                    chunked = true;
                }
            } else {
                line.append((char) b);
            }
        }
        if (chunked) {
            throw new IOException("chunked responses are not expected here");
        }
        in.skipNBytes(length);
        return status;
    }
}
