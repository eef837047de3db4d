package org.microcert.simulator.gateway;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.IntFunction;

/** The NDJSON body, made one line at a time as the connection reads it. */
final class ManifestBody extends InputStream {

    private static final Base64.Encoder B64 = Base64.getEncoder();

    private final int lines;
    private final IntFunction<byte[]> envelope;
    private byte[] line = new byte[0];
    private int pos;
    private int next;

    ManifestBody(int lines, IntFunction<byte[]> envelope) {
        this.lines = lines;
        this.envelope = envelope;
    }

    /** Makes the next line when the current one is used up; false at the end. */
    private boolean fill() {
        if (pos < line.length) {
            return true;
        }
        if (next == lines) {
            return false;
        }
        line = ("{\"envelope\":\"" + B64.encodeToString(envelope.apply(next)) + "\"}\n").getBytes(StandardCharsets.US_ASCII);
        pos = 0;
        next++;
        return true;
    }

    @Override
    public int read() {
        return fill() ? line[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        int n = 0;
        while (n < len && fill()) {
            int k = Math.min(len - n, line.length - pos);
            System.arraycopy(line, pos, b, off + n, k);
            pos += k;
            n += k;
        }
        return n == 0 ? -1 : n;
    }
}
