package org.microcert.cluster.application;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.microcert.cluster.json.StrictJson;
import org.microcert.cluster.sensor.RefusalCode;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.protocol.Failures;
import org.microcert.protocol.MalformedEnvelopeException;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorId;

/**
 * One bulk import of a factory manifest (NDJSON, one {@code {"envelope": base64}} per line): lines
 * are provisioned as they arrive, a few in parallel, and one result line per input line streams back
 * in input order, then a summary line. A bad line never stops the import.
 *
 * <p>No result byte is sent before the whole request body has been read: results are held (about
 * 70 bytes a line, at most {@value #MAX_HELD_BYTES} bytes) until the upload ends, then stream; the
 * response itself starts only then ({@link #start}).
 * HTTP/1.1 clients such as {@code java.net.http} (JDK 17) read the answer only once they have sent
 * the body; streaming results during the upload filled the socket buffers of a large manifest, the
 * node then stopped reading the body and both sides waited for each other. Holding them lets one
 * request carry a manifest of hundreds of thousands of lines.
 */
public final class ManifestImport {

    /**
     * Provisions one line's sensor ({@link KeyOperations#importLine}: between its audit records; the
     * stage fails with {@link KeyOperationRefused} {@code AUDIT_UNAVAILABLE} when the intent cannot be stored).
     */
    interface LineProvisioner {
        CompletionStage<OperatorReply> provision(SensorId id, byte[] envelope, long line);
    }

    /** A manifest line (Jackson binds the record by its component name). */
    record ManifestLine(String envelope) {}

    /** One input line: its 1-based number and bytes, or null bytes when it was longer than allowed. */
    private record Line(long number, byte[] bytes) {}

    /** Splits bytes into lines, dropping the content of over-long lines (they are answered as such). */
    private static final class Splitter {
        final ByteArrayOutputStream current = new ByteArrayOutputStream();
        boolean oversize;
        long number;

