package org.microcert.cluster.http;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.microcert.cluster.application.AuditedOperations.Audited;
import org.microcert.cluster.application.KeyOperationRefused;
import org.microcert.cluster.application.KeyOperations;
import org.microcert.cluster.application.ManifestImport;
import org.microcert.cluster.application.Operator;
import org.microcert.cluster.backup.BackupRefused;
import org.microcert.cluster.backup.BackupService.Backup;
import org.microcert.cluster.sensor.RefusalCode;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.trail.AuditTrail;
import org.microcert.protocol.Failures;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorId;

/**
 * The operator API (bearer token): checks the caller and the input, then hands over to the
 * application's {@link KeyOperations} and answers its outcome.
 */
final class OperatorRoutes extends AllDirectives {

    private static final Executor SAME_THREAD = Runnable::run;
    private static final Set<Integer> SENSOR_REFUSALS = StatusMapping.all(RefusalCode.values(), StatusMapping::refused);
    private static final Set<Integer> KEY_REFUSALS =
            StatusMapping.all(KeyOperationRefused.Reason.values(), StatusMapping::keyOperation);
    /** A key operation on one sensor is refused by the audit-first rule only (the fleet is never listed). */
    private static final Set<Integer> AUDIT_REFUSAL =
            Set.of(StatusMapping.keyOperation(KeyOperationRefused.Reason.AUDIT_UNAVAILABLE).intValue());

    private final KeyOperations keys;
    private final AuditTrail trail;
    private final Readiness readiness;
    private final AuthDirectives auth;
    private final BodyDirectives bodies;
    private final Duration backupTimeout;
    /** A manifest's whole upload; it is streamed, so it gets longer than other bodies (http.conf). */
    private final Duration importBodyTimeout;

    OperatorRoutes(KeyOperations keys, AuditTrail trail, Readiness readiness, AuthDirectives auth, BodyDirectives bodies,
                   Duration backupTimeout, Duration importBodyTimeout) {
        this.keys = keys;
        this.trail = trail;
        this.readiness = readiness;
        this.auth = auth;
        this.bodies = bodies;
        this.backupTimeout = backupTimeout;
        this.importBodyTimeout = importBodyTimeout;
    }

    /** The statuses every operator call can answer with, and those of {@code more}. */
    @SafeVarargs
    private static Set<Integer> statuses(Set<Integer>... more) {
        Set<Integer> s = new HashSet<>(AuthDirectives.STATUSES);
        s.addAll(Set.of(200, 500, 503));
        for (Set<Integer> m : more) {
            s.addAll(m);
        }
        return s;
    }

    /**
     * A key operation on one sensor: a body, any of the sensor's refusals (the entity's reply type
     * allows each for every command), the audit-first refusal.
     */
    private static Set<Integer> sensorOperation() {
        return statuses(BodyDirectives.STATUSES, SENSOR_REFUSALS, AUDIT_REFUSAL);
    }

