package org.microcert.cluster.application;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.microcert.cluster.application.AuditedOperations.Audited;
import org.microcert.cluster.backup.BackupService;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.protocol.SensorId;

/**
 * The operator's key operations, each audited ({@link AuditedOperations}): what the gateway's
 * operator routes call once a request is authorized and its input checked. Fails with
 * {@link KeyOperationRefused} or {@link org.microcert.cluster.backup.BackupRefused}; a sensor's own
 * refusal is a {@link Refused} reply.
 */
public final class KeyOperations {

    /** The longest manifest line (one envelope) an import reads. */
    public static final int MAX_IMPORT_LINE = 64 * 1024;

    private final SensorClient sensors;
    private final AuditedOperations audited;
    private final BackupService backups;
    private final SensorIds sensorIds;
    private final int importParallelism;
    private final int rewrapParallelism;

    public KeyOperations(SensorClient sensors, AuditedOperations audited, BackupService backups, SensorIds sensorIds,
                         int importParallelism, int rewrapParallelism) {
        this.sensors = sensors;
        this.audited = audited;
        this.backups = backups;
        this.sensorIds = sensorIds;
        this.importParallelism = importParallelism;
        this.rewrapParallelism = rewrapParallelism;
    }

    public CompletionStage<Audited<OperatorReply>> provision(Operator p, SensorId id, byte[] envelope, String requestId) {
        return provision(p, id, envelope, requestId, false);
    }

    /** {@code acceptLegacySeed}: the operator's exception to the provisioning policy, in the audit record's detail. */
    public CompletionStage<Audited<OperatorReply>> provision(Operator p, SensorId id, byte[] envelope, String requestId,
                                                           boolean acceptLegacySeed) {
        return sensorOp(p, "PROVISION", id, acceptLegacySeed ? LEGACY : null, requestId,
                () -> sensors.provision(id, envelope, p.name(), acceptLegacySeed));
    }

    /** The audit detail of a provisioning under the legacy exception. */
    static final String LEGACY = "legacy-seeds=accept";

    public CompletionStage<Audited<OperatorReply>> revoke(Operator p, SensorId id, String reason, String requestId) {
        return sensorOp(p, "REVOKE", id, reason, requestId, () -> sensors.revoke(id, reason, p.name()));
    }

    public CompletionStage<Audited<OperatorReply>> startSeedUpdate(Operator p, SensorId id, String requestId) {
        return sensorOp(p, "SEED_UPDATE_START", id, null, requestId, () -> sensors.startSeedUpdate(id, p.name()));
    }

    public CompletionStage<Audited<OperatorReply>> completeSeedUpdate(Operator p, SensorId id, byte[] envelope,
                                                                       String requestId) {
        return sensorOp(p, "SEED_UPDATE_COMPLETE", id, null, requestId,
                () -> sensors.completeSeedUpdate(id, envelope, p.name()));
    }

    /** Withdraws the sensor's pending seed update, else ends the delivery of its revocation. */
    public CompletionStage<Audited<OperatorReply>> cancelDownlink(Operator p, SensorId id, String requestId) {
        return sensorOp(p, "DOWNLINK_CANCEL", id, null, requestId, () -> sensors.cancelDownlink(id, p.name()));
    }

    public CompletionStage<Audited<OperatorReply>> rewrap(Operator p, SensorId id, String requestId) {
        return sensorOp(p, "REWRAP", id, null, requestId, () -> sensors.rewrap(id, p.name()));
    }

    public CompletionStage<Audited<OperatorReply>> encrypt(Operator p, SensorId id, byte[] plaintext, String requestId) {
        return sensorOp(p, "ENCRYPT", id, null, requestId, () -> sensors.encrypt(id, plaintext));
    }

    /** Reading a sensor's status changes nothing: not audited. */
    public CompletionStage<OperatorReply> status(SensorId id) {
        return sensors.status(id);
    }

    /** A backup file, taken between its audit records. */
    public CompletionStage<Audited<BackupService.Backup>> backup(Operator p, String requestId) {
        return audited.run(p, "BACKUP", null, null, requestId, backups::take, b -> "OK");
    }

    /**
     * Rewraps every sensor ({@link RewrapAll}); the fleet is listed before anything is recorded, so a
     * node that cannot list it refuses ({@code NOT_AVAILABLE}) without an audit record.
     */
    public CompletionStage<Source<ByteString, ?>> rewrapAll(Operator p, String requestId) {
        Source<SensorId, ?> ids = sensorIds.current();
        return new RewrapAll(audited, this, p, requestId).start(ids, rewrapParallelism);
    }

    /** Starts a bulk import of a factory manifest ({@link ManifestImport#start}). */
    public ManifestImport.Started importManifest(Operator p, String requestId, Source<ByteString, ?> body,
                                                 Materializer materializer) {
        return importManifest(p, requestId, body, materializer, false);
    }

    /** As above; {@code acceptLegacySeeds}: the operator's exception to the provisioning policy, for every line. */
    public ManifestImport.Started importManifest(Operator p, String requestId, Source<ByteString, ?> body,
                                                 Materializer materializer, boolean acceptLegacySeeds) {
        return new ManifestImport((id, envelope, line) -> acceptLegacySeeds ? importLegacyLine(p, id, envelope, line, requestId)
                : importLine(p, id, envelope, line, requestId), MAX_IMPORT_LINE).start(body, importParallelism, materializer);
    }

    private CompletionStage<OperatorReply> importLegacyLine(Operator p, SensorId id, byte[] envelope, long line,
                                                            String requestId) {
        return audited.run(p, "IMPORT", id, "line " + line + ", " + LEGACY, requestId,
                () -> sensors.provision(id, envelope, p.name(), true), KeyOperations::resultOf).thenApply(Audited::reply);
    }

    /** One manifest line's provisioning: audited as IMPORT with the line number as detail. */
    CompletionStage<OperatorReply> importLine(Operator p, SensorId id, byte[] envelope, long line, String requestId) {
        return audited.run(p, "IMPORT", id, "line " + line, requestId, () -> sensors.provision(id, envelope, p.name()),
                KeyOperations::resultOf).thenApply(Audited::reply);
    }

    private CompletionStage<Audited<OperatorReply>> sensorOp(Operator p, String action, SensorId id, String detail,
                                                             String requestId, Supplier<CompletionStage<OperatorReply>> op) {
        return audited.run(p, action, id, detail, requestId, op, KeyOperations::resultOf);
    }

    static String resultOf(OperatorReply reply) {
        return reply instanceof Refused r ? r.error().name() : "OK";
    }
}
