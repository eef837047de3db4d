package org.microcert.persistence.sensor;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SensorId;

/** Fixed sample values (no randomness) shared by the serialization tests and the fixture files. */
final class SensorFixtures {

    static final SensorId SENSOR = SensorId.parse("00c0ffee00000001");
    static final Instant AT = Instant.parse("2026-11-25T18:00:00Z");
    static final String DIGEST = "ab".repeat(32);

    private SensorFixtures() {
    }

    static SealedSeed sealed(int seedVersion, int keyVersion, byte fill) {
        return sealed(SENSOR, seedVersion, keyVersion, fill);
    }

    /** A record shaped like a sealed seed (not a real ciphertext: for serialization and state tests). */
    static SealedSeed sealed(SensorId sensor, int seedVersion, int keyVersion, byte fill) {
        byte[] ciphertext = new byte[61 * 16 + 16 + 8];
        Arrays.fill(ciphertext, fill);
        byte[] nonce = new byte[12];
        Arrays.fill(nonce, (byte) 0x11);
        return new SealedSeed(sensor, seedVersion, keyVersion, CipherSuite.AES128, 2026, nonce, ciphertext);
    }

    static SensorRecord record() {
        return SensorRecord.empty(SENSOR)
                .apply(new SensorEvent.Provisioned(sealed(1, 1, (byte) 0x5a), DIGEST, AT, "factory"))
                .apply(new SensorEvent.ReplayReservationExtended(1_795_000_000L));
    }

    /** One of each event type, in the current version. */
    static List<SensorEvent> everyEvent() {
        return List.of(
                new SensorEvent.Provisioned(sealed(1, 1, (byte) 0x5a), DIGEST, AT, "factory"),
                new SensorEvent.ReplayReservationExtended(1_795_000_000L),
                new SensorEvent.ReplayReservationReleased(1_794_999_990L, null), // as written before the list existed
                new SensorEvent.ReplayLedgerJoined("6f0c3c4e-9a57-4c43-a2b6-3f1f0d2b7e11", 1_794_999_995L),
                new SensorEvent.SeedUpdateStarted(2, AT, "operator"),
                new SensorEvent.SeedUpdated(sealed(2, 1, (byte) 0x6b), DIGEST, AT, "sensor"),
                new SensorEvent.Revoked("lost in the field", AT, "operator"),
                new SensorEvent.SeedRewrapped(sealed(2, 2, (byte) 0x7c), DIGEST),
                new SensorEvent.Restored(record()),
                new SensorEvent.SeedUpdateReceived(sealed(2, 1, (byte) 0x6c), DIGEST, "cd".repeat(32), AT, "sensor"),
                new SensorEvent.SeedUpdateCancelled(AT, "operator"),
                new SensorEvent.RevocationDeliveryEnded(true, AT, "sensor"));
    }
}