    Route routes(Endpoints e) {
        Set<Integer> provision = sensorOperation();
        provision.remove(200);
        provision.add(201);
        return concat(
                e.post("/v1/sensors", provision, operator(AuthDirectives.OPERATOR, this::provision)),
                e.post("/v1/sensors/import", statuses(Set.of(400, 408, 415)), operator(AuthDirectives.OPERATOR, this::importManifest)),
                e.getWithId("/v1/sensors/{sensorId}", statuses(Set.of(400), SENSOR_REFUSALS), idText ->
                        operator(AuthDirectives.ANY_ROLE, (p, rid) -> {
                            SensorId id = Json.sensorId(idText);
                            readiness.requireJournal();
                            return completeWithFuture(keys.status(id).thenApplyAsync(r ->
                                    OperatorReplies.http(r, StatusCodes.OK, null, false), SAME_THREAD));
                        })),
                e.postWithId("/v1/sensors/{sensorId}/revoke", sensorOperation(), idText ->
                        operator(AuthDirectives.OPERATOR, (p, rid) -> {
                            SensorId id = Json.sensorId(idText);
                            return bodies.optionalJsonBody(Json.RevokeBody.class, b -> {
                                String reason = b == null ? null : b.reason();
                                if (reason != null && reason.length() > 200) {
                                    throw ApiError.badJson("'reason' is longer than 200 characters");
                                }
                                // the reason goes into audit records and the audit log: one line each
                                if (reason != null && reason.chars().anyMatch(Character::isISOControl)) {
                                    throw ApiError.badJson("'reason' must not contain control characters");
                                }
                                return answer(() -> keys.revoke(p, id, reason, rid), StatusCodes.OK, "command");
                            });
                        })),
                e.postWithId("/v1/sensors/{sensorId}/seed-update", sensorOperation(), idText ->
                        operator(AuthDirectives.OPERATOR, (p, rid) -> {
                            SensorId id = Json.sensorId(idText);
                            return bodies.optionalJsonBody(Json.EmptyBody.class, b ->
                                    answer(() -> keys.startSeedUpdate(p, id, rid), StatusCodes.OK, "command"));
                        })),
                e.postWithId("/v1/sensors/{sensorId}/seed-update/complete", sensorOperation(), idText ->
                        operator(AuthDirectives.OPERATOR, (p, rid) -> {
                            SensorId id = Json.sensorId(idText);
                            return bodies.jsonBody(ApiLimits.OPERATOR_LIMIT, Json.EnvelopeBody.class, b -> {
                                byte[] envelope = Json.base64(b.envelope(), "envelope");
                                Envelopes.requireFor(id, Envelopes.decode(envelope, org.microcert.protocol.SeedEnvelope.Kind.UPDATE));
                                return answer(() -> keys.completeSeedUpdate(p, id, envelope, rid), StatusCodes.OK, null);
                            });
                        })),
                e.postWithId("/v1/sensors/{sensorId}/downlink/cancel", sensorOperation(), idText ->
                        operator(AuthDirectives.OPERATOR, (p, rid) -> {
                            SensorId id = Json.sensorId(idText);
                            return bodies.optionalJsonBody(Json.EmptyBody.class, b ->
                                    answer(() -> keys.cancelDownlink(p, id, rid), StatusCodes.OK, null));
                        })),
                e.postWithId("/v1/sensors/{sensorId}/encrypt", sensorOperation(), idText ->
                        operator(AuthDirectives.OPERATOR, (p, rid) -> {
                            SensorId id = Json.sensorId(idText);
                            return bodies.jsonBody(ApiLimits.OPERATOR_LIMIT, Json.EncryptBody.class, b -> {
                                byte[] plaintext = Json.base64(b.plaintext(), "plaintext");
                                if (plaintext.length > MicroCertificate.MAX_PAYLOAD) {
                                    throw ApiError.badJson("'plaintext' is longer than " + MicroCertificate.MAX_PAYLOAD + " bytes");
                                }
                                return answer(() -> keys.encrypt(p, id, plaintext, rid), StatusCodes.OK, "certificate");
                            });
                        })),
                e.postWithId("/v1/sensors/{sensorId}/rewrap", sensorOperation(), idText ->
                        operator(AuthDirectives.OPERATOR, (p, rid) -> {
                            SensorId id = Json.sensorId(idText);
                            return bodies.optionalJsonBody(Json.EmptyBody.class, b ->
                                    answer(() -> keys.rewrap(p, id, rid), StatusCodes.OK, null));
                        })),
                e.get("/v1/audit", statuses(Set.of(400)), operator(AuthDirectives.ANY_ROLE,
                        (p, rid) -> new AuditQuery(trail).route())),
                e.post("/v1/rewrap", statuses(Set.of(400), KEY_REFUSALS), operator(AuthDirectives.OPERATOR,
                        (p, rid) -> bodies.noBody(() -> rewrapAll(p, rid)))),
                // The answer starts only once the whole journal is scanned and the file written.
                e.post("/v1/backup", statuses(Set.of(400), AUDIT_REFUSAL, StatusMapping.all(BackupRefused.Reason.values(),
                        StatusMapping::backup)), withRequestTimeout(backupTimeout,
                        () -> operator(AuthDirectives.OPERATOR, (p, rid) -> bodies.noBody(() -> backup(p, rid))))));
    }

