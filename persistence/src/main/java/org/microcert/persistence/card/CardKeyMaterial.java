package org.microcert.persistence.card;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.security.auth.Destroyable;

/**
 * The raw keys of one center, in memory only, during a key ceremony or while a software card loads:
 * K_trans, every K_store version and the integrity key, each 32 random bytes. {@link #destroy}
 * wipes them; nothing here is ever written out except through a password-protected keystore, a
 * PKCS#11 token or the wrapped factory export.
 */
final class CardKeyMaterial implements Destroyable {

    static final int KEY_BYTES = 32;
    static final String TRANSPORT_ALIAS = "microcert-k-trans";
    static final String STORE_ALIAS_PREFIX = "microcert-k-store-v";
    static final String INTEGRITY_ALIAS = "microcert-k-integrity";
    /** JCA algorithm names: AES-256 for K_trans/K_store; a generic HMAC key (PKCS#11: CKK_GENERIC_SECRET). */
    static final String AES = "AES";
    static final String HMAC = "HmacSHA256";

    private final byte[] transport;
    private final TreeMap<Integer, byte[]> store;
    private final byte[] integrity;
    private boolean destroyed;

    CardKeyMaterial(byte[] transport, SortedMap<Integer, byte[]> store, byte[] integrity) {
        this.transport = transport;
        this.store = new TreeMap<>(store);
        this.integrity = integrity;
    }

    /** Fresh K_trans, K_store version 1 and integrity key. */
    static CardKeyMaterial generate(SecureRandom random) {
        TreeMap<Integer, byte[]> store = new TreeMap<>();
        store.put(1, fresh(random));
        return new CardKeyMaterial(fresh(random), store, fresh(random));
    }

    /** Adds a fresh K_store version one above the highest and returns its number. */
    int addStoreVersion(SecureRandom random) {
        int v = store.lastKey() + 1;
        store.put(v, fresh(random));
        return v;
    }

    private static byte[] fresh(SecureRandom random) {
        byte[] k = new byte[KEY_BYTES];
        random.nextBytes(k);
        return k;
    }

    static String storeAlias(int version) {
        return STORE_ALIAS_PREFIX + version;
    }

    /** The version named by a K_store alias, or -1 for any other alias. */
    static int storeVersionOf(String alias) {
        if (!alias.startsWith(STORE_ALIAS_PREFIX)) {
            return -1;
        }
        try {
            int v = Integer.parseInt(alias.substring(STORE_ALIAS_PREFIX.length()));
            // one spelling per version: "v02" or "v+2" next to "v2" would be two keys for version 2
            return v >= 1 && storeAlias(v).equals(alias) ? v : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The live arrays (no copies), for writing into a card. */
    byte[] transport() {
        return transport;
    }

    SortedMap<Integer, byte[]> store() {
        return Collections.unmodifiableSortedMap(store);
    }

    byte[] integrity() {
        return integrity;
    }

    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(transport, (byte) 0);
        store.values().forEach(k -> Arrays.fill(k, (byte) 0));
        Arrays.fill(integrity, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "CardKeyMaterial[storage key versions " + store.keySet() + ", keys redacted]";
    }
}
