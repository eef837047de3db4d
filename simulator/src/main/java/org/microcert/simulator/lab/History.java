package org.microcert.simulator.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The lab client's record (JSON lines, one per request and answer, docs/faultlab.md): what was sent
 * when, to which gateway, and what came back. The checker reads only this and the journal.
 *
 * @param op     {@code import}, {@code auth} (one half of a pair), {@code revoke}, {@code read} (the
 *               final check of every sensor) or {@code health} ({@code /health/ready} of a gateway)
 * @param t      when the request was sent (epoch milliseconds)
 * @param end    when its answer came (or the request failed)
 * @param gw     the gateway's number (1-based, the order of {@code --gateway})
 * @param sensor sensor id (hex), or null for health
 * @param cert   the certificate (hex), for auth and read
 * @param pair   the pair number of an auth request (both halves share it), else -1
 * @param result {@code ACCEPTED}, {@code REJECTED} (with a reason), {@code FAILED} (no verdict, with
 *               the error), {@code PROVISIONED}, {@code ALREADY_PROVISIONED}, {@code REVOKED} (the
 *               revocation acknowledged), {@code READY} / {@code NOT_READY}
 */
public record History(String op, long t, long end, int gw, String sensor, String cert, long pair, String result,
                      String reason) {

    private static final ObjectMapper JSON = new ObjectMapper();

    boolean accepted() {
        return result.equals("ACCEPTED");
    }

    boolean rejected(String why) {
        return result.equals("REJECTED") && why.equals(reason);
    }

    /** Appends records to a file, one JSON object a line; thread-safe. */
    public static final class Writer implements AutoCloseable {
        private final BufferedWriter out;

        public Writer(Path file) throws IOException {
            this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        }

        public synchronized void write(History h) {
            ObjectNode n = JSON.createObjectNode().put("op", h.op).put("t", h.t).put("end", h.end).put("gw", h.gw);
            if (h.sensor != null) {
                n.put("sensor", h.sensor);
            }
            if (h.cert != null) {
                n.put("cert", h.cert);
            }
            if (h.pair >= 0) {
                n.put("pair", h.pair);
            }
            n.put("result", h.result);
            if (h.reason != null) {
                n.put("reason", h.reason);
            }
            try {
                out.write(n.toString());
                out.write('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public synchronized void flush() throws IOException {
            out.flush();
        }

        @Override
        public synchronized void close() throws IOException {
            out.close();
        }
    }

    /**
     * Every record of a history file.
     *
     * @throws IllegalArgumentException naming the first line that is not a record
     */
    public static List<History> read(Path file) throws IOException {
        List<History> out = new ArrayList<>();
        int number = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                throw new IllegalArgumentException(file + " line " + number + " is not JSON");
            }
            if (!n.path("op").isTextual() || !n.path("t").canConvertToLong() || !n.path("result").isTextual()) {
                throw new IllegalArgumentException(file + " line " + number + " is not a history record (op, t, result)");
            }
            out.add(new History(n.path("op").asText(), n.path("t").asLong(), n.path("end").asLong(n.path("t").asLong()),
                    n.path("gw").asInt(0), text(n, "sensor"), text(n, "cert"), n.path("pair").asLong(-1),
                    n.path("result").asText(), text(n, "reason")));
        }
        return out;
    }

    private static String text(JsonNode n, String field) {
        return n.path(field).isTextual() ? n.path(field).asText() : null;
    }
}