        List<Line> feed(ByteString chunk, int maxLine) {
            List<Line> out = new ArrayList<>();
            // whole runs between newlines, not byte by byte: a ByteString's apply(i) walks its parts
            byte[] bytes = chunk.toArrayUnsafe();
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    append(bytes, start, i, maxLine);
                    finish(out);
                    start = i + 1;
                }
            }
            append(bytes, start, bytes.length, maxLine);
            return out;
        }

        private void append(byte[] bytes, int from, int to, int maxLine) {
            if (oversize || from == to) {
                return;
            }
            if (to - from > maxLine - current.size()) {
                oversize = true;
                current.reset();
            } else {
                current.write(bytes, from, to - from);
            }
        }

        void finish(List<Line> out) {
            number++;
            byte[] bytes = current.toByteArray();
            if (oversize || !isBlank(bytes)) {
                out.add(new Line(number, oversize ? null : bytes));
            }
            current.reset();
            oversize = false;
        }

        private static boolean isBlank(byte[] bytes) {
            for (byte b : bytes) {
                if (b != ' ' && b != '\t' && b != '\r') {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Results held back while the body is uploaded: ~900,000 lines. Beyond, the body is no longer
     * read, so the upload stalls until the connection's idle timeout (docs/http-api.md: split larger
     * manifests).
     */
    static final long MAX_HELD_BYTES = 64L * 1024 * 1024;

    private static final int PROVISIONED = 0;
    private static final int ALREADY = 1;
    private static final int FAILED = 2;

    private final LineProvisioner provisioner;
    private final int maxLine;
    private final AtomicLongArray counts = new AtomicLongArray(3);

    ManifestImport(LineProvisioner provisioner, int maxLine) {
        this.provisioner = provisioner;
        this.maxLine = maxLine;
    }

    /** An import under way: its result lines, and the end of its upload. */
    public record Started(Source<ByteString, NotUsed> lines, CompletionStage<Done> bodyRead) {}

    /**
     * Starts the import now, ahead of the response, so the route can answer once the body has been
     * read: a response begun during the upload makes Pekko HTTP log a warning and close the
     * connection after it ("early response"). The results wait in a pull queue meanwhile (no
     * subscription deadline, unlike a pre-materialized publisher); cancelling {@code lines} cancels
     * the import.
     */
    Started start(Source<ByteString, ?> body, int parallelism, Materializer materializer) {
        return start(body, parallelism, materializer, UNCLAIMED_AFTER);
    }

    /** Results not claimed this long after the upload ended (no response went out) are dropped. */
    static final Duration UNCLAIMED_AFTER = Duration.ofSeconds(60);

    Started start(Source<ByteString, ?> body, int parallelism, Materializer materializer, Duration unclaimedAfter) {
        CompletableFuture<Done> bodyRead = new CompletableFuture<>();
        SinkQueueWithCancel<ByteString> queue = run(body, parallelism, bodyRead).runWith(Sink.queue(), materializer);
        AtomicBoolean claimed = new AtomicBoolean();
        Source<ByteString, NotUsed> lines = Source.unfoldResourceAsync(() -> {
                    claimed.set(true);
                    return CompletableFuture.completedFuture(queue);
                }, SinkQueueWithCancel::pull, q -> {
                    q.cancel();
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
        // A client gone between its upload and the answer never pulls the results: without this the
        // import's held results would stay materialized for good.
        bodyRead.whenComplete((d, failure) -> CompletableFuture.delayedExecutor(unclaimedAfter.toMillis(),
                TimeUnit.MILLISECONDS).execute(() -> {
                    if (!claimed.get()) {
                        queue.cancel();
                    }
                }));
        return new Started(lines, bodyRead);
    }

    /** {@code body}, completing {@code read} when it ends (or with its failure). */
    private static Source<ByteString, ?> watched(Source<ByteString, ?> body, CompletableFuture<Done> read) {
        return body.watchTermination((mat, done) -> {
            done.whenComplete((d, failure) -> {
                if (failure == null) {
                    read.complete(d);
                } else {
                    read.completeExceptionally(failure);
                }
            });
            return mat;
        });
    }

    Source<ByteString, NotUsed> run(Source<ByteString, ?> body, int parallelism) {
        return run(body, parallelism, new CompletableFuture<>());
    }

    /** The import's result lines; {@code bodyRead} completes when the upload ends. */
    private Source<ByteString, NotUsed> run(Source<ByteString, ?> body, int parallelism, CompletableFuture<Done> bodyRead) {
        return watched(body, bodyRead)
                .statefulMap(Splitter::new,
                        (Splitter s, ByteString chunk) -> Pair.create(s, s.feed(chunk, maxLine)),
                        (Splitter s) -> {
                            List<Line> tail = new ArrayList<>();
                            if (s.current.size() > 0 || s.oversize) {
                                s.finish(tail);
                            }
                            return Optional.of(tail);
                        })
                .mapConcat(lines -> lines)
                .mapAsync(parallelism, this::provision)
                .map(node -> ByteString.fromArray(StrictJson.bytes(node)).concat(ByteString.fromString("\n")))
                // keeps pulling results (and so the body) while nothing goes out...
                .batchWeighted(MAX_HELD_BYTES, b -> (long) b.length(), b -> b, ByteString::concat)
                // ...which happens once the upload has ended: the first batch waits here for it
                .mapAsync(1, held -> bodyRead.thenApply(d -> held))
                .concatLazy(Source.lazySingle(() -> {
                    ObjectNode summary = StrictJson.object();
                    summary.putObject("summary").put("lines", counts.get(0) + counts.get(1) + counts.get(2))
                            .put("provisioned", counts.get(PROVISIONED)).put("alreadyProvisioned", counts.get(ALREADY))
                            .put("failed", counts.get(FAILED));
                    return ByteString.fromArray(StrictJson.bytes(summary)).concat(ByteString.fromString("\n"));
                }))
                .mapMaterializedValue(m -> NotUsed.getInstance());
    }

    private CompletionStage<ObjectNode> provision(Line line) {
        ObjectNode result = StrictJson.object().put("line", line.number());
        if (line.bytes() == null) {
            return CompletableFuture.completedFuture(failed(result, "BODY_TOO_LARGE", "line longer than " + maxLine + " bytes"));
        }
        byte[] envelope;
        SeedEnvelope env;
        try {
            envelope = StrictJson.base64(StrictJson.parse(line.bytes(), ManifestLine.class).envelope(), "envelope");
            env = SeedEnvelope.decode(envelope);
            if (env.kind() != SeedEnvelope.Kind.TRANSPORT) {
                return CompletableFuture.completedFuture(failed(result, "BAD_ENVELOPE",
                        "expected a TRANSPORT envelope, got " + env.kind()));
            }
            if (env.sensorId().value() == 0) { // reserved (docs/protocol.md): no sensor has it
                return CompletableFuture.completedFuture(failed(result, "BAD_SENSOR_ID",
                        "sensor id 0000000000000000 is reserved"));
            }
        } catch (StrictJson.InvalidJson e) {
            return CompletableFuture.completedFuture(failed(result, e.code().name(), e.getMessage()));
        } catch (MalformedEnvelopeException e) {
            return CompletableFuture.completedFuture(failed(result, "BAD_ENVELOPE", e.getMessage()));
        }
        result.put("sensorId", env.sensorId().toString());
        return provisioner.provision(env.sensorId(), envelope, line.number())
                .handleAsync((reply, failure) -> {
                    Throwable cause = Failures.cause(failure);
                    if (cause instanceof KeyOperationRefused r) { // AUDIT_UNAVAILABLE: this line was not provisioned
                        return failed(result, r.reason().name(), r.getMessage());
                    }
                    if (failure != null) {
                        boolean timeout = failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException;
                        return failed(result, timeout ? "UNAVAILABLE" : "INTERNAL",
                                timeout ? "the sensor's shard did not answer in time" : "internal error");
                    }
                    if (reply instanceof Refused r) {
                        if (r.error() == RefusalCode.ALREADY_PROVISIONED) {
                            counts.incrementAndGet(ALREADY);
                            return result.put("result", "ALREADY_PROVISIONED");
                        }
                        return failed(result, r.error().name(), r.message());
                    }
                    counts.incrementAndGet(PROVISIONED);
                    return result.put("result", "PROVISIONED");
                }, Runnable::run);
    }

    private ObjectNode failed(ObjectNode result, String error, String message) {
        counts.incrementAndGet(FAILED);
        return result.put("result", "FAILED").put("error", error).put("message", message);
    }
}
