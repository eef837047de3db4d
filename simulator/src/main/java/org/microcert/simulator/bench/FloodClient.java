package org.microcert.simulator.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.microcert.protocol.CertificateType;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorId;

/**
 * The hostile client of the flood benchmark: as fast as it can (closed loop, one blocking HTTP/1.1
 * keep-alive connection per thread, the next request as soon as the answer is read), it sends
 * {@code POST /v1/authenticate} with AUTH certificates that are either for a <em>random</em> sensor
 * id (never the same twice, so no negative cache can answer them) or <em>forged</em> for a
 * provisioned sensor (a random tag, fresh timestamp). No crypto on this side: a forger needs none.
 *
 * <p>Raw sockets, bound to {@code source}: a second loopback address (127.0.0.2) makes it a
 * client of its own for the node's per-client rate limit, which the JDK's HTTP client (no local
 * address before Java 19) cannot do.
 */
final class FloodClient implements AutoCloseable {

    private final URI target;
    private final InetAddress source;
    private final int connections;
    private final double unknownShare;
    private final List<SensorId> victims;
    private final AtomicBoolean running = new AtomicBoolean();
    private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    private final LongAdder unknownSent = new LongAdder();
    private final LongAdder forgedSent = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private Thread[] threads = new Thread[0];

    FloodClient(URI target, InetAddress source, int connections, double unknownShare, List<SensorId> victims) {
        this.target = target;
        this.source = source;
        this.connections = connections;
        this.unknownShare = unknownShare;
        this.victims = victims;
    }

    /** Counts of what was answered so far, by HTTP status; -1: connection errors. */
    Map<Integer, Long> statuses() {
        Map<Integer, Long> m = new TreeMap<>();
        statuses.forEach((k, v) -> m.put(k, v.sum()));
        if (errors.sum() > 0) {
            m.put(-1, errors.sum());
        }
        return m;
    }

    long answered() {
        return statuses.values().stream().mapToLong(LongAdder::sum).sum();
    }

    long unknownSent() {
        return unknownSent.sum();
    }

    long forgedSent() {
        return forgedSent.sum();
    }

    void start() {
        running.set(true);
        threads = new Thread[connections];
        for (int i = 0; i < connections; i++) {
            long seed = System.nanoTime() ^ ((long) i << 40);
            threads[i] = new Thread(() -> loop(new SplittableRandom(seed)), "flood-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            t.join(5_000);
        }
    }

    private void loop(SplittableRandom random) {
        byte[] head = ("POST /v1/authenticate HTTP/1.1\r\nHost: " + target.getHost() + ":" + target.getPort()
                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + MicroCertificate.AUTH_LENGTH
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        while (running.get()) {
            try (Socket socket = new Socket()) {
                socket.bind(new InetSocketAddress(source, 0));
                socket.connect(new InetSocketAddress(target.getHost(), target.getPort()), 5_000);
                socket.setSoTimeout(30_000);
                socket.setTcpNoDelay(true);
                OutputStream out = socket.getOutputStream();
                InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
                while (running.get()) {
                    byte[] certificate = certificate(random);
                    byte[] request = new byte[head.length + certificate.length];
                    System.arraycopy(head, 0, request, 0, head.length);
                    System.arraycopy(certificate, 0, request, head.length, certificate.length);
                    out.write(request);
                    out.flush();
                    int status = readResponse(in);
                    statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
                }
            } catch (IOException e) {
                if (running.get()) {
                    errors.increment(); // the node closed the connection or refused it: reconnect
                }
            }
        }
    }

    private byte[] certificate(SplittableRandom random) {
        boolean unknown = victims.isEmpty() || random.nextDouble() < unknownShare;
        SensorId id;
        if (unknown) {
            unknownSent.increment();
            // random 64-bit ids: the chance of naming a provisioned sensor is nil
            id = new SensorId(random.nextLong(1L << 62) + 1);
        } else {
            forgedSent.increment();
            id = victims.get(random.nextInt(victims.size()));
        }
        byte[] tag = new byte[CipherSuite.TAG_LENGTH];
        for (int i = 0; i < tag.length; i++) {
            tag[i] = (byte) random.nextInt(256);
        }
        return new MicroCertificate(CertificateType.AUTH, CipherSuite.AES128, id, System.currentTimeMillis() / 1000,
                random.nextLong(), new byte[0], tag).encode();
    }

    /** Reads one HTTP/1.1 response (status line, headers, a Content-Length body); returns its status. */
    private static int readResponse(InputStream in) throws IOException {
        String statusLine = line(in);
        if (statusLine == null || statusLine.length() < 12) {
            throw new IOException("connection closed");
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long length = 0;
        boolean close = false;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            String lower = h.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            }
        }
        in.skipNBytes(length);
        if (close) {
            throw new IOException("closed by the node");
        }
        return status;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != -1; c = in.read()) {
            if (c == '\n') {
                int n = b.length();
                return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
            }
            b.append((char) c);
        }
        return b.length() == 0 ? null : b.toString();
    }
}
