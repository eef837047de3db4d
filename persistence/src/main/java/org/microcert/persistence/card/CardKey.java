package org.microcert.persistence.card;

import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * A software card's key in memory: unlike {@code SecretKeySpec} it can be wiped ({@link #destroy}).
 * JCA providers take a copy through {@link #getEncoded()} for each operation (SunJCE wipes its
 * copy after key expansion); this object owns the one long-lived copy.
 */
final class CardKey implements SecretKey {

    private final String algorithm;
    private final transient byte[] key;
    private volatile boolean destroyed;

    /** Takes ownership of {@code key} (no copy): the caller must not keep or wipe it. */
    CardKey(String algorithm, byte[] key) {
        this.algorithm = algorithm;
        this.key = key;
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    @Override
    public byte[] getEncoded() {
        if (destroyed) {
            throw new CardException(CardException.Reason.CLOSED, "key was wiped");
        }
        return key.clone();
    }

    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "CardKey[" + algorithm + ", " + key.length * 8 + " bits]";
    }
}
