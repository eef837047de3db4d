package org.microcert.persistence.card;

import java.util.List;
import org.microcert.ops.softhsm.SoftHsm2;

/**
 * A real SoftHSM2 for the tests, made once per test JVM under {@code target/softhsm}: the
 * configuration file that {@code SOFTHSM2_CONF} (set by the persistence pom for Surefire) names,
 * a fresh token directory, and one initialised token per label. Everything happens before the
 * first SunPKCS11 provider loads the library, which reads the configuration only then.
 */
public final class SoftHsm {

    public static final char[] PIN = "user-pin-2468".toCharArray();
    /** Token labels: card-a/b/c for the card contract, the others for single tests (tools: the command-line tools). */
    static final List<String> LABELS = List.of("card-a", "card-b", "card-c", "pin-check", "generated",
            "ceremony-1", "ceremony-2", "tools", "ceremony-master", "ceremony-replica", "wrap-probe");

    private SoftHsm() {
    }

    /** The configuration of the token labelled {@code label}. */
    public static Pkcs11Config token(String label) {
        return Pkcs11Config.slot(Pkcs11Config.SOFTHSM2_LIBRARY, SoftHsm2.slot(LABELS, PIN, label));
    }

    /** Deletes every key from a test token so a test starts with an empty card. */
    static void wipe(String label) {
        Pkcs11Token t = Pkcs11Token.login(token(label), PIN);
        try {
            t.keys().keySet().forEach(t::deleteKey);
        } finally {
            t.release();
        }
    }

    /** Puts the keys of {@code keys} that the token lacks onto it, as the ceremony does. */
    static void putMissing(String label, CardKeyMaterial keys) {
        Pkcs11Token t = Pkcs11Token.login(token(label), PIN);
        try {
            KeyCeremony.importMissing(t, keys);
        } finally {
            t.release();
        }
    }
}
