package org.microcert.persistence.sensor;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.protocol.SensorId;

/**
 * The key state of one sensor, rebuilt from its {@link SensorEvent}s and stored as its snapshot.
 * Immutable; {@link #apply} returns the next state. Holds the seed only sealed.
 *
 * @param sensorId the sensor
 * @param status where the sensor is in its key life cycle
 * @param seed the current sealed seed; null before provisioning and after revocation
 * @param recordDigest the card's digest of {@code seed} in hex (null when there is no seed or the
 *     event that stored it predates digests)
 * @param seedVersion version of the current (or, once revoked, the last) seed; 0 before provisioning
 * @param pendingSeedVersion the seed version of an update envelope issued but not yet confirmed; 0 when none
 * @param replayReservedUntilEpochSecond certificates not newer than this second are replays after a restart
 * @param replayRandomsAtReserved the randoms accepted in the second {@code replayReservedUntilEpochSecond},
 *     when a graceful stop journaled them: other certificates of that second are fresh; null (after a
 *     reservation, and in records written before the field existed): the whole second is refused
 * @param replayLedgerSession the node replay-ledger session whose reservation also bounds the accepted
 *     timestamps ({@link SensorEvent.ReplayLedgerJoined}); null when none (after a release)
 * @param provisionedAt when the first seed was stored
 * @param changedAt when the seed last changed (provisioned, updated, rewrapped, restored)
 * @param revocationReason why the sensor was revoked; null unless revoked
 * @param revokedAt when it was revoked; null unless revoked
 * @param seedUpdates how many seed updates completed
 * @param rewraps how many times the seed was resealed under a new K_store version
 * @param downlink the offered seeds of a pending update and a revocation still being delivered
 *     ({@link DownlinkState}; absent in records written before it existed: empty)
 */
