package org.microcert.persistence.card;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.SecretKey;

/**
 * An encryption card on a PKCS#11 token (an HSM; SoftHSM2 in tests) through the JDK's SunPKCS11
 * provider. The keys are sensitive, non-extractable token objects: AES-GCM sealing and opening and
 * the HMAC digests run inside the token. Opening a sealed seed returns the seed to the JVM, because
 * the CSK derivation (AES-CMAC) cannot run in the token through SunPKCS11 on Java 17; see
 * {@code docs/encryption-card.md}. The keys are put on the token by {@link KeyCeremony}.
 */
public final class Pkcs11Card extends JceCard {

    private final Pkcs11Token token;

    private Pkcs11Card(Pkcs11Token token, Keys keys, int activeVersion, Path stateFile) {
        super("PKCS#11 card " + token.name(), token.provider(), keys.transport, keys.store, keys.integrity,
                activeVersion, stateFile);
        this.token = token;
    }

    private record Keys(SecretKey transport, Map<Integer, SecretKey> store, SecretKey integrity) {
    }

    /**
     * Logs in to the token and opens the card.
     *
     * @param pin              the user PIN; the caller wipes it
     * @param stateFile        this card's set-digest state file
     * @param activeKeyVersion the K_store version to seal under, or 0 for the highest held
     * @throws CardException {@code NOT_FOUND}, {@code IO}, {@code WRONG_SECRET}, {@code INVALID_CARD}
     *         (the token lacks MicroCert keys), {@code STATE_TAMPERED}
     */
    public static Pkcs11Card open(Pkcs11Config config, char[] pin, Path stateFile, int activeKeyVersion) {
        Pkcs11Token token = Pkcs11Token.login(config, pin);
        try {
            return new Pkcs11Card(token, keysOf(token), activeKeyVersion, stateFile);
        } catch (RuntimeException e) {
            token.release();
            throw e;
        }
    }

    private static Keys keysOf(Pkcs11Token token) {
        Map<String, SecretKey> all = token.keys();
        SecretKey transport = all.get(CardKeyMaterial.TRANSPORT_ALIAS);
        SecretKey integrity = all.get(CardKeyMaterial.INTEGRITY_ALIAS);
        Map<Integer, SecretKey> store = new TreeMap<>();
        all.forEach((alias, k) -> {
            int v = CardKeyMaterial.storeVersionOf(alias);
            if (v > 0) {
                store.put(v, k);
            }
        });
        if (transport == null || integrity == null || store.isEmpty()) {
            throw new CardException(CardException.Reason.INVALID_CARD, "PKCS#11 token " + token.name()
                    + " does not hold MicroCert keys (run the key ceremony)");
        }
        return new Keys(transport, store, integrity);
    }

    @Override
    void release() {
        token.release();
    }
}
