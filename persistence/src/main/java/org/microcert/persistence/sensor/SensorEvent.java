package org.microcert.persistence.sensor;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.microcert.persistence.card.SealedSeed;

/**
 * What happened to a sensor's keys: the events {@code SensorEntity} persists, replayed into a
 * {@link SensorRecord} by {@link SensorRecord#apply}. Serialised as Jackson CBOR (see
 * {@code serialization.conf}); the type name in {@code type} and the Pekko manifest (class name,
 * plus {@code #version} once a class has a migration) keep old journals readable.
 *
 * <p>Rules for changing these records: add fields only as optional (an absent field reads as
 * null/0), never reuse a type name, and for a rename or a changed meaning bump the version with a
 * {@code JacksonMigration} and store a fixture of the old shape (see
 * {@link ReplayReservationMigration} and {@code docs/persistence.md}).
 *
 * <p>No event holds a seed in clear: seeds are {@link SealedSeed}s. {@code recordDigest} is the
 * encryption card's keyed digest of the sealed record in lower-case hex
 * ({@code EncryptionCard.digest(seed).toString()}), stored so an audit can check each record with
 * the card instead of trusting the journal.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = SensorEvent.Provisioned.class, name = "provisioned"),
    @JsonSubTypes.Type(value = SensorEvent.ReplayReservationExtended.class, name = "replay-reservation-extended"),
    @JsonSubTypes.Type(value = SensorEvent.ReplayReservationReleased.class, name = "replay-reservation-released"),
    @JsonSubTypes.Type(value = SensorEvent.ReplayLedgerJoined.class, name = "replay-ledger-joined"),
    @JsonSubTypes.Type(value = SensorEvent.SeedUpdateStarted.class, name = "seed-update-started"),
    @JsonSubTypes.Type(value = SensorEvent.SeedUpdated.class, name = "seed-updated"),
    @JsonSubTypes.Type(value = SensorEvent.Revoked.class, name = "revoked"),
    @JsonSubTypes.Type(value = SensorEvent.SeedRewrapped.class, name = "seed-rewrapped"),
    @JsonSubTypes.Type(value = SensorEvent.Restored.class, name = "restored"),
    @JsonSubTypes.Type(value = SensorEvent.SeedUpdateReceived.class, name = "seed-update-received"),
    @JsonSubTypes.Type(value = SensorEvent.SeedUpdateCancelled.class, name = "seed-update-cancelled"),
    @JsonSubTypes.Type(value = SensorEvent.RevocationDeliveryEnded.class, name = "revocation-delivery-ended")
})
public sealed interface SensorEvent extends CborSerializable {

    /** The sensor's first seed, opened from its transport envelope and sealed under K_store. */
    record Provisioned(SealedSeed seed, String recordDigest, Instant at, String actor) implements SensorEvent {
        public Provisioned {
            Objects.requireNonNull(seed, "seed");
        }
    }

    /**
     * Replay protection: certificates with timestamps up to this second may have been accepted, so
     * after a restart the entity rejects anything not newer (reserved ahead in blocks, so not one
     * event per request). Version 2; version 1 stored epoch milliseconds as {@code reservedUntil}.
     */
    record ReplayReservationExtended(long reservedUntilEpochSecond) implements SensorEvent {
    }

    /**
     * Replay protection, written when an entity stops gracefully (passivation, shard hand-off,
     * node leaving): no certificate newer than this second was accepted, so the reservation comes
     * down to it and the next incarnation accepts the sensor's next certificate at once instead of
     * refusing everything up to the old reservation. The writer guarantees the value is at least
     * every timestamp ever accepted (docs/cluster.md "Replay protection"). Ends a replay-ledger
     * membership ({@link ReplayLedgerJoined}).
     *
     * @param randomsAccepted the randoms of every certificate accepted in that second, so the next
     *     incarnation accepts other certificates of it; null (and in events written before the
     *     field existed): not known, the whole second is refused
     */
    record ReplayReservationReleased(long acceptedUpToEpochSecond, List<Long> randomsAccepted) implements SensorEvent {
        public ReplayReservationReleased {
            randomsAccepted = randomsAccepted == null ? null : List.copyOf(randomsAccepted);
        }
    }

    /**
     * Replay protection: from now on the entity accepts timestamps up to its node's replay-ledger
     * reservation ({@code session}, a row renewed by the node for all its busy sensors) without
     * journaling reservations of its own. After a crash the floor is at least that session's last
     * durable reservation; a release ends the membership. {@code floorEpochSecond} is the floor the
     * entity recovered with (it may come from an earlier session), kept so it outlives that session.
     */
    record ReplayLedgerJoined(String session, long floorEpochSecond) implements SensorEvent {
        public ReplayLedgerJoined {
            Objects.requireNonNull(session, "session");
        }
    }

    /** An {@code UPDATE} envelope for seed version {@code newSeedVersion} was issued to the sensor. */
    record SeedUpdateStarted(int newSeedVersion, Instant at, String actor) implements SensorEvent {
    }

    /** The sensor confirmed the new seed; it replaces the old one. */
    record SeedUpdated(SealedSeed seed, String recordDigest, Instant at, String actor) implements SensorEvent {
        public SeedUpdated {
            Objects.requireNonNull(seed, "seed");
        }
    }

    /**
     * The sensor's keys are revoked for good; its sealed seed is dropped from the state.
     * {@code deliverySeed} (absent in events written before the downlink queue, and when the seed
     * had expired): the revoked seed, kept in {@link DownlinkState#revocationSeed()} only to tag the
     * REVOKE command each time the sensor polls, until the revocation is confirmed or cancelled.
     */
    record Revoked(String reason, Instant at, String actor, SealedSeed deliverySeed) implements SensorEvent {
        /** Without a revocation to deliver (as written before the downlink queue). */
        public Revoked(String reason, Instant at, String actor) {
            this(reason, at, actor, null);
        }
    }

    /** The same seed resealed under the card's current K_store version (K_store rotation). */
    record SeedRewrapped(SealedSeed seed, String recordDigest) implements SensorEvent {
        public SeedRewrapped {
            Objects.requireNonNull(seed, "seed");
        }
    }

    /** The whole key state loaded from a backup (disaster recovery into an empty keyspace). */
    record Restored(SensorRecord record) implements SensorEvent {
        public Restored {
            Objects.requireNonNull(record, "record");
        }
    }

    /**
     * The sensor offered the seed of its pending update in an UPDATE envelope that opened under the
     * current seed. The current seed stays valid: the update completes ({@link SeedUpdated}) once a
     * certificate verifies under this seed. {@code envelopeDigest}: SHA-256 of the envelope, hex.
     */
    record SeedUpdateReceived(SealedSeed seed, String recordDigest, String envelopeDigest, Instant at, String actor)
            implements SensorEvent {
        public SeedUpdateReceived {
            Objects.requireNonNull(seed, "seed");
            Objects.requireNonNull(envelopeDigest, "envelopeDigest");
        }
    }

    /** An operator withdrew the pending seed update: the current seed stays, the offered ones go. */
    record SeedUpdateCancelled(Instant at, String actor) implements SensorEvent {
    }

    /**
     * The REVOKE command is no longer delivered and the kept revoked seed is dropped:
     * {@code confirmed} when the sensor confirmed it, else an operator cancelled the delivery.
     */
    record RevocationDeliveryEnded(boolean confirmed, Instant at, String actor) implements SensorEvent {
    }
}
