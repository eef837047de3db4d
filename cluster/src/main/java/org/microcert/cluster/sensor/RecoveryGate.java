package org.microcert.cluster.sensor;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.RecoveryPermit;
import org.microcert.protocol.SensorId;

/**
 * Keeps a flood of random sensor ids from taking the key database from real sensors
 * (docs/security.md, "Abuse controls"). Every sensor entity that sharding starts on this node comes
 * through here. An id this node knows to be provisioned ({@link ProvisionedSensors}) recovers at once,
 * within Pekko's {@code max-concurrent-recoveries} as before. Any other id needs one of the node's
 * {@link RecoveryPermits} first: its device calls wait (stashed) for one up to {@code max-wait}, and
 * are answered {@code UNAVAILABLE} (503, retry) when the queue is full or the wait is over. Nothing
 * is ever answered {@code UNKNOWN_SENSOR} here: that still takes a completed recovery (or the
 * negative cache it filled), so a provisioned sensor the node did not know yet is at worst asked to
 * retry. Operator commands (a provisioning, a status, ...) never wait: they recover at once.
 */
final class RecoveryGate {

    static final String CONFIG = "microcert.sensor.unknown-recoveries";

    private final ProvisionedSensors known;
    private final RecoveryPermits permits; // null: off, every id recovers at once
    private final Duration maxWait;
    private final int maxStash;
    private final Metrics metrics;

    RecoveryGate(ProvisionedSensors known, RecoveryPermits permits, Duration maxWait, Metrics metrics) {
        this.known = known;
        this.permits = permits;
        this.maxWait = maxWait;
        this.maxStash = 64;
        this.metrics = metrics;
        if (permits != null) {
            metrics.unknownRecoveries(permits::inUse, permits::waiting, permits::peak);
        }
    }

    /** From {@code microcert.sensor.unknown-recoveries}; a bad value names its setting. */
    static RecoveryGate fromConfig(Config config, Metrics metrics) {
        if (!config.hasPath(CONFIG)) {
            return new RecoveryGate(new ProvisionedSensors(1), null, Duration.ZERO, metrics);
        }
        Config c = config.getConfig(CONFIG);
        int concurrent = atLeast(c, "max-concurrent", 1);
        int waiting = atLeast(c, "max-waiting", 0);
        int capacity = atLeast(c, "known-ids", 1);
        Duration wait = c.getDuration("max-wait");
        if (wait.isNegative() || wait.isZero()) {
            throw new IllegalArgumentException(CONFIG + ".max-wait must be above 0, not " + wait.toMillis() + "ms");
        }
        return new RecoveryGate(new ProvisionedSensors(capacity),
                c.getBoolean("enabled") ? new RecoveryPermits(concurrent, waiting) : null, wait, metrics);
    }

    private static int atLeast(Config c, String key, int min) {
        int v = c.getInt(key);
        if (v < min) {
            throw new IllegalArgumentException(CONFIG + "." + key + " must be at least " + min + ", not " + v);
        }
        return v;
    }

    /** The id is provisioned (the node's sensor listing said so). */
    void knownProvisioned(long id) {
        known.add(id);
    }

    Metrics metrics() {
        return metrics;
    }

    RecoveryPermits permits() {
        return permits;
    }

    /** What sharding starts for {@code id}: the entity (made by {@code entity}), at once or once permitted. */
    Behavior<Command> start(SensorId id, ActorRef<ClusterSharding.ShardCommand> shard, LongSupplier nowSeconds,
                            Function<RecoveryListener, Behavior<Command>> entity) {
        if (permits == null || known.mayContain(id.value())) {
            return entity.apply(learning(id.value(), null));
        }
        return Behaviors.setup(ctx -> {
            RecoveryPermits.Ticket ticket = permits.request(() -> ctx.getSelf().tell(new RecoveryPermit(true)));
            if (ticket == null) {
                metrics.unknownRecovery("refused");
                return refusing(ctx, id, shard, nowSeconds, entity);
            }
            if (ticket.held()) {
                metrics.unknownRecovery("started");
                return entity.apply(learning(id.value(), ticket));
            }
            metrics.unknownRecovery("queued");
            Cancellable timeout = ctx.scheduleOnce(maxWait, ctx.getSelf(), new RecoveryPermit(false));
            return Behaviors.withStash(maxStash, stash -> waiting(ctx, id, shard, nowSeconds, entity, ticket, timeout,
                    stash));
        });
    }

    /** Releases {@code ticket} once the recovery is over, and learns the ids found provisioned. */
    private RecoveryListener learning(long id, RecoveryPermits.Ticket ticket) {
        return new RecoveryListener() {
            @Override
            public void recovered(boolean provisioned) {
                if (provisioned) {
                    known.add(id);
                }
                if (ticket != null) {
                    ticket.release();
                }
            }

            @Override
            public void provisioned() {
                known.add(id);
            }

            @Override
            public void stopped() {
                if (ticket != null) {
                    ticket.release(); // stopped before its recovery completed
                }
            }
        };
    }

