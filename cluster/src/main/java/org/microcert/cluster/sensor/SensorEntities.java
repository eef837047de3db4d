package org.microcert.cluster.sensor;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.protocol.SensorId;

/**
 * How a {@link SensorEntity} behavior is made: the full form {@link SensorSharding} uses, and the
 * shorter forms entity tests use outside sharding (each fills what it leaves out with the neutral
 * part: no ledger, no shard, no unknown-id cache, no listener, no fence).
 */
final class SensorEntities {

    private SensorEntities() {}

    /** The behavior of one sensor, outside sharding too (entity tests). */
    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                           SensorSettings settings) {
        return create(sensorId, persistenceId, card, settings, ReplayLedger.NONE, null,
                Passivation.UNUSED_AFTER_PROVISION, settings.newSeedCache(1));
    }

    /** As {@link #create(SensorId, PersistenceId, EncryptionCard, SensorSettings)}, with a replay ledger (tests). */
    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                    SensorSettings settings, ReplayLedger ledger) {
        return create(sensorId, persistenceId, card, settings, ledger, null, Passivation.UNUSED_AFTER_PROVISION,
                settings.newSeedCache(1));
    }

    /** As the create below, with a seed cache of its own (tests). */
    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                    SensorSettings settings, ReplayLedger ledger,
                                    ActorRef<ClusterSharding.ShardCommand> shard, Duration unusedAfterProvision) {
        return create(sensorId, persistenceId, card, settings, ledger, shard, unusedAfterProvision, settings.newSeedCache(1),
                null);
    }

    /** As the full create below, recording unknown ids nowhere. */
    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                    SensorSettings settings, ReplayLedger ledger,
                                    ActorRef<ClusterSharding.ShardCommand> shard, Duration unusedAfterProvision,
                                    SeedCache seeds) {
        return create(sensorId, persistenceId, card, settings, ledger, shard, unusedAfterProvision, seeds, null);
    }

    /** As the full create below, with a seed cache of its own (tests). */
    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                    SensorSettings settings, ReplayLedger ledger,
                                    ActorRef<ClusterSharding.ShardCommand> shard, Duration unusedAfterProvision,
                                    UnknownSensors unknown) {
        return create(sensorId, persistenceId, card, settings, ledger, shard, unusedAfterProvision,
                settings.newSeedCache(1), unknown);
    }

    /** As the full create below, telling its life to nobody. */
    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                    SensorSettings settings, ReplayLedger ledger,
                                    ActorRef<ClusterSharding.ShardCommand> shard, Duration unusedAfterProvision,
                                    SeedCache seeds, UnknownSensors unknown) {
        return create(sensorId, persistenceId, card, settings, ledger, shard, unusedAfterProvision, seeds, unknown,
                RecoveryListener.NONE);
    }

    /**
     * Hosted by {@code shard} (null outside sharding); see {@link Passivation} for {@code unusedAfterProvision}.
     * {@code seeds}: the node's cache of opened seeds, shared by its entities. {@code unknown}: where
     * the entity, stopping unprovisioned, records its id (null: nowhere). {@code listener}: told of its
     * recovery, provisioning and stop ({@link RecoveryGate}).
     */
    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                    SensorSettings settings, ReplayLedger ledger,
                                    ActorRef<ClusterSharding.ShardCommand> shard, Duration unusedAfterProvision,
                                    SeedCache seeds, UnknownSensors unknown, RecoveryListener listener) {
        return create(sensorId, persistenceId, card, settings, ledger, shard, unusedAfterProvision, seeds, unknown,
                listener, ShardFence.NONE);
    }

    /**
     * As above, fenced by {@code fence}: this node's hold on the sensor's shard lease, checked before
     * any accept or journal write (docs/cluster.md "Fencing").
     */
    static Behavior<Command> create(SensorId sensorId, PersistenceId persistenceId, EncryptionCard card,
                                    SensorSettings settings, ReplayLedger ledger,
                                    ActorRef<ClusterSharding.ShardCommand> shard, Duration unusedAfterProvision,
                                    SeedCache seeds, UnknownSensors unknown, RecoveryListener listener,
                                    ShardFence fence) {
        return Behaviors.setup(ctx -> new SensorEntity(ctx, sensorId, persistenceId, card, settings, ledger, shard,
                unusedAfterProvision, seeds, unknown, listener, fence));
    }
}
