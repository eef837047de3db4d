package org.microcert.cluster.sensor;

import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.Stop;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.protocol.SensorId;

/**
 * Sensor entities under cluster sharding. Entity ids are sensor ids in their 16-hex-digit form,
 * and persistence ids {@code Sensor|<entity id>} (the persistence module's SensorPersistence reads
 * journals by that). Messages are routed by sharding's default extractor ({@code ShardingEnvelope},
 * shards from {@code pekko.cluster.sharding.number-of-shards}): the batch path sends envelopes to
 * the region directly, so the extractor must stay the default.
 */
public final class SensorSharding {

    /** The sharding type key. */
    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Sensor");

    /** Sensor ids remembered as unknown per node (docs/security.md, "Abuse controls"). */
    static final String UNKNOWN_CACHE_SIZE = "microcert.sensor.unknown-cache-size";

    private static final Logger LOG = LoggerFactory.getLogger(SensorSharding.class);

    private SensorSharding() {}

    /**
     * Starts sharding of sensor entities on this node, their busy sensors covered by {@code ledger}.
     * Sharding stops an entity with {@link Stop}, so a graceful stop can release its reservation.
     */
    public static void init(ActorSystem<?> system, EncryptionCard card, SensorSettings settings, ReplayLedger ledger) {
        init(system, card, settings, ledger, null);
    }

    /**
     * As above; {@code provisionedIds} (null: none) lists the sensors in the journal: read at start
     * and every {@code unknown-recoveries.known-ids-reload}, so that their recoveries need no permit
     * of the {@link RecoveryGate}.
     */
    public static void init(ActorSystem<?> system, EncryptionCard card, SensorSettings settings, ReplayLedger ledger,
                            Supplier<Source<SensorId, ?>> provisionedIds) {
        SeedCache seeds = startSeedCache(system, settings);
        Downlink.beforeExpiry(system.settings().config()); // a bad expiry policy stops the node here, not each sensor
        // one negative cache per node, for the shards this node hosts
        var config = system.settings().config();
        UnknownSensors unknown = new UnknownSensors(config.hasPath(UNKNOWN_CACHE_SIZE) ? config.getInt(UNKNOWN_CACHE_SIZE)
                : 65536);
        Metrics metrics = Metrics.get(system);
        RecoveryGate gate = RecoveryGate.fromConfig(config, metrics);
        if (provisionedIds != null && gate.permits() != null) {
            Duration reload = config.getDuration(RecoveryGate.CONFIG + ".known-ids-reload");
            if (reload.isNegative()) {
                throw new IllegalArgumentException(RecoveryGate.CONFIG + ".known-ids-reload must be 0 (only at start) or "
                        + "above, not " + reload.toMillis() + "ms");
            }
            learnProvisioned(system, gate, provisionedIds, reload);
        }
        LongSupplier now = () -> settings.clock().instant().getEpochSecond();
        var fences = ShardFence.forSharding(system, TYPE_KEY.name());
        ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> {
            SensorId id = SensorId.parse(ctx.getEntityId());
            return UnknownSensorGate.create(id, ctx.getShard(), unknown, metrics, now,
                    () -> gate.start(id, ctx.getShard(), now, listener -> SensorEntities.create(id,
                            PersistenceId.of(TYPE_KEY.name(), ctx.getEntityId()), card, settings, ledger, ctx.getShard(),
                            Passivation.UNUSED_AFTER_PROVISION, seeds, unknown, listener, fences.apply(ctx.getEntityId()))));
        }).withStopMessage(new Stop()));
    }

    /** Reads the journal's sensor ids into {@code gate} now and every {@code every} (0: only now). */
    private static void learnProvisioned(ActorSystem<?> system, RecoveryGate gate,
                                         Supplier<Source<SensorId, ?>> ids, Duration every) {
        Runnable load = () -> {
            long started = System.nanoTime();
            ids.get().runFold(0L, (n, id) -> {
                gate.knownProvisioned(id.value());
                return n + 1;
            }, system).whenCompleteAsync((n, failure) -> {
                if (failure != null) {
                    LOG.warn("could not list the provisioned sensors (their first recoveries may wait for a permit): {}",
                            failure.toString());
                } else {
                    gate.metrics().provisionedListed(n);
                    LOG.info("{} provisioned sensor ids listed in {} ms", n, (System.nanoTime() - started) / 1_000_000);
                }
            }, system.executionContext());
        };
        if (every.isZero()) {
            system.scheduler().scheduleOnce(Duration.ZERO, load, system.executionContext());
        } else {
            system.scheduler().scheduleWithFixedDelay(Duration.ZERO, every, load, system.executionContext());
        }
    }

    /** The node's seed cache: its metrics, its idle sweep, and a last wipe when the node stops. */
    static SeedCache startSeedCache(ActorSystem<?> system, SensorSettings settings) {
        SeedCache seeds = settings.newSeedCache(settings.maxOpenSeeds());
        Metrics.get(system).seedCache(seeds::stats);
        if (seeds.keeps()) {
            Duration every = seeds.sweepInterval();
            system.scheduler().scheduleAtFixedRate(every, every, seeds::sweep, system.executionContext());
            // entities wipe their seeds when they stop; this catches whatever a failed stop left
            system.getWhenTerminated().thenRun(seeds::clear);
        }
        return seeds;
    }
}
