package org.microcert.cluster.sensor;

import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
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
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorMessages.Authenticate;
import org.microcert.cluster.sensor.SensorMessages.AuthenticateInBatch;
import org.microcert.cluster.sensor.SensorMessages.BatchItemVerdict;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.CompleteSeedUpdate;
import org.microcert.cluster.sensor.SensorMessages.Decrypt;
import org.microcert.cluster.sensor.SensorMessages.Encrypt;
import org.microcert.cluster.sensor.SensorMessages.GetStatus;
import org.microcert.cluster.sensor.SensorMessages.IdleCheck;
import org.microcert.cluster.sensor.SensorMessages.LedgerFloor;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.PassivateIfUnused;
import org.microcert.cluster.sensor.SensorMessages.Provision;
import org.microcert.cluster.sensor.SensorMessages.Revoke;
import org.microcert.cluster.sensor.SensorMessages.RewrapSeed;
import org.microcert.cluster.sensor.SensorMessages.SensorStatus;
import org.microcert.cluster.sensor.SensorMessages.StartSeedUpdate;
import org.microcert.cluster.sensor.SensorMessages.Stop;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.cluster.sensor.SensorMessages.VerifySignature;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CertificateType;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.SensorId;

/**
 * One sensor: an event-sourced entity, sharded by sensor id ({@link SensorSharding}), that verifies
 * the sensor's certificates and manages its seed (docs/cluster.md). This class dispatches commands
 * and turns decisions into effects; the decisions are its pieces':
 * {@link CertificateJudge} (device certificates), {@link KeyLifecycle} (operator commands),
 * {@link SensorReplay} (replay guard, reservations, ledger floor), {@link OpenSeed} (the seed in
 * clear) and {@link Passivation}.
 *
 * <p>The persisted state is the persistence module's {@link SensorRecord}, folded from
 * {@link SensorEvent}s and snapshotted every N events. The replay guard, the opened seed and the
 * counters live in memory only, per incarnation.
 */
