package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.sensor.SensorMessages.BatchItemVerdict;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.protocol.SensorId;

/**
 * The fail-fast rules: which shards cannot answer (on an unreachable node, or handed off after its
 * removal) and that a batch answers their items at once and the others normally. The same answer
 * from a real cluster with a SIGKILLed node: {@code NodeLossFailFastTest}.
 */
class ShardAvailabilityTest {

    static final Address A = new Address("pekko", "MicroCert", "127.0.0.1", 2551);
    static final Address B = new Address("pekko", "MicroCert", "127.0.0.1", 2552);
    static final long SECOND = 1_000_000_000L;
    static ActorTestKit testKit;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create("ShardAvailabilityTest");
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    /** A sensor whose shard (of 1000) is {@code shard}. */
    static SensorId sensorOn(ShardAvailability a, String shard) {
        for (long id = 1; ; id++) {
            if (a.shardOf(new SensorId(id)).equals(shard)) {
                return new SensorId(id);
            }
        }
    }

    @Test
    void shardsOfAnUnreachableNodeAreBlockedUntilItsHandOffEndsThenPassToBeAllocatedAgain() {
        ShardAvailability.Homes homes = new ShardAvailability.Homes();
        homes.reported(Map.of(A, Set.of("1", "2"), B, Set.of("3")));
        assertEquals(Set.of(), homes.blocked(0, 2 * SECOND));
        homes.unreachable(B);
        assertEquals(Set.of("3"), homes.blocked(0, 2 * SECOND));
        // a poll while B is unreachable: B does not answer, and keeps its shards
        homes.reported(Map.of(A, Set.of("1", "2")));
        assertEquals(Set.of("3"), homes.blocked(SECOND, 2 * SECOND));
        homes.reachable(B);
        assertEquals(Set.of(), homes.blocked(SECOND, 2 * SECOND));
        homes.unreachable(B);
        homes.removed(B, 10 * SECOND);
        assertEquals(Set.of("3"), homes.blocked(11 * SECOND, 2 * SECOND), "the coordinator still names B");
        assertEquals(Set.of(), homes.blocked(12 * SECOND, 2 * SECOND), "unallocated: the next message allocates it");
        assertNull(homes.homes().get("3"));
        // the shard's new home is learned from the next poll
        homes.reported(Map.of(A, Set.of("1", "2", "3")));
        assertEquals(A, homes.homes().get("3"));
    }

    @Test
    void aNodeThatLeftGracefullyHandedItsShardsOffSoNothingIsBlocked() {
        ShardAvailability.Homes homes = new ShardAvailability.Homes();
        homes.reported(Map.of(A, Set.of("1"), B, Set.of("2")));
        homes.removed(B, 0);
        assertEquals(Set.of(), homes.blocked(0, 2 * SECOND), "a rolling restart or scale-in refuses nothing");
        assertNull(homes.homes().get("2"));
    }

    @Test
    void aShardReportedByItsNewHomeMovesAndIsAvailableAgain() {
        ShardAvailability.Homes homes = new ShardAvailability.Homes();
        homes.reported(Map.of(A, Set.of("1"), B, Set.of("2")));
        homes.unreachable(B);
        homes.reported(Map.of(A, Set.of("1", "2")));
        assertEquals(Set.of(), homes.blocked(0, SECOND));
    }

    @Test
    void aRequestForABlockedShardFailsAtOnceAndOthersPass() {
        ShardAvailability a = new ShardAvailability(1000);
        ShardAvailability.Homes homes = new ShardAvailability.Homes();
        homes.reported(Map.of(A, Set.of("7"), B, Set.of("8")));
        homes.unreachable(B);
        a.publish(homes, 0, SECOND);
        assertFalse(a.available(sensorOn(a, "8")));
        assertTrue(a.available(sensorOn(a, "7")));
        assertTrue(a.available(sensorOn(a, "9")), "a shard nobody reported passes (sharding allocates it)");
    }

    @Test
    void aBatchAnswersItemsOfBlockedShardsAtOnceAndThoseOfANodeLostMeanwhileWhenItIsLost() throws Exception {
        ShardAvailability a = new ShardAvailability(1000);
        ShardAvailability.Homes homes = new ShardAvailability.Homes();
        homes.reported(Map.of(A, Set.of("7"), B, Set.of("8", "9")));
        homes.unreachable(B);
        a.publish(homes, 0, SECOND);
        SensorId healthy = sensorOn(a, "7");
        SensorId down = sensorOn(a, "8");
        List<BatchCollector.Item> items = List.of(new BatchCollector.Item(healthy, new byte[] {1}),
                new BatchCollector.Item(down, new byte[] {2}));
        TestProbe<SensorMessages.AuthenticateInBatch> shards = testKit.createTestProbe();
        CompletableFuture<Verdict[]> result = new CompletableFuture<>();
        // an ask timeout far beyond the test's waits: an answer here is the fail-fast one
        testKit.spawn(BatchCollector.create((id, c) -> shards.ref().tell(c), items, Duration.ofHours(1), result, a));
        SensorMessages.AuthenticateInBatch sent = shards.receiveMessage(Duration.ofSeconds(10));
        assertEquals(0, sent.index(), "only the healthy sensor's item is sent");
        shards.expectNoMessage(Duration.ofMillis(200));
        sent.replyTo().tell(new BatchItemVerdict(0, BatchCollectorTest.accepted(healthy, 5)));
        Verdict[] verdicts = result.get(10, TimeUnit.SECONDS);
        assertTrue(verdicts[0].accepted());
        assertEquals(VerdictReason.UNAVAILABLE, verdicts[1].reason());

        // B reachable again; a batch is sent to it, and B is lost before it answers
        homes.reachable(B);
        a.publish(homes, 0, SECOND);
        SensorId onB = sensorOn(a, "9");
        CompletableFuture<Verdict[]> second = new CompletableFuture<>();
        testKit.spawn(BatchCollector.create((id, c) -> shards.ref().tell(c), List.of(
                new BatchCollector.Item(onB, new byte[] {3}), new BatchCollector.Item(healthy, new byte[] {4})),
                Duration.ofHours(1), second, a));
        List<SensorMessages.AuthenticateInBatch> both = new ArrayList<>(shards.receiveSeveralMessages(2, Duration.ofSeconds(10)));
        both.stream().filter(c -> c.index() == 1).findFirst().orElseThrow().replyTo()
                .tell(new BatchItemVerdict(1, BatchCollectorTest.accepted(healthy, 6)));
        assertFalse(second.isDone());
        homes.unreachable(B);
        a.publish(homes, 0, SECOND);
        a.lost(B);
        Verdict[] after = second.get(10, TimeUnit.SECONDS);
        assertEquals(VerdictReason.UNAVAILABLE, after[0].reason());
        assertTrue(after[1].accepted());
    }
}
