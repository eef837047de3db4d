package org.microcert.persistence.sensor;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.microcert.protocol.SensorId;

/**
 * A sensor's journal without the service logic: appends given {@link SensorEvent}s under the
 * sensor's persistence id and snapshots its {@link SensorRecord} like {@code SensorEntity} does.
 * Restore writes through it (so restored state is read by the real entity exactly like state it
 * wrote itself), and the persistence benchmark and tests use it. Not a way around the entity's
 * checks in a running service: only offline tools use it.
 */
public final class SensorJournal extends EventSourcedBehaviorWithEnforcedReplies<SensorJournal.Command, SensorEvent, SensorRecord> {

    /** What the journal actor accepts. */
    public sealed interface Command {
    }

    /** Persists {@code events} atomically, then replies with the new state. */
    public record Append(List<SensorEvent> events, ActorRef<SensorRecord> replyTo) implements Command {
        public Append {
            events = List.copyOf(events);
        }
    }

    /**
     * Persists {@code Restored(record)} only if the journal of this sensor is empty; replies with
     * the state either way (the caller compares it with {@code record}).
     */
    public record RestoreIfEmpty(SensorRecord record, ActorRef<SensorRecord> replyTo) implements Command {
    }

    /** Replies with the current state. */
    public record Get(ActorRef<SensorRecord> replyTo) implements Command {
    }

    /** Stops the actor (after the commands before it). */
    public record Stop() implements Command {
    }

    private final ActorContext<Command> context;
    private final SensorId sensorId;
    private final int snapshotEvery;
    private final int keepSnapshots;

    private SensorJournal(ActorContext<Command> context, SensorId sensorId, int snapshotEvery, int keepSnapshots) {
        super(SensorPersistence.persistenceId(sensorId));
        this.context = context;
        this.sensorId = sensorId;
        this.snapshotEvery = snapshotEvery;
        this.keepSnapshots = keepSnapshots;
    }

    /** @param snapshotEvery snapshot every N events ({@code microcert.persistence.snapshot-every-n-events}) */
    public static Behavior<Command> create(SensorId sensorId, int snapshotEvery, int keepSnapshots) {
        return Behaviors.setup(ctx -> new SensorJournal(ctx, sensorId, snapshotEvery, keepSnapshots));
    }

    @Override
    public SensorRecord emptyState() {
        return SensorRecord.empty(sensorId);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(snapshotEvery, keepSnapshots);
    }

    @Override
    public EventHandler<SensorRecord, SensorEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(SensorRecord::apply);
    }

    @Override
    public CommandHandlerWithReply<Command, SensorEvent, SensorRecord> commandHandler() {
        return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Append.class, (state, c) -> Effect().persist(c.events()).thenReply(c.replyTo(), s -> s))
                .onCommand(RestoreIfEmpty.class, this::restore)
                .onCommand(Get.class, (state, c) -> Effect().reply(c.replyTo(), state))
                .onCommand(Stop.class, (state, c) -> Effect().stop().thenNoReply())
                .build();
    }

    private ReplyEffect<SensorEvent, SensorRecord> restore(SensorRecord state, RestoreIfEmpty c) {
        if (lastSequenceNumber(context) > 0) {
            return Effect().reply(c.replyTo(), state);
        }
        return Effect().persist((SensorEvent) new SensorEvent.Restored(c.record())).thenReply(c.replyTo(), s -> s);
    }
}
