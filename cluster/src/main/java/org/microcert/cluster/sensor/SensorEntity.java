package org.microcert.cluster.sensor;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.replay.ReplayGuard;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorMessages.Authenticate;
import org.microcert.cluster.sensor.SensorMessages.AuthenticateInBatch;
import org.microcert.cluster.sensor.SensorMessages.BatchItemVerdict;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.CompleteSeedUpdate;
import org.microcert.cluster.sensor.SensorMessages.Decrypt;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.Encrypt;
import org.microcert.cluster.sensor.SensorMessages.GetStatus;
import org.microcert.cluster.sensor.SensorMessages.IdleCheck;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.LedgerFloor;
import org.microcert.cluster.sensor.SensorMessages.PassivateIfUnused;
import org.microcert.cluster.sensor.SensorMessages.Provision;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Revoke;
import org.microcert.cluster.sensor.SensorMessages.RewrapSeed;
import org.microcert.cluster.sensor.SensorMessages.Rewrapped;
import org.microcert.cluster.sensor.SensorMessages.SensorStatus;
import org.microcert.cluster.sensor.SensorMessages.StartSeedUpdate;
import org.microcert.cluster.sensor.SensorMessages.Stop;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.cluster.sensor.SensorMessages.VerifySignature;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CenterIssuer;
import org.microcert.protocol.CertificateType;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.MalformedCertificateException;
import org.microcert.protocol.MalformedEnvelopeException;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SeedExpiredException;
import org.microcert.protocol.SeedUpdates;
import org.microcert.protocol.SensorId;
import org.microcert.protocol.VerificationException;

/**
 * One sensor: an event-sourced entity, sharded by sensor id, that verifies the sensor's
 * certificates and manages its seed (docs/cluster.md).
 *
 * <p><b>State.</b> The persisted state is the persistence module's {@link SensorRecord} (sealed
 * seed, versions, status, replay reservation), folded from {@link SensorEvent}s and snapshotted
 * every N events. Per incarnation the entity also holds, in memory only: the {@link ReplayGuard}
 * (recent accepted pairs), the opened seed (see below) and counters.
 *
 * <p><b>Opened seed.</b> With {@code keep-seed-open = on} (default) the card opens the sealed seed
 * on first use and the clear seed (with the CMAC key schedule of its year row) stays in this actor's
 * memory while the sensor is active, so each certificate costs a CSK derivation, not a card round trip (a PKCS#11 token is far slower than a
 * CMAC). It is wiped ({@link KeySeed#destroy()}) when the entity passivates or stops, restarts after
 * a journal failure, is revoked, or moves to a new seed. With {@code off} the seed is opened per
 * request and wiped right after.
 *
 * <p><b>Revoked</b> sensors are refused everything but status.
 */
