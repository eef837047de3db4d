package org.microcert.cluster.sensor;

import java.time.Instant;
import org.apache.pekko.actor.typed.ActorRef;
import org.microcert.cluster.ClusterSerializable;

/**
 * The commands a {@link SensorEntity} answers and its replies. They cross nodes (the gateway that
 * received a request asks the node hosting the sensor), so they are Jackson CBOR records. Binary
 * fields carry wire bytes (certificates, envelopes, payloads), never a seed.
 */
public final class SensorMessages {

    private SensorMessages() {}

    /** A command to one sensor. */
    public sealed interface Command extends ClusterSerializable {}

    /**
     * Provision from a TRANSPORT seed envelope (wire bytes), opened and resealed by the card.
     * {@code actor} (in every key-management command) is the operator's name, kept in the event.
     * {@code acceptLegacySeed}: the operator's exception to the provisioning policy ({@link ProvisioningPolicy}).
     */
    public record Provision(byte[] envelope, String actor, ActorRef<OperatorReply> replyTo, boolean acceptLegacySeed)
            implements Command {
        /** Under the provisioning policy without the legacy exception (and as sent by older nodes). */
        public Provision(byte[] envelope, String actor, ActorRef<OperatorReply> replyTo) {
            this(envelope, actor, replyTo, false);
        }
    }

    /** Authenticate an AUTH certificate (wire bytes). */
    public record Authenticate(byte[] certificate, ActorRef<Verdict> replyTo) implements Command {}

    /**
     * One AUTH certificate of a batch, judged exactly as {@link Authenticate}. The answer carries
     * {@code index} so that one collector gathers a whole batch (no ask, and no timer, per item).
     */
    public record AuthenticateInBatch(byte[] certificate, int index, ActorRef<BatchItemVerdict> replyTo)
            implements Command {}

    /** The verdict on the certificate at {@code index} of a batch. */
    public record BatchItemVerdict(int index, Verdict verdict) implements ClusterSerializable {}

    /**
     * Verify a SIGN certificate over data given by its digest ({@code CertificateVerifier.signDigest},
     * 32 bytes, not secret), which the gateway computes: the data itself (up to ~780 KiB through the
     * API) would not fit in one Artery frame (256 KiB) to a sensor on another node.
     */
    public record VerifySignature(byte[] certificate, byte[] dataDigest, ActorRef<Verdict> replyTo) implements Command {}

    /** Decrypt an ENC_UP certificate (ciphertext in its body). */
    public record Decrypt(byte[] certificate, ActorRef<Verdict> replyTo) implements Command {}

    /** Encrypt a payload to the sensor: answers an ENC_DOWN certificate. */
    public record Encrypt(byte[] plaintext, ActorRef<OperatorReply> replyTo) implements Command {}

    /** Start a seed update: answers the COMMAND certificate ordering the sensor to make a new seed. */
    public record StartSeedUpdate(String actor, ActorRef<OperatorReply> replyTo) implements Command {}

    /** Complete a seed update with the sensor's UPDATE envelope (wire bytes). */
    public record CompleteSeedUpdate(byte[] envelope, String actor, ActorRef<OperatorReply> replyTo) implements Command {}

    /** Revoke the sensor: answers the COMMAND certificate ordering it to destroy its seed. */
    public record Revoke(String reason, String actor, ActorRef<OperatorReply> replyTo) implements Command {}

    /**
     * Reseal the sealed seed under the card's current K_store version (after a K_store rotation);
     * answers {@link Rewrapped}, without an event when the seed already is under that version.
     */
    public record RewrapSeed(String actor, ActorRef<OperatorReply> replyTo) implements Command {}

    /**
     * Sharding's stop message (passivation, shard hand-off, node leaving): the entity journals what
     * it accepted, so its next incarnation need not refuse fresh certificates, then stops. Local only.
     */
    public record Stop() implements Command {}

    /**
     * Sent by an entity to itself a while after its sensor was provisioned (never across nodes):
     * passivate unless the sensor has talked since.
     */
    public record PassivateIfUnused() implements Command {}

    /**
     * Sent by an entity to itself (never across nodes): passivate when no other command has arrived
     * within {@code microcert.sensor.idle-timeout}, else check again when it could have.
     */
    public record IdleCheck() implements Command {}

    /**
     * Sent by an entity to itself (never across nodes) once the replay ledger answered for the
     * session its state names: its recovered floor ({@code floor}: empty when the ledger holds no such
     * session), or {@code failed}.
     */
    public record LedgerFloor(java.util.OptionalLong floor, boolean failed) implements Command {}

