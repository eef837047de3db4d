package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.sensor.SensorMessages.AuthenticateInBatch;
import org.microcert.cluster.sensor.SensorMessages.BatchItemVerdict;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.protocol.SensorId;

/** The batch collector's bookkeeping: order, duplicates and stray answers, and the timeout. */
class BatchCollectorTest {

    static ActorTestKit testKit;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create("BatchCollectorTest");
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    /** What the collector handed to a shard. */
    record Sent(SensorId sensor, AuthenticateInBatch command) {}

    static Verdict accepted(SensorId id, long timestamp) {
        return new Verdict(true, null, null, id.toString(), timestamp, 1, null, timestamp);
    }

    @Test
    void answersArriveOutOfOrderAndAreReturnedInItemOrder() throws Exception {
        List<BatchCollector.Item> items = List.of(new BatchCollector.Item(new SensorId(1), new byte[] {1}),
                new BatchCollector.Item(new SensorId(2), new byte[] {2}), new BatchCollector.Item(new SensorId(1), new byte[] {3}));
        TestProbe<Sent> shards = testKit.createTestProbe();
        CompletableFuture<Verdict[]> result = new CompletableFuture<>();
        testKit.spawn(BatchCollector.create((id, c) -> shards.ref().tell(new Sent(id, c)), items, Duration.ofSeconds(30),
                result));
        Map<Integer, AuthenticateInBatch> sent = new HashMap<>();
        for (Sent s : shards.receiveSeveralMessages(3, Duration.ofSeconds(10))) {
            // each item goes to the sensor it names, with its own certificate
            assertEquals(items.get(s.command().index()).sensor(), s.sensor());
            assertEquals(items.get(s.command().index()).certificate()[0], s.command().certificate()[0]);
            sent.put(s.command().index(), s.command());
        }
        TestProbe<Verdict[]> completed = testKit.createTestProbe();
        result.thenAccept(completed.ref()::tell);
        sent.get(2).replyTo().tell(new BatchItemVerdict(2, accepted(new SensorId(1), 30)));
        sent.get(0).replyTo().tell(new BatchItemVerdict(0, accepted(new SensorId(1), 10)));
        // a repeated index and an out-of-range one must not complete the batch early
        sent.get(0).replyTo().tell(new BatchItemVerdict(0, accepted(new SensorId(1), 99)));
        sent.get(0).replyTo().tell(new BatchItemVerdict(7, accepted(new SensorId(1), 99)));
        completed.expectNoMessage(Duration.ofMillis(200)); // not before item 1 is answered
        sent.get(1).replyTo().tell(new BatchItemVerdict(1, Verdict.rejected("0000000000000002", VerdictReason.BAD_TAG, "m", 20)));
        Verdict[] v = completed.receiveMessage(Duration.ofSeconds(5));
        assertEquals(10, v[0].timestamp());
        assertEquals(VerdictReason.BAD_TAG, v[1].reason());
        assertEquals(30, v[2].timestamp());
    }

    @Test
    void itemsWithoutAnAnswerAreUnavailableAfterTheTimeout() throws Exception {
        List<BatchCollector.Item> items = List.of(new BatchCollector.Item(new SensorId(1), new byte[] {1}),
                new BatchCollector.Item(new SensorId(2), new byte[] {2}));
        CompletableFuture<Verdict[]> result = new CompletableFuture<>();
        testKit.spawn(BatchCollector.create((id, c) -> {
            if (c.index() == 0) {
                c.replyTo().tell(new BatchItemVerdict(0, accepted(id, 10)));
            } // sensor 2's shard never answers
        }, items, Duration.ofMillis(300), result));
        Verdict[] v = result.get(5, TimeUnit.SECONDS);
        assertTrue(v[0].accepted());
        assertFalse(v[1].accepted());
        assertEquals(VerdictReason.UNAVAILABLE, v[1].reason());
        assertEquals("0000000000000002", v[1].sensorId());
    }

    @Test
    void aCollectorStoppedBeforeItsTimeoutStillAnswersEveryItem() throws Exception {
        List<BatchCollector.Item> items = List.of(new BatchCollector.Item(new SensorId(1), new byte[] {1}));
        CompletableFuture<Verdict[]> result = new CompletableFuture<>();
        var collector = testKit.spawn(BatchCollector.create((id, c) -> { }, items, Duration.ofMinutes(5), result));
        testKit.stop(collector); // as when the actor system terminates under a request
        Verdict[] v = result.get(5, TimeUnit.SECONDS);
        assertEquals(VerdictReason.UNAVAILABLE, v[0].reason());
    }
}
