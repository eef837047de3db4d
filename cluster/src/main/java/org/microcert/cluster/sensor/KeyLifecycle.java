package org.microcert.cluster.sensor;

import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Rewrapped;
import org.microcert.cluster.sensor.SensorMessages.SensorStatus;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.sensor.DownlinkState;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CenterIssuer;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.MalformedEnvelopeException;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SeedExpiredException;
import org.microcert.protocol.SeedUpdates;
import org.microcert.protocol.SensorId;
import org.microcert.protocol.VerificationException;
import org.slf4j.Logger;

/**
 * A sensor's key life cycle: provisioning, seed update (start, complete), revocation, K_store
 * rewrap, and encryption to the sensor. Each operation decides, from the state and the command, the
 * event to persist and the reply, or a refusal; the entity persists and answers. Revoked sensors
 * are refused everything.
 */
final class KeyLifecycle {

    /**
     * What an operation decided. {@code event}: to persist, or null (answer at once).
     * {@code reply}: the answer, from the state after the event. {@code afterPersist}: the card's
     * set-digest bookkeeping and the wipe of a replaced seed, run once the event is durable (null: none).
     * {@code ledger}: instead of {@code afterPersist}, card bookkeeping that does not block the
     * entity: started once the event is durable, the reply goes out when its stage completes (null: none).
     */
    record Outcome(SensorEvent event, Function<SensorRecord, OperatorReply> reply, Runnable afterPersist,
                   Supplier<CompletionStage<Void>> ledger) {

        Outcome(SensorEvent event, Function<SensorRecord, OperatorReply> reply, Runnable afterPersist) {
            this(event, reply, afterPersist, null);
        }

        static Outcome answer(OperatorReply reply) {
            return new Outcome(null, s -> reply, null);
        }

        static Outcome refused(RefusalCode code, String message) {
            return answer(new Refused(code, message));
        }
    }

    // One for all entities of the node (its DRBG is thread-safe): a DRBG per entity was about 1 KB
    // of every running sensor's memory and an instantiation on every recovery, for the rare
    // command and ENC_DOWN certificates.
    private static final CenterIssuer ISSUER = new CenterIssuer();

    private final SensorId sensorId;
    private final EncryptionCard card;
    private final OpenSeed seeds;
    private final Supplier<Instant> clock;
    private final Function<SensorRecord, SensorStatus> status;
    private final Logger log;

    KeyLifecycle(SensorId sensorId, EncryptionCard card, OpenSeed seeds, Supplier<Instant> clock,
                 Function<SensorRecord, SensorStatus> status, Logger log) {
        this.sensorId = sensorId;
        this.card = card;
        this.seeds = seeds;
        this.clock = clock;
        this.status = status;
        this.log = log;
    }

    /** As below, under the provisioning policy without the legacy exception. */
    Outcome provision(SensorRecord state, byte[] envelope, String actor) {
        return provision(state, envelope, actor, false);
    }

    /**
     * From a TRANSPORT envelope's wire bytes: decoded here, once, then opened and resealed by the
     * card, under the {@link ProvisioningPolicy} ({@code acceptLegacy}: the operator's exception).
     */
    Outcome provision(SensorRecord state, byte[] envelope, String actor, boolean acceptLegacy) {
        if (state.status() != SensorRecord.Status.NOT_PROVISIONED) {
            return isRevoked(state) ? revoked() : Outcome.refused(RefusalCode.ALREADY_PROVISIONED,
                    "sensor " + sensorId + " is already provisioned");
        }
        SeedEnvelope decoded;
        try {
            decoded = SeedEnvelope.decode(envelope);
        } catch (MalformedEnvelopeException e) {
            return Outcome.refused(RefusalCode.BAD_ENVELOPE, e.getMessage());
        }
        return provision(state, decoded, actor, acceptLegacy);
    }

    /** From an envelope decoded by the caller (the card takes it as it is). */
    Outcome provision(SensorRecord state, SeedEnvelope envelope, String actor, boolean acceptLegacy) {
        if (state.status() != SensorRecord.Status.NOT_PROVISIONED) {
            return isRevoked(state) ? revoked() : Outcome.refused(RefusalCode.ALREADY_PROVISIONED,
                    "sensor " + sensorId + " is already provisioned");
        }
        if (envelope.kind() != SeedEnvelope.Kind.TRANSPORT || !envelope.sensorId().equals(sensorId)) {
            return Outcome.refused(RefusalCode.BAD_ENVELOPE, "expected a TRANSPORT envelope for sensor " + sensorId);
        }
        SealedSeed sealed;
        try {
            sealed = card.provision(envelope);
        } catch (CardException e) {
            return cardRefusal(e);
        }
        String policy = ProvisioningPolicy.refusal(sealed, clock.get(), acceptLegacy);
        if (policy != null) {
            return Outcome.refused(RefusalCode.BAD_SEED, policy); // the sealed copy is dropped: nothing recorded it
        }
        String digest = card.digest(sealed).toString();
        // the card's ledger write joins a group commit; the entity goes on meanwhile (SensorEntity#apply)
        return new Outcome(new SensorEvent.Provisioned(sealed, digest, clock.get(), actor),
                s -> new Done(status.apply(s), null), null, () -> card.recordStoredAsync(sealed));
    }