public final class SensorEntity
        extends EventSourcedBehaviorWithEnforcedReplies<Command, SensorEvent, SensorRecord> {

    /** The sharding type key; entity ids are sensor ids in their 16-hex-digit form. */
    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Sensor");

    /** Starts sharding of sensor entities on this node, without a replay ledger. */
    public static void initSharding(ActorSystem<?> system, EncryptionCard card, SensorSettings settings) {
        initSharding(system, card, settings, ReplayLedger.NONE);
    }

    /** Starts sharding of sensor entities on this node, their busy sensors covered by {@code ledger}. */
    public static void initSharding(ActorSystem<?> system, EncryptionCard card, SensorSettings settings,
                                    ReplayLedger ledger) {
        ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> create(SensorId.parse(ctx.getEntityId()),
                PersistenceId.of(TYPE_KEY.name(), ctx.getEntityId()), card, settings, ledger, ctx.getShard(),
                UNUSED_AFTER_PROVISION)).withStopMessage(new Stop()));
    }

    /** The behavior of one sensor, outside sharding too (entity tests). */
    public static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                           SensorSettings settings) {
        return create(sensorId, persistenceId, card, settings, ReplayLedger.NONE, null, UNUSED_AFTER_PROVISION);
    }

    /** As {@link #create(SensorId, PersistenceId, EncryptionCard, SensorSettings)}, with a replay ledger (tests). */
    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                    SensorSettings settings, ReplayLedger ledger) {
        return create(sensorId, persistenceId, card, settings, ledger, null, UNUSED_AFTER_PROVISION);
    }

    /**
     * The behavior of one sensor hosted by {@code shard} (null outside sharding), which it asks to
     * passivate it when the sensor has not talked within {@code unusedAfterProvision} of being provisioned.
     */
    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                    SensorSettings settings, ActorRef<ClusterSharding.ShardCommand> shard,
                                    Duration unusedAfterProvision) {
        return create(sensorId, persistenceId, card, settings, ReplayLedger.NONE, shard, unusedAfterProvision);
    }

    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                    SensorSettings settings, ReplayLedger ledger,
                                    ActorRef<ClusterSharding.ShardCommand> shard, Duration unusedAfterProvision) {
        return Behaviors.setup(ctx -> new SensorEntity(ctx, sensorId, persistenceId, card, settings, ledger, shard,
                unusedAfterProvision));
    }

    /**
     * A sensor is provisioned at the factory and usually talks weeks later: its entity is then
     * passivated after this instead of sharding's 2-minute idle timeout, so that a bulk import does
     * not hold every sensor it imported in memory for two minutes (a million-line import:
     * gigabytes). Not at once: a sensor that talks right after its import (a test fleet, the demo)
     * would pay a recovery for its first certificate, which costs the node about 3 ms of CPU
     * here (docs/simulator.md, the fleet wake).
     */
    static final Duration UNUSED_AFTER_PROVISION = Duration.ofSeconds(30);

    private final ActorContext<Command> context;
    private final SensorId sensorId;
    private final EncryptionCard card;
    private final SensorSettings settings;
    private final ReplayLedger ledger;
    private final CertificateVerifier verifier;
    // One for all entities of the node (its DRBG is thread-safe): a DRBG per entity was about 1 KB
    // of every running sensor's memory and an instantiation on every recovery, for the rare
    // command and ENC_DOWN certificates.
    private static final CenterIssuer ISSUER = new CenterIssuer();
    private final Metrics metrics;
    private final String hostedBy;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final Duration unusedAfterProvision;
    private org.apache.pekko.actor.Cancellable unusedCheck;
    private org.apache.pekko.actor.Cancellable idleCheck;
    private static final IdleCheck IDLE_CHECK = new IdleCheck();

    // In memory only, per incarnation.
    private ReplayGuard replay;
    private KeySeed openSeed;
    private long lastNow;
    // When the last command other than the entity's own checks arrived (the settings' clock, ms).
    private long lastCommandMillis;
    private long accepted;
    private long rejected;
    private boolean counted;

    private SensorEntity(ActorContext<Command> context, SensorId sensorId, PersistenceId persistenceId,
                         EncryptionCard card, SensorSettings settings, ReplayLedger ledger,
                         ActorRef<ClusterSharding.ShardCommand> shard, Duration unusedAfterProvision) {
        super(persistenceId, SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
        this.context = context;
        this.sensorId = sensorId;
        this.card = card;
        this.settings = settings;
        this.ledger = ledger;
        this.verifier = new CertificateVerifier(settings.clockSkew());
        this.metrics = Metrics.get(context.getSystem());
        var address = context.getSystem().address();
        this.hostedBy = address.getHost().orElse("local") + ":" + address.getPort().map(String::valueOf).orElse("0");
        this.shard = shard;
        this.unusedAfterProvision = unusedAfterProvision;
    }

    @Override
    public SensorRecord emptyState() {
        return SensorRecord.empty(sensorId);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots());
    }

    @Override
    public EventHandler<SensorRecord, SensorEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(SensorRecord::apply);
    }

    @Override
    public SignalHandler<SensorRecord> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), state -> {
                    String joined = state.replayLedgerSession();
                    if (joined == null) {
                        List<Long> used = state.replayRandomsAtReserved();
                        replay = newGuard(state.replayReservedUntilEpochSecond(),
                                used == null ? null : used.stream().mapToLong(Long::longValue).toArray());
                    } else {
                        // Accepted up to that session's reservation, maybe on a node that crashed:
                        // commands wait (stashed) until the ledger says how far that was.
                        replay = null;
                        lookUpFloor(context.getSelf(), joined);
                    }
                    if (!counted) {
                        counted = true;
                        metrics.entityStarted();
                    }
                    lastCommandMillis = settings.clock().millis();
                    scheduleIdleCheck(settings.idleTimeout());
                })
                .onSignal(PreRestart.instance(), state -> {
                    wipeSeed();
                    cancelIdleCheck(); // recovery starts a new one
                })
                .onSignal(PostStop.instance(), state -> {
                    wipeSeed();
                    if (unusedCheck != null) {
                        unusedCheck.cancel(); // stopped earlier (hand-off, shutdown): no dead letter
                    }
                    cancelIdleCheck();
                    if (counted) {
                        counted = false;
                        metrics.entityStopped();
                    }
                })
                .build();
    }

    /**
     * One dispatch by type for every command. Not the javadsl handler builder: it builds 15 cases,
     * each with two lambdas and Scala list cells, for every entity at every start (recovery), and
     * they stay for the entity's life: heap per in-memory sensor went from about 9.5 to 8.1 KB
     * without them (docs/simulator.md, "Scale run").
     */
    @Override
    public CommandHandlerWithReply<Command, SensorEvent, SensorRecord> commandHandler() {
        return this::dispatch;
    }

    private ReplyEffect<SensorEvent, SensorRecord> dispatch(SensorRecord state, Command command) {
        if (replay == null && !(command instanceof LedgerFloor)) {
            return Effect().stash(); // the floor is not known yet (ledgerFloor)
        }
        if (!(command instanceof IdleCheck || command instanceof PassivateIfUnused || command instanceof LedgerFloor)) {
            lastCommandMillis = settings.clock().millis();
            if (shard != null && !isProvisioned(state) && !(command instanceof Stop)) {
                // An unknown sensor's entity leaves at once: certificates naming random ids would
                // each hold one in memory for the idle timeout. Only a Provision can make it known:
                // a check queued behind it sees the outcome.
                if (command instanceof Provision) {
                    context.getSelf().tell(IDLE_CHECK);
                } else {
                    shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
                }
            }
        }
        // the device's commands first: they are nearly all of the traffic
        if (command instanceof Authenticate c) {
            return judge(state, c.certificate(), null, CertificateType.AUTH, c.replyTo(), v -> v);
        } else if (command instanceof AuthenticateInBatch c) {
            return judge(state, c.certificate(), null, CertificateType.AUTH, c.replyTo(),
                    v -> new BatchItemVerdict(c.index(), v));
        } else if (command instanceof VerifySignature c) {
            return judge(state, c.certificate(), c.dataDigest(), CertificateType.SIGN, c.replyTo(), v -> v);
        } else if (command instanceof Decrypt c) {
            return judge(state, c.certificate(), null, CertificateType.ENC_UP, c.replyTo(), v -> v);
        } else if (command instanceof Provision c) {
            return provision(state, c);
        } else if (command instanceof StartSeedUpdate c) {
            return startSeedUpdate(state, c);
        } else if (command instanceof CompleteSeedUpdate c) {
            return completeSeedUpdate(state, c);
        } else if (command instanceof Revoke c) {
            return revoke(state, c);
        } else if (command instanceof Encrypt c) {
            return encrypt(state, c);
        } else if (command instanceof RewrapSeed c) {
            return rewrap(state, c);
        } else if (command instanceof GetStatus c) {
            return Effect().reply(c.replyTo(), isProvisioned(state) ? new Done(status(state), null) : unknown());
        } else if (command instanceof Stop c) {
            return stop(state, c);
        } else if (command instanceof LedgerFloor c) {
            return ledgerFloor(state, c);
        } else if (command instanceof PassivateIfUnused) {
            if (accepted + rejected == 0) { // no device traffic in this incarnation
                shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
            }
            return Effect().noReply();
        } else if (command instanceof IdleCheck) {
            long idleMillis = settings.clock().millis() - lastCommandMillis;
            long timeoutMillis = settings.idleTimeout().toMillis();
            if (idleMillis >= timeoutMillis || !isProvisioned(state)) {
                cancelIdleCheck(); // after a refused Provision this check came before the timer
                shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
            } else { // the earliest the entity can have been idle for the whole timeout
                scheduleIdleCheck(Duration.ofMillis(timeoutMillis - Math.max(0, idleMillis)));
            }
            return Effect().noReply();
        }
        // Command is sealed and every kind is above: only a new kind not added here gets this
        throw new IllegalStateException("SensorEntity has no handler for " + command.getClass().getSimpleName());
    }

    /**
     * Idle passivation, done here rather than by sharding's idle strategy (cluster.conf turns that
     * off): the strategy moves the entity to the back of a recency list on every message, which
     * was a few per cent of the node's CPU in the batch profile, plus the card marks the garbage
     * collector then scans for those pointer writes into old objects. Here a command costs a field
     * write, and a busy entity one timer message per idle timeout. Only under sharding: an entity
     * spawned on its own (tests) has no shard to ask.
     */
    private void scheduleIdleCheck(Duration delay) {
        if (shard != null) {
            cancelIdleCheck();
            idleCheck = context.scheduleOnce(delay, context.getSelf(), IDLE_CHECK);
        }
    }

    private ReplayGuard newGuard(long floor, long[] floorRandoms) {
        return new ReplayGuard(floor, floorRandoms, settings.clockSkew().toSeconds(),
                settings.reservationAhead().toSeconds(), settings.maxTracked());
    }

    // Also called from the scheduler's thread (a read asked again), so it touches no ActorContext.
    private void lookUpFloor(ActorRef<Command> self, String session) {
        ledger.reservedUntil(session).whenComplete((floor, failure) ->
                self.tell(new LedgerFloor(failure == null ? floor : OptionalLong.empty(), failure != null)));
    }

    /**
     * The recovered floor of a sensor that had joined a ledger session. Journaled as a release (it
     * bounds every accepted timestamp and ends the membership), so the next recovery reads nothing;
     * then the commands stashed meanwhile run.
     */
    private ReplyEffect<SensorEvent, SensorRecord> ledgerFloor(SensorRecord state, LedgerFloor c) {
        if (replay != null) {
            return Effect().noReply(); // a late answer after a restart: this incarnation has its floor
        }
        if (c.failed()) {
            // Nothing may be accepted without the floor: ask again after the backoff, commands stay stashed.
            context.getLog().warn("sensor {}: the replay ledger did not answer; asking again in {} ms", sensorId,
                    settings.backoffMax().toMillis());
            String session = state.replayLedgerSession();
            ActorRef<Command> self = context.getSelf();
            context.getSystem().scheduler().scheduleOnce(settings.backoffMax(), () -> lookUpFloor(self, session),
                    context.getExecutionContext());
            return Effect().noReply();
        }
        long reserved = state.replayReservedUntilEpochSecond();
        long floor;
        if (c.floor().isPresent()) {
            floor = Math.max(reserved, c.floor().getAsLong());
        } else {
            // The session is not in the ledger (expired, a restored backup, a dropped table). Its
            // reservation was at most its node's clock plus reservation-ahead, that node's clock within
            // the skew of ours: refuse up to there.
            floor = Math.max(reserved, now().getEpochSecond() + settings.reservationAhead().toSeconds()
                    + settings.clockSkew().toSeconds());
            context.getLog().warn("sensor {}: its replay-ledger session is unknown; refusing certificates up to {}",
                    sensorId, floor);
        }
        replay = newGuard(floor, null);
        // The Java DSL has no reply-typed unstashAll; its effects all implement ReplyEffect (no reply here).
        return (ReplyEffect<SensorEvent, SensorRecord>) Effect()
                .persist(new SensorEvent.ReplayReservationReleased(floor, null)).thenUnstashAll();
    }

    private void cancelIdleCheck() {
        if (idleCheck != null) {
            idleCheck.cancel();
            idleCheck = null;
        }
    }

    /**
     * A graceful stop. The persisted reservation R would make the next incarnation refuse every
     * timestamp up to R, fresh ones included, for up to {@code reservation-ahead}; nothing newer
     * than {@link ReplayGuard#acceptedUpTo()} was accepted, so journal that instead, with the randoms
     * accepted in that second so the next incarnation refuses exactly those. Only when R is
     * still ahead of the clock: an idle sensor's R has long passed and costs nothing (no write per
     * passivation). After a crash there is no stop, and R holds.
     */
    private ReplyEffect<SensorEvent, SensorRecord> stop(SensorRecord state, Stop c) {
        long reserved = reservedUntil(state);
        if (replay != null && isProvisioned(state) && !isRevoked(state) && replay.acceptedUpTo() < reserved
                && reserved >= now().getEpochSecond()) {
            long[] used = replay.randomsAtAcceptedUpTo();
            return Effect().persist(new SensorEvent.ReplayReservationReleased(replay.acceptedUpTo(),
                            used == null ? null : Arrays.stream(used).boxed().toList()))
                    .thenStop().thenNoReply();
        }
        return Effect().stop().thenNoReply();
    }

    /**
     * What bounds the timestamps this sensor may accept without a write: its own reservation, and
     * its node's replay-ledger reservation once it joined this node's session.
     */
    private long reservedUntil(SensorRecord state) {
        long own = state.replayReservedUntilEpochSecond();
        String session = ledger.session();
        return session != null && session.equals(state.replayLedgerSession()) ? Math.max(own, ledger.durableUntil()) : own;
    }

    // ---------------------------------------------------------------- device traffic

    /**
     * Judges one device certificate; {@code answer} wraps the verdict in the reply type the caller
     * expects. {@code dataDigest}: for SIGN, the digest of the signed data.
     */
    private <R> ReplyEffect<SensorEvent, SensorRecord> judge(SensorRecord state, byte[] bytes, byte[] dataDigest,
                                                            CertificateType expected, ActorRef<R> replyTo,
                                                            Function<Verdict, R> answer) {
        Instant now = now();
        long nowSeconds = now.getEpochSecond();
        String id = sensorId.toString();
        if (!isProvisioned(state)) {
            return reject(replyTo, answer, VerdictReason.UNKNOWN_SENSOR, "sensor " + id + " is not provisioned", nowSeconds);
        }
        if (isRevoked(state)) {
            return reject(replyTo, answer, VerdictReason.REVOKED, "sensor " + id + " is revoked", nowSeconds);
        }
        MicroCertificate cert;
        try {
            cert = MicroCertificate.decode(bytes);
        } catch (MalformedCertificateException e) {
            return reject(replyTo, answer, VerdictReason.MALFORMED, e.getMessage(), nowSeconds);
        }
        if (!cert.sensorId().equals(sensorId)) {
            return reject(replyTo, answer, VerdictReason.WRONG_SENSOR, "certificate names sensor " + cert.sensorId(), nowSeconds);
        }
        if (cert.type() != expected) {
            return reject(replyTo, answer, VerdictReason.WRONG_TYPE, "expected a " + expected + " certificate, got " + cert.type(), nowSeconds);
        }
        if (cert.suite() != state.seed().suite()) {
            return reject(replyTo, answer, VerdictReason.UNSUPPORTED_SUITE, "sensor " + id + " is provisioned for " + state.seed().suite(),
                    nowSeconds);
        }
        byte[] plaintext = null;
        KeySeed seed = null;
        try {
            seed = seed(state);
            switch (expected) {
                case AUTH -> verifier.verifyAuth(seed, cert, now);
                case SIGN -> verifier.verifySignDigest(seed, cert, dataDigest, now);
                case ENC_UP -> plaintext = verifier.decryptPayload(seed, cert, now);
                default -> throw new IllegalStateException("not a device certificate type: " + expected);
            }
        } catch (VerificationException e) {
            return reject(replyTo, answer, VerdictReason.of(e.reason()), e.getMessage(), nowSeconds);
        } catch (CardException e) {
            context.getLog().error("sensor {}: the card cannot open the sealed seed ({})", id, e.reason());
            return reject(replyTo, answer, VerdictReason.INTERNAL, "the sensor's key record cannot be used", nowSeconds);
        } finally {
            releaseSeed(seed);
        }
        Verdict ok = new Verdict(true, null, null, id, cert.timestamp(), state.seedVersion(), plaintext, nowSeconds);
        ReplayGuard.Decision decision = replay.check(cert.timestamp(), cert.random(), reservedUntil(state), nowSeconds);
        if (decision instanceof ReplayGuard.Reject r) {
            return reject(replyTo, answer, VerdictReason.of(r.reason()), r.message(), nowSeconds);
        }
        accepted++;
        SensorEvent reservation = null;
        if (decision instanceof ReplayGuard.Renew r) {
            reservation = reservationEvent(state, cert.timestamp(), r.until(), true);
        } else if (decision instanceof ReplayGuard.Reserve r) {
            reservation = reservationEvent(state, cert.timestamp(), r.until(), replay.paceKnown());
        }
        if (reservation == null) {
            return Effect().reply(replyTo, answer.apply(ok));
        }
        if (decision instanceof ReplayGuard.Renew) {
            // Covered by the durable reservation: answer now, journal the next one behind the answer
            // (commands wait while it is written; at this sensor's pace the next is seconds away).
            metrics.reservationWritten(false);
            replyTo.tell(answer.apply(ok));
            return Effect().persist(reservation).thenNoReply();
        }
        // Answer only once the reservation covering this timestamp is durable: after a crash the
        // recovered floor then covers every certificate ever accepted.
        metrics.reservationWritten(true);
        return Effect().persist(reservation).thenReply(replyTo, s -> answer.apply(ok));
    }

    /**
     * The event that makes {@code timestamp} durable: joining this node's replay-ledger session when
     * the sensor talked more than once in this incarnation and the session covers the timestamp (then
     * no more writes until it stops), else a reservation of its own up to {@code until}. A sensor
     * heard once per incarnation does not join: it would write a release at each passivation on top
     * of the join.
     */
    private SensorEvent reservationEvent(SensorRecord state, long timestamp, long until, boolean talksAgain) {
        String session = ledger.session();
        if (talksAgain && session != null && ledger.joinable() && !session.equals(state.replayLedgerSession())
                && timestamp <= ledger.durableUntil()) {
            metrics.ledgerJoined();
            return new SensorEvent.ReplayLedgerJoined(session, replay.floor());
        }
        return new SensorEvent.ReplayReservationExtended(until);
    }

    private <R> ReplyEffect<SensorEvent, SensorRecord> reject(ActorRef<R> replyTo, Function<Verdict, R> answer,
                                                             VerdictReason reason, String message, long now) {
        rejected++;
        return Effect().reply(replyTo, answer.apply(Verdict.rejected(sensorId.toString(), reason, message, now)));
    }

    // ---------------------------------------------------------------- key management

    private ReplyEffect<SensorEvent, SensorRecord> provision(SensorRecord state, Provision c) {
        if (isProvisioned(state)) {
            return refuse(c.replyTo(), isRevoked(state) ? RefusalCode.REVOKED : RefusalCode.ALREADY_PROVISIONED,
                    "sensor " + sensorId + (isRevoked(state) ? " is revoked" : " is already provisioned"));
        }
        SeedEnvelope envelope;
        try {
            envelope = SeedEnvelope.decode(c.envelope());
        } catch (MalformedEnvelopeException e) {
            return refuse(c.replyTo(), RefusalCode.BAD_ENVELOPE, e.getMessage());
        }
        if (envelope.kind() != SeedEnvelope.Kind.TRANSPORT || !envelope.sensorId().equals(sensorId)) {
            return refuse(c.replyTo(), RefusalCode.BAD_ENVELOPE, "expected a TRANSPORT envelope for sensor " + sensorId);
        }
        SealedSeed sealed;
        try {
            sealed = card.provision(envelope);
        } catch (CardException e) {
            return cardRefusal(c.replyTo(), e);
        }
        String digest = card.digest(sealed).toString();
        return Effect().persist(new SensorEvent.Provisioned(sealed, digest, now(), c.actor()))
                .thenRun(s -> {
                    card.recordStored(sealed);
                    if (shard != null) {
                        unusedCheck = context.scheduleOnce(unusedAfterProvision, context.getSelf(), new PassivateIfUnused());
                    }
                })
                .thenReply(c.replyTo(), s -> new Done(status(s), null));
    }

    private ReplyEffect<SensorEvent, SensorRecord> startSeedUpdate(SensorRecord state, StartSeedUpdate c) {
        Refused refused = refusal(state);
        if (refused != null) {
            return Effect().reply(c.replyTo(), refused);
        }
        // While an update is pending, answer a fresh COMMAND for the same version (the operator may
        // have lost the first one) without a new event.
        boolean pending = state.pendingSeedVersion() != 0;
        int newVersion = pending ? state.pendingSeedVersion() : state.seedVersion() + 1;
        byte[] command;
        try {
            command = issue(state, new CommandOrder.SeedUpdate(newVersion));
        } catch (SeedExpiredException e) {
            return refuse(c.replyTo(), RefusalCode.SEED_EXPIRED, e.getMessage());
        } catch (CardException e) {
            return cardRefusal(c.replyTo(), e);
        }
        if (pending) {
            return Effect().reply(c.replyTo(), new Done(status(state), command));
        }
        return Effect().persist(new SensorEvent.SeedUpdateStarted(newVersion, now(), c.actor()))
                .thenReply(c.replyTo(), s -> new Done(status(s), command));
    }

    private ReplyEffect<SensorEvent, SensorRecord> completeSeedUpdate(SensorRecord state, CompleteSeedUpdate c) {
        Refused refused = refusal(state);
        if (refused != null) {
            return Effect().reply(c.replyTo(), refused);
        }
        int pending = state.pendingSeedVersion();
        if (pending == 0) {
            return refuse(c.replyTo(), RefusalCode.NO_UPDATE_PENDING, "no seed update was started for sensor " + sensorId);
        }
        SeedEnvelope envelope;
        try {
            envelope = SeedEnvelope.decode(c.envelope());
        } catch (MalformedEnvelopeException e) {
            return refuse(c.replyTo(), RefusalCode.BAD_ENVELOPE, e.getMessage());
        }
        if (envelope.kind() != SeedEnvelope.Kind.UPDATE || !envelope.sensorId().equals(sensorId)) {
            return refuse(c.replyTo(), RefusalCode.BAD_ENVELOPE, "expected an UPDATE envelope for sensor " + sensorId);
        }
        if (envelope.seedVersion() != pending) {
            return refuse(c.replyTo(), RefusalCode.WRONG_SEED_VERSION,
                    "the envelope holds seed version " + envelope.seedVersion() + ", the pending one is " + pending);
        }
        KeySeed current = null;
        KeySeed next = null;
        SealedSeed sealed;
        try {
            current = seed(state);
            next = SeedUpdates.open(current, envelope);
            sealed = card.seal(sensorId, state.seed().suite(), next);
        } catch (VerificationException e) {
            return refuse(c.replyTo(), RefusalCode.BAD_ENVELOPE, "the update envelope does not open: " + e.reason());
        } catch (CardException e) {
            return cardRefusal(c.replyTo(), e);
        } finally {
            releaseSeed(current);
            if (next != null) {
                next.destroy();
            }
        }
        SealedSeed previous = state.seed();
        String digest = card.digest(sealed).toString();
        return Effect().persist(new SensorEvent.SeedUpdated(sealed, digest, now(), c.actor()))
                .thenRun(s -> {
                    card.recordReplaced(previous, sealed);
                    wipeSeed();
                })
                .thenReply(c.replyTo(), s -> new Done(status(s), null));
    }

    private ReplyEffect<SensorEvent, SensorRecord> revoke(SensorRecord state, Revoke c) {
        Refused refused = refusal(state);
        if (refused != null) {
            return Effect().reply(c.replyTo(), refused);
        }
        byte[] command;
        try {
            command = issue(state, new CommandOrder.Revoke(state.seedVersion()));
        } catch (SeedExpiredException e) {
            command = null; // an expired seed cannot tag a command; the revocation itself still holds
        } catch (CardException e) {
            return cardRefusal(c.replyTo(), e);
        }
        byte[] order = command;
        SealedSeed previous = state.seed();
        return Effect().persist(new SensorEvent.Revoked(c.reason(), now(), c.actor()))
                .thenRun(s -> {
                    card.recordRevoked(previous);
                    wipeSeed();
                })
                .thenReply(c.replyTo(), s -> new Done(status(s), order));
    }

    /**
     * K_store rotation: reseals the same seed under the card's current key version. Only moves
     * forward: a record under a version newer than the current one (a node still pinned to the old
     * version during a rolling rotation) is left alone rather than downgraded. The opened seed in
     * memory stays valid (same seed).
     */
    private ReplyEffect<SensorEvent, SensorRecord> rewrap(SensorRecord state, RewrapSeed c) {
        Refused refused = refusal(state);
        if (refused != null) {
            return Effect().reply(c.replyTo(), refused);
        }
        SealedSeed previous = state.seed();
        if (previous.keyVersion() >= card.currentKeyVersion()) {
            return Effect().reply(c.replyTo(), new Rewrapped(status(state), previous.keyVersion()));
        }
        SealedSeed current;
        try {
            current = card.rewrap(previous);
        } catch (CardException e) {
            return cardRefusal(c.replyTo(), e);
        }
        String digest = card.digest(current).toString();
        return Effect().persist(new SensorEvent.SeedRewrapped(current, digest))
                .thenRun(s -> card.recordReplaced(previous, current))
                .thenReply(c.replyTo(), s -> new Rewrapped(status(s), previous.keyVersion()));
    }

    private ReplyEffect<SensorEvent, SensorRecord> encrypt(SensorRecord state, Encrypt c) {
        Refused refused = refusal(state);
        if (refused != null) {
            return Effect().reply(c.replyTo(), refused);
        }
        KeySeed seed = null;
        try {
            seed = seed(state);
            byte[] cert = ISSUER.encryptPayload(seed, state.seed().suite(), sensorId, c.plaintext(), now()).encode();
            return Effect().reply(c.replyTo(), new Done(status(state), cert));
        } catch (SeedExpiredException e) {
            return refuse(c.replyTo(), RefusalCode.SEED_EXPIRED, e.getMessage());
        } catch (CardException e) {
            return cardRefusal(c.replyTo(), e);
        } finally {
            releaseSeed(seed);
        }
    }

    private byte[] issue(SensorRecord state, CommandOrder order) throws SeedExpiredException {
        KeySeed seed = seed(state);
        try {
            return ISSUER.issueCommand(seed, state.seed().suite(), sensorId, order, now()).encode();
        } finally {
            releaseSeed(seed);
        }
    }

    /** Why a key-management command cannot run on this state, or null. */
    private Refused refusal(SensorRecord state) {
        if (!isProvisioned(state)) {
            return unknown();
        }
        return isRevoked(state) ? new Refused(RefusalCode.REVOKED, "sensor " + sensorId + " is revoked") : null;
    }

    private Refused unknown() {
        return new Refused(RefusalCode.UNKNOWN_SENSOR, "sensor " + sensorId + " is not provisioned");
    }

    private ReplyEffect<SensorEvent, SensorRecord> refuse(ActorRef<OperatorReply> replyTo, RefusalCode code, String message) {
        return Effect().reply(replyTo, new Refused(code, message));
    }

    private ReplyEffect<SensorEvent, SensorRecord> cardRefusal(ActorRef<OperatorReply> replyTo, CardException e) {
        if (e.reason() == CardException.Reason.ENVELOPE_REJECTED) {
            return refuse(replyTo, RefusalCode.BAD_ENVELOPE, "the envelope does not open under the transport key");
        }
        context.getLog().error("sensor {}: card operation failed ({})", sensorId, e.reason());
        return refuse(replyTo, RefusalCode.INTERNAL, "the encryption card refused the operation");
    }

    // ---------------------------------------------------------------- seed and clock

    /** The opened seed: cached while active (keep-seed-open), else opened for this request. */
    private KeySeed seed(SensorRecord state) {
        if (openSeed != null) {
            return openSeed;
        }
        KeySeed seed = card.open(state.seed());
        if (settings.keepSeedOpen()) {
            openSeed = seed.keepYearKeySchedule(); // confined to this actor, and wiped with it
        }
        return seed;
    }

    /** Wipes a seed opened for one request (not the cached one). */
    private void releaseSeed(KeySeed seed) {
        if (seed != null && seed != openSeed) {
            seed.destroy();
        }
    }

    private void wipeSeed() {
        if (openSeed != null) {
            openSeed.destroy();
            openSeed = null;
        }
    }

    /** The node's clock, never going backwards within this incarnation (pruned pairs stay stale). */
    private Instant now() {
        long ms = settings.clock().millis();
        lastNow = Math.max(lastNow, ms);
        return Instant.ofEpochMilli(lastNow);
    }

    private SensorStatus status(SensorRecord s) {
        SealedSeed seed = s.seed();
        return new SensorStatus(sensorId.toString(), s.status().name(), s.seedVersion(),
                s.pendingSeedVersion() == 0 ? null : s.pendingSeedVersion(), seed == null ? null : seed.suite().name(),
                seed == null ? 0 : seed.epochYear(), seed == null ? 0 : seed.keyVersion(), s.provisionedAt(),
                s.changedAt(), accepted, rejected, hostedBy);
    }

    private static boolean isProvisioned(SensorRecord s) {
        return s.status() != SensorRecord.Status.NOT_PROVISIONED;
    }

    private static boolean isRevoked(SensorRecord s) {
        return s.status() == SensorRecord.Status.REVOKED;
    }
}
