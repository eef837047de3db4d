package org.microcert.cluster.http;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.util.ByteString;

/**
 * The deadlines of a streamed upload (the manifest import): {@code 408 BODY_TIMEOUT} when no byte
 * arrives for {@code idle}, or the whole body not within {@code total} (a client dripping a byte a
 * second is never idle). Like {@link BodyDirectives}' deadline it does not cancel the body: a
 * cancelled request body aborts the connection, often before the answer is out; the answer closes it.
 */
final class UploadDeadline {

    private final Duration idle;
    private final Duration total;
    private final long start = System.nanoTime();
    private final AtomicLong last = new AtomicLong(start);

    UploadDeadline(Duration idle, Duration total) {
        this.idle = idle;
        this.total = total;
    }

    /** Marks {@code chunk} as arrived now; for {@code Source.map}. */
    ByteString arrived(ByteString chunk) {
        last.set(System.nanoTime());
        return chunk;
    }

    /** {@code read}, or a failure with the 408 {@link ApiError} when a deadline passes first. */
    CompletionStage<Done> watch(CompletionStage<Done> read) {
        CompletableFuture<Done> answer = new CompletableFuture<>();
        read.whenComplete((d, f) -> {
            if (f == null) {
                answer.complete(d);
            } else {
                answer.completeExceptionally(f);
            }
        });
        check(answer);
        return answer;
    }

    private void check(CompletableFuture<Done> answer) {
        if (answer.isDone()) {
            return;
        }
        long now = System.nanoTime();
        long idleLeft = idle.toNanos() - (now - last.get());
        long totalLeft = total.toNanos() - (now - start);
        if (totalLeft <= 0) {
            answer.completeExceptionally(new ApiError(StatusCodes.REQUEST_TIMEOUT, "BODY_TIMEOUT",
                    "the manifest did not arrive within " + total.toSeconds() + " s"));
        } else if (idleLeft <= 0) {
            answer.completeExceptionally(new ApiError(StatusCodes.REQUEST_TIMEOUT, "BODY_TIMEOUT",
                    "no byte of the manifest arrived for " + idle.toSeconds() + " s"));
        } else {
            CompletableFuture.delayedExecutor(Math.min(idleLeft, totalLeft), TimeUnit.NANOSECONDS)
                    .execute(() -> check(answer));
        }
    }
}