public record SensorRecord(SensorId sensorId, Status status, SealedSeed seed, String recordDigest, int seedVersion,
                           int pendingSeedVersion, long replayReservedUntilEpochSecond,
                           List<Long> replayRandomsAtReserved, String replayLedgerSession, Instant provisionedAt,
                           Instant changedAt, String revocationReason, Instant revokedAt, long seedUpdates,
                           long rewraps, DownlinkState downlink) implements CborSerializable {

    /** A sensor's key life cycle. */
    public enum Status {
        /** No seed yet: the entity's state before {@link SensorEvent.Provisioned}. */
        NOT_PROVISIONED,
        /** Has a seed and authenticates with it. */
        ACTIVE,
        /** Has a seed; an update envelope for the next seed version was issued and awaits confirmation. */
        UPDATE_PENDING,
        /** Revoked for good; no seed. */
        REVOKED
    }

    public SensorRecord {
        Objects.requireNonNull(sensorId, "sensorId");
        Objects.requireNonNull(status, "status");
        replayRandomsAtReserved = replayRandomsAtReserved == null ? null : List.copyOf(replayRandomsAtReserved);
        downlink = downlink == null ? DownlinkState.EMPTY : downlink;
        if (seed != null && !seed.sensorId().equals(sensorId)) {
            throw new IllegalArgumentException("the sealed seed belongs to sensor " + seed.sensorId()
                    + ", not " + sensorId);
        }
    }

    /** A record with an empty {@link DownlinkState} ({@link #apply} carries the downlink over). */
    public SensorRecord(SensorId sensorId, Status status, SealedSeed seed, String recordDigest, int seedVersion,
                        int pendingSeedVersion, long replayReservedUntilEpochSecond, List<Long> replayRandomsAtReserved,
                        String replayLedgerSession, Instant provisionedAt, Instant changedAt, String revocationReason,
                        Instant revokedAt, long seedUpdates, long rewraps) {
        this(sensorId, status, seed, recordDigest, seedVersion, pendingSeedVersion, replayReservedUntilEpochSecond,
                replayRandomsAtReserved, replayLedgerSession, provisionedAt, changedAt, revocationReason, revokedAt,
                seedUpdates, rewraps, DownlinkState.EMPTY);
    }

    /** The state of a sensor that has no events yet. */
    public static SensorRecord empty(SensorId sensorId) {
        return new SensorRecord(sensorId, Status.NOT_PROVISIONED, null, null, 0, 0, 0, null, null, null, null, null, null, 0, 0);
    }

    /** Whether the sensor holds a seed it may authenticate with. */
    public boolean hasSeed() {
        return seed != null && (status == Status.ACTIVE || status == Status.UPDATE_PENDING);
    }

    /**
     * The state after {@code event}.
     *
     * @throws IllegalArgumentException when the event carries a seed or record of another sensor
     *     (a journal that was tampered with or a bug; recovery must not silently accept it)
     */
    public SensorRecord apply(SensorEvent event) {
        SensorRecord next = applyToKeys(event);
        if (event instanceof SensorEvent.Restored) {
            return next; // the backup's own downlink
        }
        DownlinkState d = downlink.next(event, next);
        return d == next.downlink ? next : new SensorRecord(next.sensorId, next.status, next.seed, next.recordDigest,
                next.seedVersion, next.pendingSeedVersion, next.replayReservedUntilEpochSecond,
                next.replayRandomsAtReserved, next.replayLedgerSession, next.provisionedAt, next.changedAt,
                next.revocationReason, next.revokedAt, next.seedUpdates, next.rewraps, d);
    }

    private SensorRecord applyToKeys(SensorEvent event) {
        // Java 17 has no pattern switch; the chain covers every permitted subtype of the sealed interface.
        if (event instanceof SensorEvent.Provisioned e) {
            return new SensorRecord(sensorId, Status.ACTIVE, e.seed(), e.recordDigest(), e.seed().seedVersion(), 0,
                    replayReservedUntilEpochSecond, replayRandomsAtReserved, replayLedgerSession, e.at(), e.at(), null,
                    null, seedUpdates, rewraps);
        } else if (event instanceof SensorEvent.ReplayReservationExtended e) {
            return new SensorRecord(sensorId, status, seed, recordDigest, seedVersion, pendingSeedVersion,
                    Math.max(replayReservedUntilEpochSecond, e.reservedUntilEpochSecond()),
                    null, // a reservation's second may be used in full after a crash
                    replayLedgerSession, provisionedAt, changedAt, revocationReason, revokedAt, seedUpdates, rewraps);
        } else if (event instanceof SensorEvent.ReplayReservationReleased e) {
            // the only event that lowers the reservation: see its contract
            return new SensorRecord(sensorId, status, seed, recordDigest, seedVersion, pendingSeedVersion,
                    e.acceptedUpToEpochSecond(), e.randomsAccepted(), null, provisionedAt, changedAt, revocationReason,
                    revokedAt, seedUpdates, rewraps);
        } else if (event instanceof SensorEvent.ReplayLedgerJoined e) {
            // the joined session's reservation may cover all of its floor's second: no list
            return new SensorRecord(sensorId, status, seed, recordDigest, seedVersion, pendingSeedVersion,
                    Math.max(replayReservedUntilEpochSecond, e.floorEpochSecond()), null, e.session(), provisionedAt,
                    changedAt, revocationReason, revokedAt, seedUpdates, rewraps);
        } else if (event instanceof SensorEvent.SeedUpdateStarted e) {
            return new SensorRecord(sensorId, Status.UPDATE_PENDING, seed, recordDigest, seedVersion,
                    e.newSeedVersion(), replayReservedUntilEpochSecond, replayRandomsAtReserved, replayLedgerSession,
                    provisionedAt, changedAt, revocationReason, revokedAt, seedUpdates, rewraps);
        } else if (event instanceof SensorEvent.SeedUpdated e) {
            return new SensorRecord(sensorId, Status.ACTIVE, e.seed(), e.recordDigest(), e.seed().seedVersion(), 0,
                    replayReservedUntilEpochSecond, replayRandomsAtReserved, replayLedgerSession, provisionedAt, e.at(),
                    null, null, seedUpdates + 1, rewraps);
        } else if (event instanceof SensorEvent.Revoked e) {
            return new SensorRecord(sensorId, Status.REVOKED, null, null, seedVersion, 0,
                    replayReservedUntilEpochSecond, replayRandomsAtReserved, replayLedgerSession, provisionedAt, changedAt,
                    e.reason(), e.at(), seedUpdates, rewraps);
        } else if (event instanceof SensorEvent.SeedRewrapped e) {
            return new SensorRecord(sensorId, status, e.seed(), e.recordDigest(), e.seed().seedVersion(),
                    pendingSeedVersion, replayReservedUntilEpochSecond, replayRandomsAtReserved, replayLedgerSession,
                    provisionedAt, changedAt, revocationReason, revokedAt, seedUpdates, rewraps + 1);
        } else if (event instanceof SensorEvent.Restored e) {
            if (!e.record().sensorId().equals(sensorId)) {
                throw new IllegalArgumentException("a restored record of sensor " + e.record().sensorId()
                        + " cannot become sensor " + sensorId);
            }
            return e.record();
        } else if (event instanceof SensorEvent.SeedUpdateReceived || event instanceof SensorEvent.RevocationDeliveryEnded) {
            return this; // the downlink state only
        } else if (event instanceof SensorEvent.SeedUpdateCancelled) {
            return new SensorRecord(sensorId, Status.ACTIVE, seed, recordDigest, seedVersion, 0,
                    replayReservedUntilEpochSecond, replayRandomsAtReserved, replayLedgerSession, provisionedAt,
                    changedAt, revocationReason, revokedAt, seedUpdates, rewraps);
        }
        throw new IllegalArgumentException("unknown event type " + event.getClass().getName());
    }
}