public final class SensorEntity
        extends EventSourcedBehaviorWithEnforcedReplies<Command, SensorEvent, SensorRecord> {

    /** The sharding type key (see {@link SensorSharding#TYPE_KEY}). */
    public static final EntityTypeKey<Command> TYPE_KEY = SensorSharding.TYPE_KEY;

    /** Starts sharding of sensor entities on this node, without a replay ledger. */
    public static void initSharding(ActorSystem<?> system, EncryptionCard card, SensorSettings settings) {
        SensorSharding.init(system, card, settings, ReplayLedger.NONE);
    }

    /** Starts sharding of sensor entities on this node (see {@link SensorSharding#init}). */
    public static void initSharding(ActorSystem<?> system, EncryptionCard card, SensorSettings settings,
                                    ReplayLedger ledger) {
        SensorSharding.init(system, card, settings, ledger);
    }

    private final ActorContext<Command> context;
    private final SensorId sensorId;
    private final SensorSettings settings;
    private final Metrics metrics;
    private final String hostedBy;
    private final MonotonicClock clock;
    private final OpenSeed seed;
    private final CertificateJudge judge;
    private final KeyLifecycle keys;
    private final Downlink downlink;
    private final SensorReplay replay;
    private final Passivation passivation;
    private final FailedVerifications failures;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final UnknownSensors unknown;
    private final RecoveryListener listener;
    private final ShardFence fence;
    private long accepted;
    private long rejected;
    private final EntityLife life;

    SensorEntity(ActorContext<Command> context, SensorId sensorId, PersistenceId persistenceId,
                         EncryptionCard card, SensorSettings settings, ReplayLedger ledger,
                         ActorRef<ClusterSharding.ShardCommand> shard, Duration unusedAfterProvision, SeedCache seeds,
                         UnknownSensors unknown, RecoveryListener listener, ShardFence fence) {
        super(persistenceId, SupervisorStrategy.restartWithBackoff(settings.backoffMin(), settings.backoffMax(), 0.2));
        this.context = context;
        this.sensorId = sensorId;
        this.settings = settings;
        this.metrics = Metrics.get(context.getSystem());
        var address = context.getSystem().address();
        this.hostedBy = address.getHost().orElse("local") + ":" + address.getPort().map(String::valueOf).orElse("0");
        this.clock = new MonotonicClock(settings.clock());
        this.seed = new OpenSeed(card, seeds);
        CertificateVerifier verifier = new CertificateVerifier(settings.clockSkew());
        this.judge = new CertificateJudge(sensorId, verifier, seed, context.getLog());
        this.keys = new KeyLifecycle(sensorId, card, seed, clock::now, this::status, context.getLog());
        this.downlink = new Downlink(sensorId, card, seed, verifier, clock::now, this::status, context.getLog(),
                Downlink.beforeExpiry(context.getSystem().settings().config()), metrics);
        this.replay = new SensorReplay(sensorId.toString(), settings, ledger, metrics, context.getLog());
        this.passivation = new Passivation(context, shard, settings, unusedAfterProvision);
        this.shard = shard;
        this.unknown = unknown;
        this.listener = listener;
        this.life = new EntityLife(sensorId, context, metrics, listener, replay, passivation, seed, unknown, shard);
        this.fence = fence;
        this.failures = new FailedVerifications(FailedVerifications.Settings.fromConfig(context.getSystem().settings().config()));
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
                .onSignal(RecoveryCompleted.instance(), life::recovered)
                .onSignal(PreRestart.instance(), state -> life.restarting())
                .onSignal(PostStop.instance(), life::stopped)
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
        if (!replay.ready() && !(command instanceof LedgerFloor)) {
            return Effect().stash(); // the floor is not known yet (SensorReplay.recovered)
        }
        boolean known = state.status() != SensorRecord.Status.NOT_PROVISIONED;
        passivation.arrived(command, known);
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
            return apply(state, keys.provision(state, c.envelope(), c.actor(), c.acceptLegacySeed()), c.replyTo());
        } else if (command instanceof StartSeedUpdate c) {
            return apply(state, keys.startSeedUpdate(state, c.actor()), c.replyTo());
        } else if (command instanceof CompleteSeedUpdate c) {
            return apply(state, keys.completeSeedUpdate(state, c.envelope(), c.actor()), c.replyTo());
        } else if (command instanceof Revoke c) {
            return apply(state, keys.revoke(state, c.reason(), c.actor()), c.replyTo());
        } else if (command instanceof Encrypt c) {
            return apply(state, keys.encrypt(state, c.plaintext()), c.replyTo());
        } else if (command instanceof RewrapSeed c) {
            return apply(state, keys.rewrap(state), c.replyTo());
        } else if (command instanceof SensorMessages.Poll c) {
            return state.status() == SensorRecord.Status.REVOKED && fence.held()
                    ? Effect().reply(c.replyTo(), downlink.revokedPoll(state, c.certificate()))
                    : judge(state, c.certificate(), null, CertificateType.AUTH, c.replyTo(), v -> downlink.answer(state, v));
        } else if (command instanceof SensorMessages.OfferSeed c) {
            return apply(state, keys.completeSeedUpdate(state, c.envelope(), "sensor"), c.replyTo());
        } else if (command instanceof SensorMessages.CancelDownlink c) {
            return apply(state, downlink.cancel(state, c.actor()), c.replyTo());
        } else if (command instanceof GetStatus c) {
            return Effect().reply(c.replyTo(), keys.status(state));
        } else if (command instanceof Stop) {
            SensorEvent release = replay.release(state, clock.now().getEpochSecond());
            // without the lease another node may own the journal: stop without a write
            return release == null || !fence.held() ? Effect().stop().thenNoReply()
                    : Effect().persist(release).thenStop().thenNoReply();
        } else if (command instanceof LedgerFloor c) {
            SensorEvent release = replay.floorAnswered(state, c, context, clock.now().getEpochSecond());
            if (release != null && !fence.held()) {
                return Effect().noReply(); // commands stay stashed: sharding stops this shard (lease lost)
            }
            // The Java DSL has no reply-typed unstashAll; its effects all implement ReplyEffect (no reply here).
            return release == null ? Effect().noReply()
                    : (ReplyEffect<SensorEvent, SensorRecord>) Effect().persist(release).thenUnstashAll();
        } else if (command instanceof PassivateIfUnused) {
            passivation.unusedCheck(accepted + rejected > 0);
            return Effect().noReply();
        } else if (command instanceof IdleCheck) {
            passivation.idleCheck(known);
            return Effect().noReply();
        } else if (command instanceof SensorMessages.RecoveryPermit) {
            return Effect().noReply(); // meant for the stand-in before it (RecoveryGate), late: nothing to do
        }
        // Command is sealed and every kind is above: only a new kind not added here gets this
        throw new IllegalStateException("SensorEntity has no handler for " + command.getClass().getSimpleName());
    }

    /** Judges a device certificate; {@code answer} wraps the verdict in the reply type the caller expects. */
    private <R> ReplyEffect<SensorEvent, SensorRecord> judge(SensorRecord state, byte[] bytes, byte[] dataDigest,
                                                            CertificateType expected, ActorRef<R> replyTo,
                                                            Function<Verdict, R> answer) {
        if (!fence.held()) {
            return Effect().reply(replyTo, answer.apply(fenced()));
        }
        CertificateJudge.Judgement j = judge.judge(state, bytes, dataDigest, expected, replay.guard(),
                replay.reservedUntil(state), clock.now());
        Verdict verdict = j.verdict();
        if (!verdict.accepted()) {
            rejected++;
            Duration delay = verdict.reason() == VerdictReason.BAD_TAG
                    ? failures.failed(settings.clock().millis()) : Duration.ZERO;
            if (!delay.isZero()) {
                // Over the sensor's failure limit: the same answer, later. The entity goes on with
                // its next command at once, so a valid certificate behind it is not held up.
                metrics.failedVerificationDelayed();
                context.scheduleOnce(delay, replyTo, answer.apply(verdict));
                return Effect().noReply();
            }
            return Effect().reply(replyTo, answer.apply(verdict));
        }
        if (!fence.held()) {
            // lapsed while judging (a pause): another node may own the sensor by now
            return Effect().reply(replyTo, answer.apply(fenced()));
        }
        accepted++;
        downlink.askUpdateIfDue(state, clock.now(), context.getSelf(), context.getSystem().ignoreRef());
        CertificateJudge.Reservation r = j.reservation();
        if (j.completes() != null) { // a certificate under an offered seed: the update completes first
            return Effect().persist(downlink.completed(state, j.completes(), r == null ? null
                            : replay.reservation(state, verdict.timestamp(), r))).thenRun(s -> downlink.afterCompleted(state, j))
                    .thenReply(replyTo, s -> answer.apply(fence.held() ? verdict : fenced()));
        }
        if (r == null) {
            return Effect().reply(replyTo, answer.apply(verdict));
        }
        SensorEvent reservation = replay.reservation(state, verdict.timestamp(), r);
        metrics.reservationWritten(r.beforeAnswer());
        if (!r.beforeAnswer()) {
            // Covered by the durable reservation: answer now, journal the next one behind the answer
            // (commands wait while it is written; at this sensor's pace the next is seconds away).
            replyTo.tell(answer.apply(verdict));
            return Effect().persist(reservation).thenNoReply();
        }
        // Answer only once the reservation covering this timestamp is durable: after a crash the
        // recovered floor then covers every certificate ever accepted. Accepted only if the lease
        // still held after the write: a new owner recovers after our hold ended, so it reads it.
        return Effect().persist(reservation).thenReply(replyTo, s -> answer.apply(fence.held() ? verdict : fenced()));
    }

    /** Persists what a key operation decided, then does its card bookkeeping and answers. */
    private ReplyEffect<SensorEvent, SensorRecord> apply(SensorRecord state, KeyLifecycle.Outcome outcome,
                                                        ActorRef<OperatorReply> replyTo) {
        if (outcome.event() == null) {
            return Effect().reply(replyTo, outcome.reply().apply(state));
        }
        if (!fence.held()) {
            return Effect().reply(replyTo, ShardFence.REFUSED);
        }
        if (outcome.ledger() != null) {
            // The card's group commit (many sensors per fsync) runs off this dispatcher: the entity
            // takes its next command at once, the answer goes out once the ledger holds the change.
            return Effect().persist(outcome.event()).thenRun(s -> {
                afterPersist(outcome);
                OperatorReply reply = outcome.reply().apply(s);
                LedgerReply.whenDurable(outcome.ledger(), () -> replyTo.tell(fence.held() ? reply : ShardFence.REFUSED),
                        () -> context.getLog().error("sensor {}: the card's ledger could not record {}; not answered",
                                sensorId, outcome.event().getClass().getSimpleName()));
            }).thenNoReply();
        }
        return Effect().persist(outcome.event())
                .thenRun(s -> afterPersist(outcome))
                // done only if written while the lease held (a new owner then recovers it), else retry
                .thenReply(replyTo, s -> fence.held() ? outcome.reply().apply(s) : ShardFence.REFUSED);
    }

    private Verdict fenced() {
        return ShardFence.unavailable(sensorId, clock.now().getEpochSecond());
    }

    private void afterPersist(KeyLifecycle.Outcome outcome) {
        if (outcome.afterPersist() != null) {
            outcome.afterPersist().run();
        }
        if (outcome.event() instanceof SensorEvent.Provisioned) {
            listener.provisioned();
            passivation.provisioned();
        }
    }

    private SensorStatus status(SensorRecord s) {
        SealedSeed sealed = s.seed();
        return new SensorStatus(sensorId.toString(), s.status().name(), s.seedVersion(),
                s.pendingSeedVersion() == 0 ? null : s.pendingSeedVersion(), sealed == null ? null : sealed.suite().name(),
                sealed == null ? 0 : sealed.epochYear(), sealed == null ? 0 : sealed.keyVersion(), s.provisionedAt(),
                s.changedAt(), accepted, rejected, hostedBy);
    }
}
