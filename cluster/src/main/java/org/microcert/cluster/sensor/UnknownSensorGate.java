package org.microcert.cluster.sensor;

import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.protocol.SensorId;

/**
 * What sharding starts for a sensor id: the {@link SensorEntity}, or, when this shard found the id
 * unprovisioned before ({@link UnknownSensors}), a stand-in without persistence that answers device
 * commands exactly as the entity would ({@code UNKNOWN_SENSOR}) and asks to be passivated. Any other
 * command (a provisioning, a status, ...) makes it forget the id and become the entity, which
 * recovers and handles it.
 */
final class UnknownSensorGate {

    private UnknownSensorGate() {}

    static Behavior<Command> create(SensorId id, ActorRef<ClusterSharding.ShardCommand> shard, UnknownSensors unknown,
                                    Metrics metrics, LongSupplier nowSeconds, Supplier<Behavior<Command>> entity) {
        if (shard == null || !unknown.isUnknown(id.value(), shard)) {
            return entity.get();
        }
        String sensor = id.toString();
        return Behaviors.setup(ctx -> Behaviors.withStash(1, stash -> Behaviors.receive(Command.class)
                .onAnyMessage(c -> {
                    SensorMessages.Verdict v = SensorMessages.Verdict.rejected(sensor, VerdictReason.UNKNOWN_SENSOR,
                            "sensor " + sensor + " is not provisioned", nowSeconds.getAsLong());
                    if (RecoveryGate.isDeviceCall(c)) {
                        RecoveryGate.answer(c, v);
                    } else if (c instanceof SensorMessages.Stop) {
                        return Behaviors.stopped();
                    } else if (c instanceof SensorMessages.IdleCheck || c instanceof SensorMessages.PassivateIfUnused
                            || c instanceof SensorMessages.LedgerFloor || c instanceof SensorMessages.RecoveryPermit) {
                        return Behaviors.same(); // an earlier incarnation's timers: nothing to do
                    } else {
                        unknown.forget(id.value());
                        stash.stash(c);
                        return stash.unstashAll(entity.get());
                    }
                    metrics.unknownSensorCache("hit");
                    shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
                    return Behaviors.same();
                }).build()));
    }
}
