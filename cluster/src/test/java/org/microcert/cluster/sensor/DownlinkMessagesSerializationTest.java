package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.sensor.SensorMessages.DownlinkReply;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Verdict;

/** The downlink's messages cross nodes (gateway to the sensor's node and back): they survive jackson-cbor. */
class DownlinkMessagesSerializationTest {

    private static final ActorTestKit KIT = ActorTestKit.create(SensorEntityFixture.testKitConfig());

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T message) {
        Serialization serialization = SerializationExtension.get(Adapter.toClassic(KIT.system()));
        Serializer serializer = serialization.findSerializerFor(message);
        assertEquals(33, serializer.identifier(), message.getClass().getName() + " uses jackson-cbor");
        byte[] bytes = serialization.serialize(message).get();
        return (T) serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get();
    }

    @Test
    void pollsTheirAnswersUploadsCancelsAndTheLegacyProvisionCrossNodes() {
        TestProbe<DownlinkReply> polls = KIT.createTestProbe();
        TestProbe<OperatorReply> replies = KIT.createTestProbe();
        SensorMessages.Poll poll = roundTrip(new SensorMessages.Poll(new byte[] {1, 2, 3}, polls.ref()));
        assertArrayEquals(new byte[] {1, 2, 3}, poll.certificate());
        assertEquals(polls.ref(), poll.replyTo());

        Verdict v = new Verdict(true, null, null, "00000000000004d2", 5, 2, null, 6);
        DownlinkReply reply = roundTrip(new DownlinkReply(v, List.of(new byte[] {9, 8}, new byte[] {7})));
        assertEquals(v, reply.verdict());
        assertEquals(2, reply.commands().size());
        assertArrayEquals(new byte[] {9, 8}, reply.commands().get(0));
        assertArrayEquals(new byte[] {7}, reply.commands().get(1));

        assertArrayEquals(new byte[] {4}, roundTrip(new SensorMessages.OfferSeed(new byte[] {4}, replies.ref())).envelope());
        assertEquals("carol", roundTrip(new SensorMessages.CancelDownlink("carol", replies.ref())).actor());
        assertTrue(roundTrip(new SensorMessages.Provision(new byte[] {5}, "olga", replies.ref(), true)).acceptLegacySeed());
    }
}