    private Behavior<Command> waiting(ActorContext<Command> ctx, SensorId id, ActorRef<ClusterSharding.ShardCommand> shard,
                                      LongSupplier nowSeconds, Function<RecoveryListener, Behavior<Command>> entity,
                                      RecoveryPermits.Ticket ticket, Cancellable timeout,
                                      StashBuffer<Command> stash) {
        return Behaviors.receive(Command.class)
                .onMessage(RecoveryPermit.class, p -> {
                    timeout.cancel();
                    if (p.granted()) {
                        return stash.unstashAll(entity.apply(learning(id.value(), ticket)));
                    }
                    ticket.release();
                    metrics.unknownRecovery("gave_up");
                    return stash.unstashAll(refusing(ctx, id, shard, nowSeconds, entity));
                })
                .onSignal(PostStop.class, s -> {
                    ticket.release(); // stopped while waiting (or granted but not yet told)
                    return Behaviors.same();
                })
                .onAnyMessage(c -> {
                    if (isDeviceCall(c)) {
                        if (stash.isFull()) {
                            answerUnavailable(c, id, nowSeconds);
                        } else {
                            stash.stash(c);
                        }
                        return Behaviors.same();
                    }
                    if (c instanceof SensorMessages.Stop) {
                        return Behaviors.stopped(); // PostStop releases the ticket
                    }
                    if (isOwnTimer(c)) {
                        return Behaviors.same();
                    }
                    // an operator command: it does not wait for a permit
                    timeout.cancel();
                    ticket.release();
                    stash.stash(c);
                    return stash.unstashAll(entity.apply(learning(id.value(), null)));
                }).build();
    }

    /** Answers device calls UNAVAILABLE and asks to be passivated; an operator command makes it the entity. */
    private Behavior<Command> refusing(ActorContext<Command> ctx, SensorId id, ActorRef<ClusterSharding.ShardCommand> shard,
                                       LongSupplier nowSeconds, Function<RecoveryListener, Behavior<Command>> entity) {
        return Behaviors.withStash(1, stash -> Behaviors.receive(Command.class).onAnyMessage(c -> {
            if (isDeviceCall(c)) {
                answerUnavailable(c, id, nowSeconds);
                if (shard != null) {
                    shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
                }
                return Behaviors.same();
            }
            if (c instanceof SensorMessages.Stop) {
                return Behaviors.stopped();
            }
            if (isOwnTimer(c)) {
                return Behaviors.same();
            }
            stash.stash(c);
            return stash.unstashAll(entity.apply(learning(id.value(), null)));
        }).build());
    }

    static boolean isDeviceCall(Command c) {
        return c instanceof SensorMessages.Authenticate || c instanceof SensorMessages.AuthenticateInBatch
                || c instanceof SensorMessages.VerifySignature || c instanceof SensorMessages.Decrypt
                || c instanceof SensorMessages.Poll || c instanceof SensorMessages.OfferSeed;
    }

    private static boolean isOwnTimer(Command c) {
        return c instanceof SensorMessages.IdleCheck || c instanceof SensorMessages.PassivateIfUnused
                || c instanceof SensorMessages.LedgerFloor || c instanceof RecoveryPermit;
    }

    /** Answers a device call as {@code UNAVAILABLE}: the node cannot look the id up now; retry. */
    static void answerUnavailable(Command c, SensorId id, LongSupplier nowSeconds) {
        answer(c, SensorMessages.Verdict.rejected(id.toString(), VerdictReason.UNAVAILABLE,
                "too many sensor ids unknown to this node are being looked up; retry later", nowSeconds.getAsLong()));
    }

    /** Answers the device call {@code c} (see {@link #isDeviceCall}) with {@code v}, in its reply type. */
    static void answer(Command c, SensorMessages.Verdict v) {
        if (c instanceof SensorMessages.Authenticate a) {
            a.replyTo().tell(v);
        } else if (c instanceof SensorMessages.AuthenticateInBatch b) {
            b.replyTo().tell(new SensorMessages.BatchItemVerdict(b.index(), v));
        } else if (c instanceof SensorMessages.VerifySignature s) {
            s.replyTo().tell(v);
        } else if (c instanceof SensorMessages.Decrypt d) {
            d.replyTo().tell(v);
        } else if (c instanceof SensorMessages.Poll p) {
            p.replyTo().tell(new SensorMessages.DownlinkReply(v, java.util.List.of()));
        } else if (c instanceof SensorMessages.OfferSeed o) {
            o.replyTo().tell(new SensorMessages.Refused(v.reason() == VerdictReason.UNKNOWN_SENSOR
                    ? RefusalCode.UNKNOWN_SENSOR : RefusalCode.UNAVAILABLE, v.message()));
        }
    }
}
