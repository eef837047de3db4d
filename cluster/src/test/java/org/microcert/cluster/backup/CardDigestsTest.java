package org.microcert.cluster.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.Poll;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.node.NodeConfig;
import org.microcert.cluster.TestNode;
import org.microcert.persistence.card.SetDigest;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.protocol.SeedEnvelope;

/**
 * Two cluster members in one JVM (two actor systems joined over Artery, so the digests really cross
 * a serialization boundary), each with its own card accumulator: the digests of every Up member
 * add up, and a member whose card service does not answer is named.
 */
class CardDigestsTest {

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static SoftwareCard cardA;
    static SoftwareCard cardB;
    static ActorSystem<Void> a;
    static ActorSystem<Void> b;
    /** Parent of node b's card service; any message stops the service (node b stays Up). */
    static ActorRef<String> serviceBParent;

    static Config config() {
        return NodeConfig.layered(TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString("""
                pekko.remote.artery.canonical.port = 0
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.cluster.seed-nodes = []
                pekko.coordinated-shutdown.exit-jvm = off
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                """)));
    }

    @BeforeAll
    static void start() throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        cardA = fleet.openCard("a");
        cardB = fleet.openCard("b");
        // Each node stored different records: their shares differ.
        cardA.recordStored(cardA.provision(SeedEnvelope.decode(fleet.transportEnvelope(TestFleet.chip(1, Instant.now())))));
        cardB.recordStored(cardB.provision(SeedEnvelope.decode(fleet.transportEnvelope(TestFleet.chip(2, Instant.now())))));
        cardB.recordStored(cardB.provision(SeedEnvelope.decode(fleet.transportEnvelope(TestFleet.chip(3, Instant.now())))));
        a = ActorSystem.create(Behaviors.empty(), "CardDigestsTest", config());
        b = ActorSystem.create(Behaviors.empty(), "CardDigestsTest", config());
        Cluster.get(a).manager().tell(Join.create(Cluster.get(a).selfMember().address()));
        Cluster.get(b).manager().tell(Join.create(Cluster.get(a).selfMember().address()));
        a.systemActorOf(CardDigests.create(cardA), "card-digests", Props.empty());
        serviceBParent = b.systemActorOf(Behaviors.<String>setup(ctx -> {
            ActorRef<CardDigests.Request> service = ctx.spawn(CardDigests.create(cardB), "card-digests");
            return Behaviors.receiveMessage(stop -> {
                ctx.stop(service);
                return Behaviors.same();
            });
        }), "card-digests-parent", Props.empty());
        awaitUp(a, 2);
    }

    @AfterAll
    static void stop() throws Exception {
        b.terminate();
        a.terminate();
        b.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        a.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        cardA.close();
        cardB.close();
    }

    static void awaitUp(ActorSystem<?> system, int members) throws InterruptedException {
        Poll.until(Duration.ofSeconds(30), members + " members coming Up", () ->
                java.util.stream.StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
                        .filter(m -> m.status() == MemberStatus.up()).count() >= members);
    }

    static CardDigests.Gathered gather() {
        return CardDigests.gather(a, cardA, Duration.ofSeconds(3)).toCompletableFuture().join();
    }

    @Test
    void theDigestsOfEveryUpMemberAddUpAndAMemberThatDoesNotAnswerIsNamed() throws Exception {
        SetDigest expected = cardA.setDigest().combine(cardB.setDigest());
        assertEquals(3, expected.count());
        // Asked as soon as both are Up, before node b's registration has necessarily spread: gather
        // looks again until b's service is listed instead of naming b missing (a backup right after
        // a node start used to fail with 503 CARD_STATE_UNAVAILABLE).
        CardDigests.Gathered gathered = gather();
        assertEquals(expected, gathered.digest());
        assertNotEquals(cardA.setDigest(), gathered.digest(), "not only the asking node's share");
        String nameB = CardDigests.name(Cluster.get(b).selfMember().address());
        assertEquals(List.of(CardDigests.name(Cluster.get(a).selfMember().address()), nameB).stream().sorted().toList(),
                gathered.nodes());

        // Node b stays an Up member but its card service stops: the backup must not go ahead without its share.
        serviceBParent.tell("stop");
        CardDigests.MissingNodes[] refused = new CardDigests.MissingNodes[1];
        Poll.until(Duration.ofSeconds(30), "the gather missing node b after its service stopped", () -> {
            try {
                gather();
                return false;
            } catch (CompletionException e) {
                refused[0] = assertInstanceOf(CardDigests.MissingNodes.class, e.getCause());
                return true;
            }
        });
        CardDigests.MissingNodes missing = refused[0];
        assertEquals(List.of(nameB), missing.nodes());
    }
}