    /**
     * Sent to a sensor's stand-in by {@link RecoveryGate} (never across nodes): its recovery may start
     * ({@code granted}), or it waited too long for a permit.
     */
    public record RecoveryPermit(boolean granted) implements Command {}

    public record GetStatus(ActorRef<OperatorReply> replyTo) implements Command {}

    /**
     * A sensor asks what is pending for it, with a fresh AUTH certificate (judged as
     * {@link Authenticate}); a revoked sensor whose revocation is still delivered is checked under its
     * revoked seed. Answers {@link DownlinkReply}.
     */
    public record Poll(byte[] certificate, ActorRef<DownlinkReply> replyTo) implements Command {}

    /**
     * The verdict on a poll's certificate and the COMMAND certificates pending for the sensor (wire
     * bytes), tagged now, so none is stale when it arrives; empty when nothing is pending or the poll
     * was rejected (except REVOKED, which carries the REVOKE command while it is delivered).
     */
    public record DownlinkReply(Verdict verdict, java.util.List<byte[]> commands) implements ClusterSerializable {
        public DownlinkReply {
            commands = java.util.List.copyOf(commands);
        }
    }

    /**
     * The sensor's own upload of its UPDATE envelope (no token; the envelope opens only under its
     * current seed): judged as {@link CompleteSeedUpdate}, but a device call, so the node's gates
     * answer it for unknown ids without a recovery ({@link RecoveryGate}).
     */
    public record OfferSeed(byte[] envelope, ActorRef<OperatorReply> replyTo) implements Command {}

    /**
     * Withdraws what is pending for the sensor: its seed update (the current seed stays), or the
     * delivery of its revocation (it stays revoked; the kept seed is dropped).
     */
    public record CancelDownlink(String actor, ActorRef<OperatorReply> replyTo) implements Command {}

    /**
     * The answer to a device call.
     *
     * @param reason     null when accepted, else why it was rejected
     * @param message    null when accepted, else a human-readable detail without secrets
     * @param timestamp  the certificate's timestamp (epoch seconds)
     * @param seedVersion the seed version that verified it (0 when rejected before a seed was used)
     * @param plaintext  decrypted payload (decrypt only), else null
     * @param serverTime the hosting node's clock, epoch seconds
     */
    public record Verdict(boolean accepted, VerdictReason reason, String message, String sensorId, long timestamp,
                          int seedVersion, byte[] plaintext, long serverTime) implements ClusterSerializable {

        public static Verdict rejected(String sensorId, VerdictReason reason, String message, long serverTime) {
            return new Verdict(false, reason, message, sensorId, 0, 0, null, serverTime);
        }

        @Override
        public String toString() {
            return "Verdict[" + (accepted ? "ACCEPTED" : "REJECTED " + reason) + ", sensor=" + sensorId + "]";
        }
    }

    /** The answer to an operator command. */
    public sealed interface OperatorReply extends ClusterSerializable {}

    /**
     * Done. {@code certificate} is the COMMAND certificate (revoke, start seed update) or the ENC_DOWN
     * certificate (encrypt) for the sensor, else null.
     */
    public record Done(SensorStatus status, byte[] certificate) implements OperatorReply {
        @Override
        public String toString() {
            return "Done[" + status + (certificate == null ? "" : ", certificate of " + certificate.length + " bytes") + "]";
        }
    }

    /**
     * The answer to {@link RewrapSeed}: the status after it; {@code previousKeyVersion} is the K_store
     * version the seed was sealed under before (equal to {@code status.keyVersion()} when nothing changed).
     */
    public record Rewrapped(SensorStatus status, int previousKeyVersion) implements OperatorReply {
        /** Whether the seed was resealed under a newer K_store version. */
        public boolean changed() {
            return previousKeyVersion != status.keyVersion();
        }
    }

    /** Refused, with an error code of docs/http-api.md and a message without secrets. */
    public record Refused(RefusalCode error, String message) implements OperatorReply {}

    /**
     * What an operator may see of a sensor. {@code status} is ACTIVE, UPDATE_PENDING or REVOKED;
     * {@code pendingSeedVersion} is null unless an update is pending; counters are since the entity
     * was last loaded; {@code hostedBy} is the cluster address (host:port) of the node holding the
     * entity now.
     */
    public record SensorStatus(String sensorId, String status, int seedVersion, Integer pendingSeedVersion,
                               String suite, int epochYear, int keyVersion, Instant provisionedAt,
                               Instant updatedAt, long accepted, long rejected, String hostedBy) {}
}
