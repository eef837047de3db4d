package org.microcert.persistence.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Events and snapshots go through Pekko's jackson-cbor serializer as configured in
 * {@code serialization.conf}, and the stored fixture files (bytes as written by earlier versions of
 * the classes) still read into today's classes.
 */
class SensorSerializationTest {

    private static final int JACKSON_CBOR_ID = 33;
    private static ActorSystem system;
    private static Serialization serialization;

    @BeforeAll
    static void start() {
        system = ActorSystem.create("serialization-test", ConfigFactory.load("serialization.conf"));
        serialization = SerializationExtension.get(system);
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    @Test
    void everyEventAndTheSnapshotRoundTripThroughJacksonCbor() {
        List<Object> messages = new java.util.ArrayList<>(SensorFixtures.everyEvent());
        messages.add(SensorFixtures.record());
        // the release's list of randoms, extreme values included, in the event and in the snapshot
        SensorEvent.ReplayReservationReleased release = new SensorEvent.ReplayReservationReleased(1_794_999_990L,
                List.of(Long.MIN_VALUE, -1L, 0L, 42L, Long.MAX_VALUE));
        messages.add(release);
        messages.add(SensorFixtures.record().apply(release));
        // a revocation still being delivered, in the event and in the snapshot's downlink state
        SensorEvent.Revoked revoked = new SensorEvent.Revoked("stolen", SensorFixtures.AT, "operator",
                SensorFixtures.sealed(1, 1, (byte) 0x5a));
        messages.add(revoked);
        messages.add(SensorFixtures.record().apply(revoked));
        for (Object message : messages) {
            Serializer serializer = serialization.findSerializerFor(message);
            assertEquals(JACKSON_CBOR_ID, serializer.identifier(), message.getClass() + " uses jackson-cbor");
            byte[] bytes = serialization.serialize(message).get();
            Object back = serialization.deserialize(bytes, serializer.identifier(),
                    Serializers.manifestFor(serializer, message)).get();
            assertEquals(message, back);
        }
    }

    @Test
    void javaSerializationIsOff() {
        assertTrue(serialization.serialize(new NotMarked()).isFailure(),
                "a Serializable class that is not CborSerializable must not fall back to Java serialization");
    }

    @Test
    void storedFixturesOfEveryVersionStillRead() throws IOException {
        Map<String, Object> expected = new HashMap<>();
        for (Object event : SensorFixtures.everyEvent()) {
            expected.put(event.getClass().getSimpleName() + ".v" + version(event) + ".cbor", event);
        }
        expected.put("SensorRecord.v1.cbor", SensorFixtures.record());
        // version 1 held epoch milliseconds 1_795_000_000_001: rounded up, never down
        expected.put("ReplayReservationExtended.v1.cbor", new SensorEvent.ReplayReservationExtended(1_795_000_001L));

        Path dir = Path.of("src/test/resources/serialization-fixtures");
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".cbor")).sorted().toList();
        }
        assertEquals(expected.keySet(), new java.util.TreeSet<>(files.stream().map(p -> p.getFileName().toString()).toList()),
                "a fixture for every event type and version (new version: run SerializationFixtureWriter, keep old files)");
        for (Path file : files) {
            String name = file.getFileName().toString();
            String type = name.substring(0, name.indexOf(".v"));
            int version = Integer.parseInt(name.substring(name.indexOf(".v") + 2, name.length() - ".cbor".length()));
            String className = type.equals("SensorRecord") ? SensorRecord.class.getName()
                    : SensorEvent.class.getName() + "$" + type;
            String manifest = version == 1 ? className : className + "#" + version;
            Object read = serialization.deserialize(Files.readAllBytes(file), JACKSON_CBOR_ID, manifest).get();
            assertEquals(expected.get(name), read, name);
        }
    }

    @Test
    void anEventOfAnotherSensorCannotEnterTheRecord() {
        SensorRecord other = SensorRecord.empty(org.microcert.protocol.SensorId.parse("00000000000000ff"));
        assertThrows(IllegalArgumentException.class, () -> other.apply(SensorFixtures.everyEvent().get(0)));
        assertFalse(other.hasSeed());
    }

    private static String version(Object message) {
        String manifest = Serializers.manifestFor(serialization.findSerializerFor(message), message);
        return manifest.contains("#") ? manifest.substring(manifest.indexOf('#') + 1) : "1";
    }

    /** Serializable, but not bound to any serializer. */
    static final class NotMarked implements Serializable {
        private static final long serialVersionUID = 1L;
    }
}
