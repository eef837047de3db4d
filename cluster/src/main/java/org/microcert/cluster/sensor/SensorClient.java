package org.microcert.cluster.sensor;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.microcert.protocol.SensorId;

/**
 * Asks sensor entities through cluster sharding, wherever in the cluster they live. Replies arrive
 * as CompletionStages that fail with a {@link java.util.concurrent.TimeoutException} when the
 * sensor's shard does not answer within the ask timeout.
 */
public final class SensorClient {

    private final ActorSystem<?> system;
    private final ClusterSharding sharding;
    private final Duration timeout;
    private final ShardAvailability availability;
    /** Names the collectors: static, since two clients on one actor system must not reuse a live name. */
    private static final AtomicLong BATCHES = new AtomicLong();

    public SensorClient(ActorSystem<?> system, Duration timeout) {
        this(system, timeout, ShardAvailability.NONE);
    }

    /**
     * A client that fails at once ({@link ShardUnavailableException}, a TimeoutException) for a sensor
     * whose shard {@code availability} knows cannot answer, and as soon as the node hosting it
     * becomes unreachable for an ask already sent there.
     */
    public SensorClient(ActorSystem<?> system, Duration timeout, ShardAvailability availability) {
        this.system = system;
        this.sharding = ClusterSharding.get(system);
        this.timeout = timeout;
        this.availability = availability;
    }

    public <R> CompletionStage<R> ask(SensorId sensor, Function<ActorRef<R>, SensorMessages.Command> command) {
        if (!availability.available(sensor)) {
            return CompletableFuture.failedFuture(new ShardUnavailableException(sensor));
        }
        CompletionStage<R> asked = sharding.entityRefFor(SensorEntity.TYPE_KEY, sensor.toString()).ask(command::apply, timeout);
        if (availability == ShardAvailability.NONE) {
            return asked;
        }
        CompletableFuture<R> result = new CompletableFuture<>();
        Runnable lost = () -> result.completeExceptionally(new ShardUnavailableException(sensor));
        var home = availability.watch(sensor, lost);
        asked.whenCompleteAsync((r, failure) -> {
            availability.unwatch(home, lost);
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(r);
            }
        }, system.executionContext());
        return result;
    }

    public CompletionStage<SensorMessages.Verdict> authenticate(SensorId sensor, byte[] certificate) {
        return ask(sensor, r -> new SensorMessages.Authenticate(certificate, r));
    }

    /**
     * Authenticates AUTH certificates, each by the sensor it names: one verdict per certificate, in
     * order; {@code UNAVAILABLE} for those whose shard did not answer within the ask timeout.
     */
    public CompletionStage<List<SensorMessages.Verdict>> authenticateAll(List<BatchCollector.Item> items) {
        if (items.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        CompletableFuture<SensorMessages.Verdict[]> result = new CompletableFuture<>();
        try {
            // the region typed sharding registered under the type key's name (what entityRefFor uses)
            org.apache.pekko.actor.ActorRef region = org.apache.pekko.cluster.sharding.ClusterSharding
                    .get(Adapter.toClassic(system)).shardRegion(SensorEntity.TYPE_KEY.name());
            system.systemActorOf(BatchCollector.create(BatchCollector.Dispatch.sharding(region), items, timeout, result,
                            availability),
                    "batch-" + BATCHES.incrementAndGet(), Props.empty());
        } catch (RuntimeException e) { // sharding not started, or the system terminating: no shard can answer
            result.complete(BatchCollector.unavailable(items, new SensorMessages.Verdict[items.size()]));
        }
        return result.thenApply(List::of);
    }

    /** {@code dataDigest}: {@code CertificateVerifier.signDigest} of the signed data (see VerifySignature). */
    public CompletionStage<SensorMessages.Verdict> verify(SensorId sensor, byte[] certificate, byte[] dataDigest) {
        return ask(sensor, r -> new SensorMessages.VerifySignature(certificate, dataDigest, r));
    }

    public CompletionStage<SensorMessages.Verdict> decrypt(SensorId sensor, byte[] certificate) {
        return ask(sensor, r -> new SensorMessages.Decrypt(certificate, r));
    }

    public CompletionStage<SensorMessages.OperatorReply> provision(SensorId sensor, byte[] envelope, String actor) {
        return provision(sensor, envelope, actor, false);
    }

    /** {@code acceptLegacySeed}: the operator's exception to the provisioning policy (docs/http-api.md). */
    public CompletionStage<SensorMessages.OperatorReply> provision(SensorId sensor, byte[] envelope, String actor,
                                                                  boolean acceptLegacySeed) {
        return ask(sensor, r -> new SensorMessages.Provision(envelope, actor, r, acceptLegacySeed));
    }

    public CompletionStage<SensorMessages.OperatorReply> status(SensorId sensor) {
        return ask(sensor, SensorMessages.GetStatus::new);
    }

    public CompletionStage<SensorMessages.OperatorReply> revoke(SensorId sensor, String reason, String actor) {
        return ask(sensor, r -> new SensorMessages.Revoke(reason, actor, r));
    }

    public CompletionStage<SensorMessages.OperatorReply> startSeedUpdate(SensorId sensor, String actor) {
        return ask(sensor, r -> new SensorMessages.StartSeedUpdate(actor, r));
    }

    public CompletionStage<SensorMessages.OperatorReply> completeSeedUpdate(SensorId sensor, byte[] envelope, String actor) {
        return ask(sensor, r -> new SensorMessages.CompleteSeedUpdate(envelope, actor, r));
    }

    public CompletionStage<SensorMessages.OperatorReply> encrypt(SensorId sensor, byte[] plaintext) {
        return ask(sensor, r -> new SensorMessages.Encrypt(plaintext, r));
    }

    public CompletionStage<SensorMessages.OperatorReply> rewrap(SensorId sensor, String actor) {
        return ask(sensor, r -> new SensorMessages.RewrapSeed(actor, r));
    }

    /** The sensor's own upload of its UPDATE envelope ({@link SensorMessages.OfferSeed}). */
    public CompletionStage<SensorMessages.OperatorReply> offerSeed(SensorId sensor, byte[] envelope) {
        return ask(sensor, r -> new SensorMessages.OfferSeed(envelope, r));
    }

    public CompletionStage<SensorMessages.OperatorReply> cancelDownlink(SensorId sensor, String actor) {
        return ask(sensor, r -> new SensorMessages.CancelDownlink(actor, r));
    }
}