    /** An authorized call: {@code inner} gets the caller and the request id. */
    private Route operator(Set<BearerTokens.Role> roles, BiFunction<Operator, String, Route> inner) {
        return headerValueByName(Instrumentation.REQUEST_ID, rid -> auth.authorized(roles, rid, p -> inner.apply(p, rid)));
    }

    /** Runs an audited key operation (only while the journal answers) and answers its outcome. */
    private Route answer(java.util.function.Supplier<CompletionStage<Audited<OperatorReply>>> op, StatusCode okStatus,
                         String certificateField) {
        readiness.requireJournal();
        return completeWithFuture(op.get().thenApplyAsync(o -> OperatorReplies.audited(o, okStatus, certificateField),
                SAME_THREAD));
    }

    private Route provision(Operator p, String requestId) {
        return bodies.jsonBody(ApiLimits.OPERATOR_LIMIT, Json.EnvelopeBody.class, b -> {
            byte[] envelope = Json.base64(b.envelope(), "envelope");
            SensorId id = Envelopes.decode(envelope, org.microcert.protocol.SeedEnvelope.Kind.TRANSPORT).sensorId();
            return legacySeeds(legacy -> answer(() -> keys.provision(p, id, envelope, requestId, legacy),
                    StatusCodes.CREATED, null));
        });
    }

    /** The operator's exception to the provisioning policy: {@code ?legacy-seeds=accept} (docs/http-api.md). */
    private Route legacySeeds(java.util.function.Function<Boolean, Route> inner) {
        return parameterOptional("legacy-seeds", value -> {
            if (value.isPresent() && !value.get().equals("accept")) {
                throw ApiError.badParameter("legacy-seeds takes only 'accept'");
            }
            return inner.apply(value.isPresent());
        });
    }

    private Route importManifest(Operator p, String requestId) {
        return legacySeeds(legacy -> extractRequestEntity(entity -> extractMaterializer(materializer -> {
            BodyDirectives.requireMediaType(entity.getContentType().mediaType(),
                    Set.of(MediaTypes.applicationWithOpenCharset("x-ndjson")));
            readiness.requireJournal();
            UploadDeadline deadline = new UploadDeadline(ApiLimits.BODY_TIMEOUT, importBodyTimeout);
            ManifestImport.Started started = keys.importManifest(p, requestId,
                    entity.withoutSizeLimit().getDataBytes().map(deadline::arrived), materializer, legacy);
            // answered once the upload has ended: the connection then stays open for the next request
            return completeWithFuture(deadline.watch(started.bodyRead()).handle((read, failure) -> {
                if (failure != null && Failures.cause(failure) instanceof ApiError timeout) {
                    throw timeout;
                }
                if (failure != null) { // the client's upload broke off: its error, not the node's
                    throw new ApiError(StatusCodes.BAD_REQUEST, "UPLOAD_FAILED", "the manifest upload ended before "
                            + "its end; lines already read may be provisioned: re-run the import (they answer "
                            + "ALREADY_PROVISIONED)");
                }
                return ndjson(started.lines());
            }));
        })));
    }

    private Route rewrapAll(Operator p, String requestId) {
        readiness.requireJournal();
        return completeWithFuture(keys.rewrapAll(p, requestId).thenApplyAsync(OperatorRoutes::ndjson, SAME_THREAD));
    }

    private static HttpResponse ndjson(Source<ByteString, ?> lines) {
        return HttpResponse.create().withEntity(HttpEntities.createChunked(ContentTypes.create(
                MediaTypes.applicationWithFixedCharset("x-ndjson", HttpCharsets.UTF_8)), lines));
    }

    private Route backup(Operator p, String requestId) {
        readiness.requireJournal();
        return completeWithFuture(keys.backup(p, requestId).thenApplyAsync(o -> {
            Backup b = o.reply();
            Source<ByteString, ?> data = FileIO.fromPath(b.file()).watchTermination((mat, done) -> {
                done.whenComplete((d, f) -> b.delete());
                return mat;
            });
            HttpResponse r = HttpResponse.create()
                    .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, b.size(), data))
                    .addHeader(RawHeader.create("Content-Disposition", "attachment; filename=\"" + b.filename() + "\""));
            return OperatorReplies.withAuditWarning(r, o);
        }, SAME_THREAD));
    }
}
