package org.microcert.cluster.sensor;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.SensorId;

/** What a {@link SensorEntity} does on its life's signals: recovery completed, restart, stop. */
final class EntityLife {

    private final SensorId sensorId;
    private final ActorContext<SensorMessages.Command> context;
    private final Metrics metrics;
    private final RecoveryListener listener;
    private final SensorReplay replay;
    private final Passivation passivation;
    private final OpenSeed seed;
    private final UnknownSensors unknown;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private boolean counted;

    EntityLife(SensorId sensorId, ActorContext<SensorMessages.Command> context, Metrics metrics, RecoveryListener listener,
               SensorReplay replay, Passivation passivation, OpenSeed seed, UnknownSensors unknown,
               ActorRef<ClusterSharding.ShardCommand> shard) {
        this.sensorId = sensorId;
        this.context = context;
        this.metrics = metrics;
        this.listener = listener;
        this.replay = replay;
        this.passivation = passivation;
        this.seed = seed;
        this.unknown = unknown;
        this.shard = shard;
    }

    void recovered(SensorRecord state) {
        metrics.recovered();
        listener.recovered(state.status() != SensorRecord.Status.NOT_PROVISIONED);
        replay.recovered(state, context.getSelf());
        if (!counted) {
            counted = true;
            metrics.entityStarted();
        }
        passivation.recovered();
    }

    void restarting() {
        seed.wipe();
        passivation.restarting();
    }

    void stopped(SensorRecord state) {
        seed.wipe();
        if (unknown != null && shard != null && state.status() == SensorRecord.Status.NOT_PROVISIONED
                && replay.ready()) {
            // this shard answers the id's next device commands without a recovery (UnknownSensorGate)
            unknown.markUnknown(sensorId.value(), shard);
            metrics.unknownSensorCache("stored");
        }
        passivation.stopped();
        listener.stopped();
        if (counted) {
            counted = false;
            metrics.entityStopped();
        }
    }
}
