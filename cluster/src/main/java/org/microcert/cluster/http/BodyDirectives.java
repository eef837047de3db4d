package org.microcert.cluster.http;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;
import org.microcert.protocol.Failures;

/** Reading request bodies: media type, size limit, a deadline, strict JSON. Defects are {@link ApiError}s. */
final class BodyDirectives extends AllDirectives {

    /** The statuses these directives can answer with (for the endpoint table). */
    static final Set<Integer> STATUSES = Set.of(400, 408, 413, 415);

    /** An octet-stream body (the certificate itself) or JSON {@code {"certificate": base64}}. */
    Route certificateBody(long limit, Function<byte[], Route> inner) {
        return body(limit, Set.of(MediaTypes.APPLICATION_OCTET_STREAM, MediaTypes.APPLICATION_JSON), (type, bytes) ->
                inner.apply(type.equals(MediaTypes.APPLICATION_OCTET_STREAM) ? bytes
                        : Json.base64(Json.parse(bytes, Json.CertificateBody.class).certificate(), "certificate")));
    }

    /** A strict body of one of {@code types}, at most {@code limit} bytes. */
    Route body(long limit, Set<MediaType> types, BiFunction<MediaType, byte[], Route> inner) {
        return extractRequestEntity(entity -> {
            MediaType type = requireMediaType(entity.getContentType().mediaType(), types);
            entity.getContentLengthOption().ifPresent(n -> {
                if (n > limit) {
                    throw ApiError.tooLarge(limit);
                }
            });
            if (entity instanceof HttpEntity.Strict strict) {
                // Small bodies usually arrive whole: skip the toStrict machinery.
                return inner.apply(type, strict.getData().toArray());
            }
            return extractMaterializer(mat -> onSuccess(strictBody(entity, limit, mat),
                    s -> inner.apply(type, s.getData().toArray())));
        });
    }

    /**
     * The whole body, or {@code 408 BODY_TIMEOUT} when it takes longer than {@link ApiLimits#BODY_TIMEOUT}.
     * Not toStrict's own timeout (nor extractStrictEntity, which answered it as an internal error):
     * that cancels the body stream, and a cancelled request body aborts the connection, often before
     * the answer is out. Here the read goes on (with a later timeout as a backstop) until the
     * answer has closed the connection.
     */
    private static CompletionStage<HttpEntity.Strict> strictBody(HttpEntity entity, long limit, Materializer mat) {
        long timeout = ApiLimits.BODY_TIMEOUT.toMillis();
        CompletableFuture<HttpEntity.Strict> read = new CompletableFuture<>();
        // withSizeLimit: a chunked body over the limit fails with EntityStreamSizeException (413), where
        // toStrict's own byte limit fails with a bare EntityStreamException, as a malformed chunk does.
        entity.withSizeLimit(limit).toStrict(2 * timeout, limit + 1, mat).whenComplete((s, f) -> {
            if (f == null) {
                read.complete(s);
            } else {
                read.completeExceptionally(f);
            }
        });
        return read.orTimeout(timeout, TimeUnit.MILLISECONDS)
                .exceptionallyCompose(f -> CompletableFuture.failedFuture(Failures.cause(f) instanceof TimeoutException
                        ? ApiError.bodyTimeout(ApiLimits.BODY_TIMEOUT) : f));
    }

    <T> Route jsonBody(long limit, Class<T> type, Function<T, Route> inner) {
        return body(limit, Set.of(MediaTypes.APPLICATION_JSON), (t, bytes) -> inner.apply(Json.parse(bytes, type)));
    }

    /** A JSON body that may also be absent (no content type, zero bytes): {@code inner} gets null then. */
    <T> Route optionalJsonBody(Class<T> type, Function<T, Route> inner) {
        return extractRequestEntity(entity -> {
            boolean empty = entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() == 0;
            return empty ? inner.apply(null) : jsonBody(ApiLimits.OPERATOR_LIMIT, type, inner);
        });
    }

    /** For endpoints that take no body: a body sent anyway is refused, never ignored. */
    Route noBody(java.util.function.Supplier<Route> inner) {
        return extractRequestEntity(entity -> {
            if (!entity.isKnownEmpty() && !(entity.getContentLengthOption().isPresent()
                    && entity.getContentLengthOption().getAsLong() == 0)) {
                throw unexpectedBody();
            }
            return inner.get();
        });
    }

    static ApiError unexpectedBody() {
        return new ApiError(StatusCodes.BAD_REQUEST, "UNEXPECTED_BODY", "this endpoint takes no request body");
    }

    static MediaType requireMediaType(MediaType actual, Set<MediaType> allowed) {
        for (MediaType m : allowed) {
            if (m.mainType().equals(actual.mainType()) && m.subType().equals(actual.subType())) {
                return m;
            }
        }
        throw new ApiError(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be "
                + String.join(" or ", allowed.stream().map(m -> m.mainType() + "/" + m.subType()).sorted().toList()));
    }
}
