package org.microcert.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.microcert.ops.softhsm.SoftHsm2;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.card.Pkcs11Config;

/**
 * Real SoftHSM2 tokens for nodes on a PKCS#11 card: made once per test JVM (ops's {@link SoftHsm2}),
 * each with the user PIN {@link #PIN}, empty until a test puts a ceremony's keys on one.
 */
public final class TestTokens {

    public static final char[] PIN = "node-pin-8642".toCharArray();
    /** node-1/node-2: nodes' cards; empty: a token the ceremony never wrote to; bench: the benchmark. */
    static final List<String> LABELS = List.of("node-1", "node-2", "empty", "bench");

    private TestTokens() {
    }

    /** The token labelled {@code label}. */
    public static Pkcs11Config token(String label) {
        return Pkcs11Config.slot(SoftHsm2.LIBRARY, SoftHsm2.slot(LABELS, PIN, label));
    }

    /** Writes the card properties file of {@code label}'s token into {@code dir}, as an operator would. */
    public static Path configFile(Path dir, String label) {
        Pkcs11Config c = token(label);
        try {
            return Files.writeString(dir.resolve(label + ".properties"),
                    "library = " + c.library() + "\nslot = " + c.slot() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The key ceremony's card for {@code label}'s token. */
    public static KeyCeremony.Token ceremonyCard(String label) {
        return new KeyCeremony.Token(token(label), PIN.clone());
    }

    /** Puts the fleet's keys (its master keystore) on {@code label}'s token, as {@code key-ceremony distribute} does. */
    public static void distribute(TestFleet fleet, String label) {
        KeyCeremony.distribute(fleet.keystore(), TestFleet.PASSWORD.clone(), List.of(ceremonyCard(label)));
    }
}
