package org.microcert.cluster.backup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.microcert.cluster.ClusterSerializable;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SetDigest;

/**
 * Every node's share of the cards' set digest, exposed to the cluster. A backup audits the journal
 * against the sum of every node's card accumulator, and each node's card holds only its own share
 * (the changes its entities made). So each node runs one {@link #create service} registered with
 * the Receptionist that answers its card's {@link SetDigest} (counts and sums of keyed record digests:
 * no key, no seed) with the card's MAC over it, and {@link #gather} collects the share of every Up
 * member, checking each MAC with its own card (every card of a center holds the same integrity key).
 */
public final class CardDigests {

    /** The Receptionist key of the per-node service. */
    public static final ServiceKey<Request> KEY = ServiceKey.create(Request.class, "microcert-card-digest");

    private CardDigests() {}

    /** A request to a node's service. */
    public sealed interface Request extends ClusterSerializable {}

    /** Asks for the node's card accumulator. */
    public record GetDigest(ActorRef<NodeDigest> replyTo) implements Request {}

    /** One node's card accumulator ({@link SetDigest#toBytes()}) and its card's MAC over it. */
    public record NodeDigest(String node, byte[] setDigest, byte[] mac) implements ClusterSerializable {}

    /** Every Up member's share, added up. */
    public record Gathered(SetDigest digest, List<String> nodes) {}

    /** Some Up members did not answer in time (or had no service registered yet): no complete digest. */
    public static final class MissingNodes extends RuntimeException {
        private final List<String> nodes;

        MissingNodes(List<String> nodes) {
            super("no set-digest state from " + String.join(", ", nodes), null, false, false);
            this.nodes = List.copyOf(nodes);
        }

        public List<String> nodes() {
            return nodes;
        }
    }

    /** A node answered a digest whose MAC does not check under this card (another center's card). */
    public static final class RejectedDigest extends RuntimeException {
        RejectedDigest(String node) {
            super("the set-digest state of " + node + " does not verify under this node's card", null, false, false);
        }
    }

    /** The service of this node: answers {@code card}'s accumulator, registered under {@link #KEY}. */
    public static Behavior<Request> create(EncryptionCard card) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
            String node = name(Cluster.get(ctx.getSystem()).selfMember().address());
            return Behaviors.receive(Request.class).onMessage(GetDigest.class, g -> {
                SetDigest d = card.setDigest();
                g.replyTo().tell(new NodeDigest(node, d.toBytes(), card.mac(d)));
                return Behaviors.same();
            }).build();
        });
    }

    /**
     * Collects the share of every member that is Up now, each within {@code timeout}. This node's
     * own share comes straight from its card; the others' through their registered services. A
     * registration reaches the Receptionist's listing some hundreds of milliseconds after a member
     * starts (distributed data gossip), so an Up member not listed yet is looked up again until the
     * timeout instead of being reported missing at once.
     *
     * @return fails with {@link MissingNodes} naming every Up member without an answer, or
     *     {@link RejectedDigest}
     */
    public static CompletionStage<Gathered> gather(ActorSystem<?> system, EncryptionCard card, Duration timeout) {
        Cluster cluster = Cluster.get(system);
        Address self = cluster.selfMember().address();
        List<Address> others = new ArrayList<>();
        for (Member m : cluster.state().getMembers()) {
            if (m.status() == MemberStatus.up() && !m.address().equals(self)) {
                others.add(m.address());
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        return listed(system, others, deadline).thenComposeAsync(byNode -> {
            Map<String, CompletableFuture<NodeDigest>> answers = new TreeMap<>();
            SetDigest own = card.setDigest();
            answers.put(name(self), CompletableFuture.completedFuture(new NodeDigest(name(self), own.toBytes(), card.mac(own))));
            for (Address a : others) {
                ActorRef<Request> ref = byNode.get(a);
                Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
                answers.put(name(a), ref == null ? CompletableFuture.<NodeDigest>failedFuture(new MissingNodes(List.of()))
                        : AskPattern.<Request, NodeDigest>ask(ref, GetDigest::new, left, system.scheduler())
                                .toCompletableFuture());
            }
            return CompletableFuture.allOf(answers.values().stream()
                            .map(f -> f.handle((d, e) -> null)).toArray(CompletableFuture[]::new))
                    .thenApply(done -> combine(card, answers));
        }, system.executionContext());
    }

    /** The services of {@code wanted}, by node; asks again every 100 ms until all are listed or the deadline. */
    private static CompletionStage<Map<Address, ActorRef<Request>>> listed(ActorSystem<?> system, List<Address> wanted,
                                                                          long deadline) {
        if (wanted.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
        return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
                        r -> Receptionist.find(KEY, r), left, system.scheduler())
                .handle((listing, failure) -> {
                    Map<Address, ActorRef<Request>> byNode = new HashMap<>();
                    if (listing != null) {
                        for (ActorRef<Request> ref : listing.getServiceInstances(KEY)) {
                            byNode.put(ref.path().address(), ref);
                        }
                    }
                    return byNode;
                })
                .thenCompose(byNode -> {
                    if (byNode.keySet().containsAll(wanted) || System.nanoTime() + RETRY.toNanos() >= deadline) {
                        return CompletableFuture.completedFuture(byNode);
                    }
                    CompletableFuture<Map<Address, ActorRef<Request>>> again = new CompletableFuture<>();
                    system.scheduler().scheduleOnce(RETRY, () -> listed(system, wanted, deadline)
                            .whenComplete((m, e) -> {
                                if (e != null) {
                                    again.completeExceptionally(e);
                                } else {
                                    again.complete(m);
                                }
                            }), system.executionContext());
                    return again;
                });
    }

    private static final Duration RETRY = Duration.ofMillis(100);

    private static Gathered combine(EncryptionCard card, Map<String, CompletableFuture<NodeDigest>> answers) {
        List<String> missing = new ArrayList<>();
        SetDigest sum = SetDigest.empty();
        for (Map.Entry<String, CompletableFuture<NodeDigest>> e : answers.entrySet()) {
            if (e.getValue().isCompletedExceptionally()) {
                missing.add(e.getKey());
                continue;
            }
            NodeDigest d = e.getValue().join();
            SetDigest share;
            try {
                share = SetDigest.fromBytes(d.setDigest());
                card.verifyMac(share, d.mac());
            } catch (CardException rejected) {
                throw new RejectedDigest(e.getKey());
            }
            sum = sum.combine(share);
        }
        if (!missing.isEmpty()) {
            throw new MissingNodes(missing);
        }
        return new Gathered(sum, List.copyOf(answers.keySet()));
    }

    /** A member's name as status and errors show it: host:port of its cluster address. */
    static String name(Address a) {
        return a.getHost().orElse("local") + ":" + a.getPort().map(String::valueOf).orElse("0");
    }
}
