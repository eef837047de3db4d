package org.microcert.cluster.sensor;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.replay.ReplayGuard;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.slf4j.Logger;

/**
 * The replay protection of one entity incarnation in terms of the sensor's journal: the
 * {@link ReplayGuard} recovered from the state (or from the node's replay ledger when the state
 * joined a ledger session), and the events that make accepted timestamps durable or release them.
 * Confined to its entity.
 */
final class SensorReplay {

    private final SensorSettings settings;
    private final ReplayLedger ledger;
    private final Metrics metrics;
    private final Logger log;
    private final String sensorId;
    private ReplayGuard guard;

    SensorReplay(String sensorId, SensorSettings settings, ReplayLedger ledger, Metrics metrics, Logger log) {
        this.sensorId = sensorId;
        this.settings = settings;
        this.ledger = ledger;
        this.metrics = metrics;
        this.log = log;
    }

    /**
     * Sets the guard from the recovered state. A state that joined a ledger session accepted up to
     * that session's reservation, maybe on a node that crashed: the guard stays unset (the entity
     * stashes commands) until the ledger's answer reaches {@code self} as a {@link SensorMessages.LedgerFloor}.
     */
    void recovered(SensorRecord state, ActorRef<SensorMessages.Command> self) {
        String joined = state.replayLedgerSession();
        if (joined != null) {
            guard = null;
            readFloor(self, joined);
            return;
        }
        List<Long> used = state.replayRandomsAtReserved();
        guard = newGuard(state.replayReservedUntilEpochSecond(),
                used == null ? null : used.stream().mapToLong(Long::longValue).toArray());
    }

    /**
     * The ledger answered: the release to journal (which sets the floor), or null when there is
     * nothing to journal: a late answer after a restart, or a failed read, asked again after the
     * backoff (nothing may be accepted without the floor; commands stay stashed).
     */
    SensorEvent floorAnswered(SensorRecord state, SensorMessages.LedgerFloor answer,
                              ActorContext<SensorMessages.Command> context, long nowSeconds) {
        if (guard != null) {
            return null;
        }
        if (answer.failed()) {
            log.warn("sensor {}: the replay ledger did not answer; asking again in {} ms", sensorId,
                    settings.backoffMax().toMillis());
            String session = state.replayLedgerSession();
            ActorRef<SensorMessages.Command> self = context.getSelf();
            context.getSystem().scheduler().scheduleOnce(settings.backoffMax(), () -> readFloor(self, session),
                    context.getExecutionContext());
            return null;
        }
        return floorFound(state, answer.floor(), nowSeconds);
    }

    // Also runs on the scheduler's thread (a read asked again), so it touches no ActorContext.
    private void readFloor(ActorRef<SensorMessages.Command> self, String session) {
        ledger.reservedUntil(session).whenComplete((floor, failure) -> self.tell(
                new SensorMessages.LedgerFloor(failure == null ? floor : OptionalLong.empty(), failure != null)));
    }

    /** Whether the floor is known, so certificates can be judged. */
    boolean ready() {
        return guard != null;
    }

    ReplayGuard guard() {
        return guard;
    }

    /**
     * The recovered floor of a sensor that had joined a ledger session ({@code floor}: empty when the
     * ledger holds no such session): sets the guard and returns the release to journal, which
     * bounds every accepted timestamp and ends the membership, so the next recovery reads nothing.
     */
    SensorEvent floorFound(SensorRecord state, OptionalLong floor, long nowSeconds) {
        long reserved = state.replayReservedUntilEpochSecond();
        long at;
        if (floor.isPresent()) {
            at = Math.max(reserved, floor.getAsLong());
        } else {
            // The session is not in the ledger (expired, a restored backup, a dropped table). Its
            // reservation was at most its node's clock plus reservation-ahead, that node's clock within
            // the skew of ours: refuse up to there.
            at = Math.max(reserved, nowSeconds + settings.reservationAhead().toSeconds()
                    + settings.clockSkew().toSeconds());
            log.warn("sensor {}: its replay-ledger session is unknown; refusing certificates up to {}", sensorId, at);
        }
        guard = newGuard(at, null);
        return new SensorEvent.ReplayReservationReleased(at, null);
    }

    /**
     * What bounds the timestamps this sensor may accept without a write: its own reservation, and
     * its node's replay-ledger reservation once it joined this node's session.
     */
    long reservedUntil(SensorRecord state) {
        long own = state.replayReservedUntilEpochSecond();
        String session = ledger.session();
        return session != null && session.equals(state.replayLedgerSession())
                ? Math.max(own, ledger.durableUntil()) : own;
    }

    /**
     * The event that makes {@code timestamp} durable: joining this node's replay-ledger session when
     * the sensor talked more than once in this incarnation and the session covers the timestamp (then
     * no more writes until it stops), else a reservation of its own up to {@code until}. A sensor
     * heard once per incarnation does not join: it would write a release at each passivation on top
     * of the join.
     */
    SensorEvent reservation(SensorRecord state, long timestamp, CertificateJudge.Reservation r) {
        String session = ledger.session();
        if (r.talksAgain() && session != null && ledger.joinable() && !session.equals(state.replayLedgerSession())
                && timestamp <= ledger.durableUntil()) {
            metrics.ledgerJoined();
            return new SensorEvent.ReplayLedgerJoined(session, guard.floor());
        }
        return new SensorEvent.ReplayReservationExtended(r.until());
    }

    /**
     * The release a graceful stop journals, or null. The persisted reservation R would make the next
     * incarnation refuse every timestamp up to R, fresh ones included, for up to
     * {@code reservation-ahead}; nothing newer than {@link ReplayGuard#acceptedUpTo()} was accepted,
     * so that is journaled instead, with the randoms accepted in that second so the next incarnation
     * refuses exactly those. Only when R is still ahead of the clock: an idle sensor's R has long
     * passed and costs nothing (no write per passivation). After a crash there is no stop, and R holds.
     */
    SensorEvent release(SensorRecord state, long nowSeconds) {
        long reserved = reservedUntil(state);
        SensorRecord.Status status = state.status();
        if (guard == null || status == SensorRecord.Status.NOT_PROVISIONED || status == SensorRecord.Status.REVOKED
                || guard.acceptedUpTo() >= reserved || reserved < nowSeconds) {
            return null;
        }
        long[] used = guard.randomsAtAcceptedUpTo();
        return new SensorEvent.ReplayReservationReleased(guard.acceptedUpTo(),
                used == null ? null : Arrays.stream(used).boxed().toList());
    }

    private ReplayGuard newGuard(long floor, long[] floorRandoms) {
        return new ReplayGuard(floor, floorRandoms, settings.clockSkew().toSeconds(),
                settings.reservationAhead().toSeconds(), settings.maxTracked());
    }
}
