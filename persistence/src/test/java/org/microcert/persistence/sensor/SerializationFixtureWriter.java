package org.microcert.persistence.sensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;

/**
 * Writes the stored serialization fixtures (run by hand, then commit the files):
 * {@code <TypeName>.v<version>.cbor} holds exactly the bytes Pekko writes to the journal's
 * {@code event} column. Never regenerate an existing file: old files are the point. When a class
 * gets a new version, run this to add its new file and keep the old one.
 *
 * <p>Also writes the hand-made version-1 shape of {@code ReplayReservationExtended} (epoch
 * milliseconds in {@code reservedUntil}), which no class of today produces.
 */
final class SerializationFixtureWriter {

    static final Path DIR = Path.of("src/test/resources/serialization-fixtures");

    private SerializationFixtureWriter() {
    }

    public static void main(String[] args) throws IOException {
        ActorSystem system = ActorSystem.create("fixtures", ConfigFactory.load("serialization.conf"));
        try {
            Serialization serialization = SerializationExtension.get(system);
            Files.createDirectories(DIR);
            for (Object event : SensorFixtures.everyEvent()) {
                write(serialization, event);
            }
            write(serialization, SensorFixtures.record());
            ObjectMapper cbor = new CBORMapper();
            byte[] v1 = cbor.writeValueAsBytes(cbor.createObjectNode()
                    .put("type", "replay-reservation-extended").put("reservedUntil", 1_795_000_000_001L));
            Files.write(DIR.resolve("ReplayReservationExtended.v1.cbor"), v1);
        } finally {
            system.terminate();
        }
    }

    private static void write(Serialization serialization, Object message) throws IOException {
        String manifest = Serializers.manifestFor(serialization.findSerializerFor(message), message);
        int hash = manifest.indexOf('#');
        String version = hash < 0 ? "1" : manifest.substring(hash + 1);
        Path file = DIR.resolve(message.getClass().getSimpleName() + ".v" + version + ".cbor");
        if (!Files.exists(file)) {
            Files.write(file, serialization.serialize(message).get());
            System.out.println("wrote " + file);
        }
    }
}