    /**
     * Answers the COMMAND certificate ordering a new seed. While an update is pending, a fresh
     * COMMAND for the same version (the operator may have lost the first one), without a new event.
     */
    Outcome startSeedUpdate(SensorRecord state, String actor) {
        Outcome refused = refusal(state);
        if (refused != null) {
            return refused;
        }
        boolean pending = state.pendingSeedVersion() != 0;
        int newVersion = pending ? state.pendingSeedVersion() : state.seedVersion() + 1;
        byte[] command;
        try {
            command = issue(state, new CommandOrder.SeedUpdate(newVersion));
        } catch (SeedExpiredException e) {
            return Outcome.refused(RefusalCode.SEED_EXPIRED, e.getMessage());
        } catch (CardException e) {
            return cardRefusal(e);
        }
        if (pending) {
            return Outcome.answer(new Done(status.apply(state), command));
        }
        return new Outcome(new SensorEvent.SeedUpdateStarted(newVersion, clock.get(), actor),
                s -> new Done(status.apply(s), command), null);
    }

    /**
     * Opens the sensor's UPDATE envelope with the current seed and keeps the new seed as offered
     * (the first phase of the update, {@link Downlink}): the current seed stays valid until a
     * certificate under the offered one completes the update. The same envelope again changes nothing.
     */
    Outcome completeSeedUpdate(SensorRecord state, byte[] envelope, String actor) {
        Outcome refused = refusal(state);
        if (refused != null) {
            return refused;
        }
        int pending = state.pendingSeedVersion();
        if (pending == 0) {
            return Outcome.refused(RefusalCode.NO_UPDATE_PENDING, "no seed update was started for sensor " + sensorId);
        }
        String envelopeDigest = sha256Hex(envelope);
        if (state.downlink().hasCandidate(envelopeDigest)) {
            return Outcome.answer(new Done(status.apply(state), null)); // a duplicate: already offered
        }
        if (state.downlink().candidates().size() >= DownlinkState.MAX_CANDIDATES) {
            return Outcome.refused(RefusalCode.TOO_MANY_OFFERS, "sensor " + sensorId + " already offered "
                    + DownlinkState.MAX_CANDIDATES + " seeds for this update: cancel it and start it again");
        }
        SeedEnvelope decoded;
        try {
            decoded = SeedEnvelope.decode(envelope);
        } catch (MalformedEnvelopeException e) {
            return Outcome.refused(RefusalCode.BAD_ENVELOPE, e.getMessage());
        }
        if (decoded.kind() != SeedEnvelope.Kind.UPDATE || !decoded.sensorId().equals(sensorId)) {
            return Outcome.refused(RefusalCode.BAD_ENVELOPE, "expected an UPDATE envelope for sensor " + sensorId);
        }
        if (decoded.suite() != state.seed().suite()) { // a sensor's suite is fixed at provisioning (docs/protocol.md, 7)
            return Outcome.refused(RefusalCode.BAD_ENVELOPE, "the envelope is labelled " + decoded.suite()
                    + ", sensor " + sensorId + " uses " + state.seed().suite());
        }
        if (decoded.seedVersion() != pending) {
            return Outcome.refused(RefusalCode.WRONG_SEED_VERSION,
                    "the envelope holds seed version " + decoded.seedVersion() + ", the pending one is " + pending);
        }
        KeySeed current = null;
        KeySeed next = null;
        SealedSeed sealed;
        try {
            current = seeds.acquire(state.seed());
            next = SeedUpdates.open(current, decoded);
            sealed = card.seal(sensorId, state.seed().suite(), next);
        } catch (VerificationException e) {
            return Outcome.refused(RefusalCode.BAD_ENVELOPE, "the update envelope does not open: " + e.reason());
        } catch (CardException e) {
            return cardRefusal(e);
        } finally {
            seeds.release(current);
            if (next != null) {
                next.destroy();
            }
        }
        String digest = card.digest(sealed).toString();
        return new Outcome(new SensorEvent.SeedUpdateReceived(sealed, digest, envelopeDigest, clock.get(), actor),
                s -> new Done(status.apply(s), null), null);
    }

