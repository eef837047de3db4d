package org.microcert.persistence.card;

import java.util.Arrays;
import java.util.Objects;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SensorId;

/**
 * A key seed at rest: the seed's serialised form encrypted by an {@link EncryptionCard} under
 * K_store version {@code keyVersion} with AEAD whose associated data binds sensor id, seed version
 * and key version, so a record copied to another sensor or rolled back to another version fails to
 * open. Holds no secret in clear; safe to journal, snapshot and back up.
 */
public record SealedSeed(SensorId sensorId, int seedVersion, int keyVersion, CipherSuite suite,
                         int epochYear, byte[] nonce, byte[] ciphertext) {

    public SealedSeed {
        Objects.requireNonNull(sensorId, "sensorId");
        Objects.requireNonNull(suite, "suite");
        nonce = nonce.clone();
        ciphertext = ciphertext.clone();
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SealedSeed s && sensorId.equals(s.sensorId) && seedVersion == s.seedVersion
                && keyVersion == s.keyVersion && suite == s.suite && epochYear == s.epochYear
                && Arrays.equals(nonce, s.nonce) && Arrays.equals(ciphertext, s.ciphertext);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sensorId, seedVersion, keyVersion, suite, epochYear, Arrays.hashCode(ciphertext));
    }

    @Override
    public String toString() {
        return "SealedSeed[sensor=" + sensorId + ", seedVersion=" + seedVersion + ", keyVersion=" + keyVersion
                + ", suite=" + suite + ", epochYear=" + epochYear + ", " + ciphertext.length + " bytes sealed]";
    }
}
