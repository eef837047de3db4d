package org.microcert.cluster.sensor;

import java.time.Duration;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.IdleCheck;
import org.microcert.cluster.sensor.SensorMessages.PassivateIfUnused;
import org.microcert.cluster.sensor.SensorMessages.Provision;
import org.microcert.cluster.sensor.SensorMessages.Stop;

/**
 * When a sensor entity asks its shard to passivate it. Done here rather than by sharding's idle
 * strategy (cluster.conf turns that off): the strategy moves the entity to the back of a recency
 * list on every message, which was a few per cent of the node's CPU in the batch profile, plus the
 * card marks the garbage collector then scans for those pointer writes into old objects. Here a
 * command costs a field write, and a busy entity one timer message per idle timeout.
 *
 * <ul>
 *   <li>idle: no command but the entity's own checks within {@code idle-timeout};</li>
 *   <li>unknown: at once, since certificates naming random ids would each hold an entity in memory;</li>
 *   <li>unused: {@link #UNUSED_AFTER_PROVISION} after a provisioning the sensor did not follow up.</li>
 * </ul>
 * Only under sharding: an entity spawned on its own (tests) has no shard to ask. Confined to its entity.
 */
final class Passivation {

    /**
     * A sensor is provisioned at the factory and usually talks weeks later: its entity is then
     * passivated after this instead of the idle timeout, so that a bulk import does not hold every
     * sensor it imported in memory (a million-line import: gigabytes). Not at once: a sensor that
     * talks right after its import (a test fleet, the demo) would pay a recovery for its first
     * certificate, which costs the node about 3 ms of CPU here (docs/benchmarks.md, the fleet wake).
     */
    static final Duration UNUSED_AFTER_PROVISION = Duration.ofSeconds(30);

    private static final IdleCheck IDLE_CHECK = new IdleCheck();

    private final ActorContext<Command> context;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final SensorSettings settings;
    private final Duration unusedAfterProvision;
    private Cancellable unusedCheck;
    private Cancellable idleCheck;
    // When the last command other than the entity's own checks arrived (the settings' clock, ms).
    private long lastCommandMillis;

    /** {@code shard}: null outside sharding (nothing is ever scheduled or asked then). */
    Passivation(ActorContext<Command> context, ActorRef<ClusterSharding.ShardCommand> shard, SensorSettings settings,
                Duration unusedAfterProvision) {
        this.context = context;
        this.shard = shard;
        this.settings = settings;
        this.unusedAfterProvision = unusedAfterProvision;
    }

    /** The entity recovered: its idle time starts now. */
    void recovered() {
        lastCommandMillis = settings.clock().millis();
        scheduleIdleCheck(settings.idleTimeout());
    }

    /** Before the entity handles {@code command}; {@code known}: the sensor is provisioned. */
    void arrived(Command command, boolean known) {
        if (command instanceof IdleCheck || command instanceof PassivateIfUnused
                || command instanceof SensorMessages.LedgerFloor || command instanceof SensorMessages.RecoveryPermit) {
            return;
        }
        lastCommandMillis = settings.clock().millis();
        if (shard != null && !known && !(command instanceof Stop)) {
            // An unknown sensor's entity leaves at once. Only a Provision can make it known: a check
            // queued behind it sees the outcome.
            if (command instanceof Provision) {
                context.getSelf().tell(IDLE_CHECK);
            } else {
                passivate();
            }
        }
    }

    /** The sensor was provisioned: passivate it unless it talks within the unused delay. */
    void provisioned() {
        if (shard != null) {
            unusedCheck = context.scheduleOnce(unusedAfterProvision, context.getSelf(), new PassivateIfUnused());
        }
    }

    /** The unused delay is over; {@code talked}: the sensor sent a certificate in this incarnation. */
    void unusedCheck(boolean talked) {
        if (!talked) {
            passivate();
        }
    }

    /** An idle check came: passivate, or check again when the entity could have been idle long enough. */
    void idleCheck(boolean known) {
        long idleMillis = settings.clock().millis() - lastCommandMillis;
        long timeoutMillis = settings.idleTimeout().toMillis();
        if (idleMillis >= timeoutMillis || !known) {
            cancelIdleCheck(); // after a refused Provision this check came before the timer
            passivate();
        } else {
            scheduleIdleCheck(Duration.ofMillis(timeoutMillis - Math.max(0, idleMillis)));
        }
    }

    /** The entity restarts after a journal failure: recovery schedules a new check. */
    void restarting() {
        cancelIdleCheck();
    }

    /** The entity stopped (passivated, handed off, shut down): no timer may fire into dead letters. */
    void stopped() {
        if (unusedCheck != null) {
            unusedCheck.cancel();
        }
        cancelIdleCheck();
    }

    private void passivate() {
        if (shard != null) {
            shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
        }
    }

    private void scheduleIdleCheck(Duration delay) {
        if (shard != null) {
            cancelIdleCheck();
            idleCheck = context.scheduleOnce(delay, context.getSelf(), IDLE_CHECK);
        }
    }

    private void cancelIdleCheck() {
        if (idleCheck != null) {
            idleCheck.cancel();
            idleCheck = null;
        }
    }
}