    /** Answers the COMMAND certificate ordering the sensor to destroy its seed. */
    Outcome revoke(SensorRecord state, String reason, String actor) {
        Outcome refused = refusal(state);
        if (refused != null) {
            return refused;
        }
        byte[] command;
        try {
            command = issue(state, new CommandOrder.Revoke(state.seedVersion()));
        } catch (SeedExpiredException e) {
            command = null; // an expired seed cannot tag a command; the revocation itself still holds
        } catch (CardException e) {
            return cardRefusal(e);
        }
        byte[] order = command;
        SealedSeed previous = state.seed();
        // kept sealed to tag the REVOKE again for each poll until the sensor confirms (Downlink); an
        // expired seed can tag nothing, so it goes at once
        return new Outcome(new SensorEvent.Revoked(reason, clock.get(), actor, order == null ? null : previous),
                s -> new Done(status.apply(s), order), () -> {
                    card.recordRevoked(previous);
                    seeds.wipe();
                });
    }

    /**
     * K_store rotation: reseals the same seed under the card's current key version. Only moves
     * forward: a record under a version newer than the current one (a node still pinned to the old
     * version during a rolling rotation) is left alone rather than downgraded. The opened seed in
     * memory stays valid (same seed).
     */
    Outcome rewrap(SensorRecord state) {
        Outcome refused = refusal(state);
        if (refused != null) {
            return refused;
        }
        SealedSeed previous = state.seed();
        if (previous.keyVersion() >= card.currentKeyVersion()) {
            return Outcome.answer(new Rewrapped(status.apply(state), previous.keyVersion()));
        }
        SealedSeed current;
        try {
            current = card.rewrap(previous);
        } catch (CardException e) {
            return cardRefusal(e);
        }
        String digest = card.digest(current).toString();
        return new Outcome(new SensorEvent.SeedRewrapped(current, digest),
                s -> new Rewrapped(status.apply(s), previous.keyVersion()), () -> card.recordReplaced(previous, current));
    }

    /** Answers an ENC_DOWN certificate carrying {@code plaintext} to the sensor. */
    Outcome encrypt(SensorRecord state, byte[] plaintext) {
        Outcome refused = refusal(state);
        if (refused != null) {
            return refused;
        }
        KeySeed seed = null;
        try {
            seed = seeds.acquire(state.seed());
            byte[] cert = ISSUER.encryptPayload(seed, state.seed().suite(), sensorId, plaintext, clock.get()).encode();
            return Outcome.answer(new Done(status.apply(state), cert));
        } catch (SeedExpiredException e) {
            return Outcome.refused(RefusalCode.SEED_EXPIRED, e.getMessage());
        } catch (CardException e) {
            return cardRefusal(e);
        } finally {
            seeds.release(seed);
        }
    }

    /** The status, or why the sensor is unknown. */
    OperatorReply status(SensorRecord state) {
        return state.status() == SensorRecord.Status.NOT_PROVISIONED ? unknown() : new Done(status.apply(state), null);
    }

    private byte[] issue(SensorRecord state, CommandOrder order) throws SeedExpiredException {
        KeySeed seed = seeds.acquire(state.seed());
        try {
            return ISSUER.issueCommand(seed, state.seed().suite(), sensorId, order, clock.get()).encode();
        } finally {
            seeds.release(seed);
        }
    }

    /** Why a command on an existing seed cannot run on this state, or null. */
    private Outcome refusal(SensorRecord state) {
        if (state.status() == SensorRecord.Status.NOT_PROVISIONED) {
            return Outcome.answer(unknown());
        }
        return isRevoked(state) ? revoked() : null;
    }

    private Refused unknown() {
        return new Refused(RefusalCode.UNKNOWN_SENSOR, "sensor " + sensorId + " is not provisioned");
    }

    private Outcome revoked() {
        return Outcome.refused(RefusalCode.REVOKED, "sensor " + sensorId + " is revoked");
    }

    private Outcome cardRefusal(CardException e) {
        if (e.reason() == CardException.Reason.ENVELOPE_REJECTED) {
            // the card says which: wrong kind, failed authentication under K_trans, or a bad seed inside
            return Outcome.refused(RefusalCode.BAD_ENVELOPE, e.detail());
        }
        log.error("sensor {}: card operation failed ({})", sensorId, e.reason());
        return Outcome.refused(RefusalCode.INTERNAL, "the encryption card refused the operation");
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static boolean isRevoked(SensorRecord state) {
        return state.status() == SensorRecord.Status.REVOKED;
    }
}
