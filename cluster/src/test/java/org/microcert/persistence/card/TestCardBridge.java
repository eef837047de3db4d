package org.microcert.persistence.card;

import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * Test-only access to a fresh software card and its K_trans (what the factory station holds), until
 * the card module's public key-ceremony API is available to other modules.
 */
public final class TestCardBridge {

    private TestCardBridge() {}

    /** A new keystore in {@code dir} with fresh keys; returns K_trans (the factory's copy). */
    public static byte[] writeKeystore(Path keystore, char[] password) {
        CardKeyMaterial keys = CardKeyMaterial.generate(new SecureRandom());
        try {
            SoftwareCard.writeKeystore(keystore, password, keys);
            return keys.transport().clone();
        } finally {
            keys.destroy();
        }
    }
}
