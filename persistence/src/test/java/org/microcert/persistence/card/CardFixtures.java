package org.microcert.persistence.card;

import java.nio.file.Path;
import java.security.SecureRandom;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorId;

/** Shared test helpers: ceremony key material, keystores, seeds and transport envelopes. */
final class CardFixtures {

    static final SecureRandom RANDOM = new SecureRandom();
    static final char[] PASSWORD = "correct horse battery staple".toCharArray();

    private CardFixtures() {
    }

    static CardKeyMaterial ceremony() {
        return CardKeyMaterial.generate(RANDOM);
    }

    /** A software card file holding {@code keys}, opened with its state file next to it. */
    static SoftwareCard softwareCard(Path dir, String name, CardKeyMaterial keys) {
        Path ks = dir.resolve(name + ".bcfks");
        SoftwareCard.writeKeystore(ks, PASSWORD, keys);
        return SoftwareCard.open(ks, PASSWORD, dir.resolve(name + ".state"));
    }

    static KeySeed seed(int version) {
        return KeySeed.generate(RANDOM, version, 2026);
    }

    /** What a factory-loaded sensor sends: its seed under AES-256-GCM with K_trans. */
    static SeedEnvelope transportEnvelope(byte[] kTrans, SensorId sensor, KeySeed seed) {
        return SeedEnvelope.sealTransport(kTrans, sensor, CipherSuite.AES128, seed, RANDOM);
    }

    /** The same record with other header fields: what an attacker editing a database row produces. */
    static SealedSeed relabel(SealedSeed s, SensorId sensor, int seedVersion, int keyVersion) {
        return new SealedSeed(sensor, seedVersion, keyVersion, s.suite(), s.epochYear(), s.nonce(), s.ciphertext());
    }

    static SealedSeed flipCiphertextBit(SealedSeed s) {
        byte[] ct = s.ciphertext();
        ct[ct.length / 2] ^= 1;
        return new SealedSeed(s.sensorId(), s.seedVersion(), s.keyVersion(), s.suite(), s.epochYear(), s.nonce(), ct);
    }

    /** The reason of the {@link CardException} that {@code call} throws (fails the test if none). */
    static CardException.Reason reasonOf(org.junit.jupiter.api.function.Executable call) {
        return org.junit.jupiter.api.Assertions.assertThrows(CardException.class, call).reason();
    }
}
