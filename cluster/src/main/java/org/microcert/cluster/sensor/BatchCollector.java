package org.microcert.cluster.sensor;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.microcert.cluster.sensor.SensorMessages.AuthenticateInBatch;
import org.microcert.cluster.sensor.SensorMessages.BatchItemVerdict;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.protocol.SensorId;

/**
 * Gathers the verdicts of one batch: one short-lived actor and one timer per batch, where an ask per
 * certificate costs a promise actor, a scheduled timeout and a future chain each (the node's profile
 * of the batch endpoint showed them). Completes with a verdict per item, in item order; an item whose
 * shard did not answer within the timeout is {@code UNAVAILABLE}, like a timed-out ask.
 */
public final class BatchCollector {

    /** One certificate to judge; {@code sensor} is the id it names (decoded by the caller). */
    public record Item(SensorId sensor, byte[] certificate) {}

    private enum Timeout { INSTANCE }

    /** A node hosting some of the items' shards became unreachable: those items cannot be answered. */
    private enum Lost { INSTANCE }

    private BatchCollector() {}

    /** Sends a command to the entity of a sensor (through sharding; directly in tests). */
    interface Dispatch {
        void tell(SensorId sensor, AuthenticateInBatch command);

        /**
         * Through this node's shard region, as an EntityRef's tell does, without an EntityRef per
         * certificate (each one URL-encodes its id: a few per cent of the node's batch profile).
         */
        static Dispatch sharding(org.apache.pekko.actor.ActorRef region) {
            return (sensor, command) -> region.tell(new ShardingEnvelope<>(sensor.toString(), command),
                    org.apache.pekko.actor.ActorRef.noSender());
        }
    }

    /** Items without a verdict yet become UNAVAILABLE, then the batch completes (once: later calls do nothing). */
    private static void completeUnanswered(List<Item> items, Verdict[] verdicts, CompletableFuture<Verdict[]> result) {
        if (result.isDone()) {
            return;
        }
        result.complete(unavailable(items, verdicts));
    }

    private static Verdict unavailable(SensorId sensor) {
        return Verdict.rejected(sensor.toString(), VerdictReason.UNAVAILABLE,
                "the sensor's shard is on an unreachable node or being handed over; retry later",
                System.currentTimeMillis() / 1000);
    }

    /** Fills the positions still null with UNAVAILABLE (the shard did not answer). */
    static Verdict[] unavailable(List<Item> items, Verdict[] verdicts) {
        long now = System.currentTimeMillis() / 1000;
        for (int i = 0; i < verdicts.length; i++) {
            if (verdicts[i] == null) {
                verdicts[i] = Verdict.rejected(items.get(i).sensor().toString(), VerdictReason.UNAVAILABLE,
                        "the sensor's shard did not answer in time", now);
            }
        }
        return verdicts;
    }

    static Behavior<Object> create(Dispatch dispatch, List<Item> items, Duration timeout,
                                   CompletableFuture<Verdict[]> result) {
        return create(dispatch, items, timeout, result, ShardAvailability.NONE);
    }

    /**
     * As above; an item whose shard {@code availability} knows cannot answer is {@code UNAVAILABLE}
     * at once, without being sent, and so are the unanswered items of a node that becomes
     * unreachable meanwhile: the others are not held for the timeout.
     */
    static Behavior<Object> create(Dispatch dispatch, List<Item> items, Duration timeout,
                                   CompletableFuture<Verdict[]> result, ShardAvailability availability) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            ActorRef<BatchItemVerdict> self = ctx.getSelf().narrow();
            Verdict[] verdicts = new Verdict[items.size()];
            int[] answered = {0};
            Runnable lost = () -> ctx.getSelf().tell(Lost.INSTANCE);
            Set<Address> watched = new HashSet<>();
            for (int i = 0; i < items.size(); i++) {
                Item item = items.get(i);
                if (!availability.available(item.sensor())) {
                    verdicts[i] = unavailable(item.sensor());
                    answered[0]++;
                } else {
                    if (availability != ShardAvailability.NONE) {
                        watched.add(availability.watch(item.sensor(), lost));
                    }
                    dispatch.tell(item.sensor(), new AuthenticateInBatch(item.certificate(), i, self));
                }
            }
            if (answered[0] == verdicts.length) {
                result.complete(verdicts);
                return Behaviors.stopped();
            }
            timers.startSingleTimer(Timeout.INSTANCE, timeout);
            return Behaviors.receive(Object.class)
                    .onMessageEquals(Lost.INSTANCE, () -> {
                        for (int i = 0; i < verdicts.length; i++) {
                            if (verdicts[i] == null && !availability.available(items.get(i).sensor())) {
                                verdicts[i] = unavailable(items.get(i).sensor());
                                answered[0]++;
                            }
                        }
                        if (answered[0] == verdicts.length) {
                            watched.forEach(home -> availability.unwatch(home, lost));
                            result.complete(verdicts);
                            return Behaviors.stopped();
                        }
                        return Behaviors.same();
                    })
                    .onMessage(BatchItemVerdict.class, v -> {
                        int i = v.index();
                        // an index is only ever sent once, but a confused or hostile peer must not
                        // complete the batch early: count each position once
                        if (i >= 0 && i < verdicts.length && verdicts[i] == null) {
                            verdicts[i] = v.verdict();
                            if (++answered[0] == verdicts.length) {
                                watched.forEach(home -> availability.unwatch(home, lost));
                                result.complete(verdicts);
                                return Behaviors.stopped();
                            }
                        }
                        return Behaviors.same();
                    })
                    .onMessageEquals(Timeout.INSTANCE, () -> {
                        watched.forEach(home -> availability.unwatch(home, lost));
                        completeUnanswered(items, verdicts, result);
                        return Behaviors.stopped();
                    })
                    // stopped any other way (the actor system terminating): never leave the request hanging
                    .onSignal(PostStop.class, signal -> {
                        watched.forEach(home -> availability.unwatch(home, lost));
                        completeUnanswered(items, verdicts, result);
                        return Behaviors.same();
                    })
                    .build();
        }));
    }
}
