package org.microcert.persistence.card;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

/**
 * The offline key ceremony (the paper's "physical isolation"): makes the center's keys in memory,
 * keeps them in a password-protected master keystore (itself a valid {@link SoftwareCard}), and
 * puts the same keys on every card of the center: software keystores and PKCS#11 tokens, where
 * they land as sensitive, non-extractable objects. No key is ever written in clear; in memory they
 * are wiped when each step ends. Cards are compared by key check values (KCV: the first 3 bytes of
 * AES-ECB of a zero block, or of an HMAC of a fixed label), which reveal nothing useful about a key.
 * A PKCS#11 token can be the master instead ({@link #createOnToken}): its keys are generated inside
 * it and never leave it.
 *
 * <p>Command line: {@link KeyCeremonyCli} and {@code docs/encryption-card.md}.
 */
public final class KeyCeremony {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] KCV_LABEL = "microcert/kcv".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** A card the ceremony writes to. */
    public sealed interface Card permits SoftwareFile, Token {
    }

    /** A software card's keystore file (created if missing) and its password. */
    public record SoftwareFile(Path keystore, char[] password) implements Card {
        @Override
        public String toString() {
            return "software card " + keystore;
        }
    }

    /** A PKCS#11 token and its user PIN. */
    public record Token(Pkcs11Config config, char[] pin) implements Card {
        @Override
        public String toString() {
            return "PKCS#11 card " + config.name();
        }
    }

    private KeyCeremony() {
    }

    /**
     * Creates a master keystore with fresh keys. Refuses to replace an existing file.
     *
     * @return the key check values by key name
     */
    public static SortedMap<String, String> create(Path master, char[] password) {
        CardKeyMaterial m = createMaster(master, password);
        try {
            return checkValues(m);
        } finally {
            m.destroy();
        }
    }

    /**
     * For tests and development only: {@link #create} plus the K_trans that the factory station
     * would load from an export, in one step, without the export file's KDF cost. A production
     * center runs {@code create} and {@code export-transport} offline instead.
     *
     * @return a copy of K_trans (32 bytes); the caller wipes it
     */
    public static byte[] createWithTransportKey(Path master, char[] password) {
        CardKeyMaterial m = createMaster(master, password);
        try {
            return m.transport().clone();
        } finally {
            m.destroy();
        }
    }

    private static CardKeyMaterial createMaster(Path master, char[] password) {
        if (Files.exists(master)) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, master + " already exists; not replacing it");
        }
        if (password.length == 0) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, "the master password is empty");
        }
        CardKeyMaterial m = CardKeyMaterial.generate(RANDOM);
        try {
            SoftwareCard.writeKeystore(master, password, m);
            return m;
        } catch (RuntimeException e) {
            m.destroy();
            throw e;
        }
    }

    /**
     * Puts the master's keys on every card: each card gets the keys it lacks. Checks every card
     * first and changes nothing if one holds a key that differs from the master's (another
     * center's card, or a half-finished ceremony with another master).
     */
    public static void distribute(Path master, char[] password, List<Card> cards) {
        CardKeyMaterial m = SoftwareCard.readKeystore(master, password);
        try {
            SortedMap<String, String> expected = checkValues(m);
            for (Card c : cards) {
                checkSubset(c, checkValues(c), expected);
            }
            for (Card c : cards) {
                put(c, m);
                verifySame(c, expected);
            }
        } finally {
            m.destroy();
        }
    }

    /**
     * Adds K_store version n+1 to the master, then to every card. Every card must hold exactly the
     * master's keys first. If a card fails half-way, the master already holds the new version:
     * {@link #distribute} then completes the others.
     *
     * @return the new version
     */
    public static int rotate(Path master, char[] password, List<Card> cards) {
        CardKeyMaterial m = SoftwareCard.readKeystore(master, password);
        try {
            SortedMap<String, String> before = checkValues(m);
            for (Card c : cards) {
                if (!checkValues(c).equals(before)) {
                    throw new CardException(CardException.Reason.INVALID_CARD, c + " does not hold exactly the master's keys: "
                            + "run 'distribute' first (or it belongs to another center)");
                }
            }
            int v = m.addStoreVersion(RANDOM);
            SoftwareCard.writeKeystore(master, password, m);
            SortedMap<String, String> after = checkValues(m);
            for (Card c : cards) {
                put(c, m);
                verifySame(c, after);
            }
            return v;
        } finally {
            m.destroy();
        }
    }

    /**
     * Creates the center's keys on a PKCS#11 token that is itself the master: K_store v1 and the
     * integrity key are generated inside the token ({@code CKM_AES_KEY_GEN}, and SunPKCS11's
     * HmacSHA256 key generator for a generic secret) as sensitive, non-extractable objects, so they
     * never exist outside it. K_trans is the one key the factory must hold in clear (sensor chips are
     * loaded with it): it is drawn from the JVM's DRBG, written to {@code factoryExport} under
     * {@code exportPassword} first, then imported into the token and wiped. The token must hold no
     * MicroCert key yet; the export file must not exist. Such a master cannot give its keys to
     * other cards ({@link #refuseTokenMasterDistribution}): a multi-card center replicates the token
     * with its vendor's tools (docs/encryption-card.md).
     *
     * @return the key check values by key name
     */
    public static SortedMap<String, String> createOnToken(Token master, Path factoryExport, char[] exportPassword,
                                                          int iterations) {
        Pkcs11Token token = Pkcs11Token.login(master.config(), master.pin());
        byte[] transport = new byte[CardKeyMaterial.KEY_BYTES];
        try {
            if (!token.keys().isEmpty()) {
                throw new CardException(CardException.Reason.INVALID_CARD, master + " already holds keys; "
                        + "a token master is created on an empty token (nothing was changed)");
            }
            RANDOM.nextBytes(transport);
            FactoryTransportKey.write(factoryExport, transport, exportPassword, iterations, RANDOM);
            token.importKey(CardKeyMaterial.TRANSPORT_ALIAS, CardKeyMaterial.AES, transport);
            token.generateKey(CardKeyMaterial.storeAlias(1), CardKeyMaterial.AES);
            token.generateKey(CardKeyMaterial.INTEGRITY_ALIAS, CardKeyMaterial.HMAC);
        } finally {
            java.util.Arrays.fill(transport, (byte) 0);
            token.release();
        }
        return checkValues(master);
    }

    /**
     * Generates K_store version n+1 inside a token master (see {@link #createOnToken}).
     *
     * @return the new version
     */
    public static int rotateOnToken(Token master) {
        Pkcs11Token token = Pkcs11Token.login(master.config(), master.pin());
        try {
            Map<String, SecretKey> keys = token.keys();
            if (!keys.containsKey(CardKeyMaterial.TRANSPORT_ALIAS) || !keys.containsKey(CardKeyMaterial.INTEGRITY_ALIAS)) {
                throw new CardException(CardException.Reason.INVALID_CARD, master + " is not a MicroCert master: "
                        + "it lacks K_trans or the integrity key");
            }
            int v = keys.keySet().stream().mapToInt(CardKeyMaterial::storeVersionOf).max().orElse(0) + 1;
            token.generateKey(CardKeyMaterial.storeAlias(v), CardKeyMaterial.AES);
            return v;
        } finally {
            token.release();
        }
    }

    /**
     * The refusal for copying a token master's keys to other cards: they are non-extractable, and
     * what SunPKCS11 could wrap with would land them in this JVM in clear (docs/encryption-card.md,
     * "Key ceremony on a token").
     */
    public static CardException refuseTokenMasterDistribution(Token master) {
        return new CardException(CardException.Reason.INVALID_ARGUMENT, "the keys of " + master + " were made "
                + "inside it and cannot leave it: replicate the token with its vendor's tools, or use a master keystore");
    }

    /** Writes K_trans wrapped under {@code exportPassword} for the factory station ({@link FactoryTransportKey}). */
    public static void exportTransport(Path master, char[] password, Path out, char[] exportPassword, int iterations) {
        CardKeyMaterial m = SoftwareCard.readKeystore(master, password);
        try {
            FactoryTransportKey.write(out, m.transport(), exportPassword, iterations, RANDOM);
        } finally {
            m.destroy();
        }
    }

    /** The key check values of a card's MicroCert keys by alias; empty for a keystore file that does not exist yet. */
    public static SortedMap<String, String> checkValues(Card card) {
        if (card instanceof SoftwareFile f) {
            if (!Files.exists(f.keystore())) {
                return new TreeMap<>();
            }
            CardKeyMaterial m = SoftwareCard.readKeystore(f.keystore(), f.password());
            try {
                return checkValues(m);
            } finally {
                m.destroy();
            }
        }
        Token t = (Token) card;
        Pkcs11Token token = Pkcs11Token.login(t.config(), t.pin());
        try {
            SortedMap<String, String> out = new TreeMap<>();
            token.keys().forEach((alias, k) -> out.put(alias, kcv(alias, k, token.provider())));
            return out;
        } finally {
            token.release();
        }
    }

    private static SortedMap<String, String> checkValues(CardKeyMaterial m) {
        SortedMap<String, String> out = new TreeMap<>();
        Provider jdk = Security.getProvider("SunJCE");
        out.put(CardKeyMaterial.TRANSPORT_ALIAS, rawKcv(CardKeyMaterial.TRANSPORT_ALIAS, CardKeyMaterial.AES, m.transport(), jdk));
        out.put(CardKeyMaterial.INTEGRITY_ALIAS, rawKcv(CardKeyMaterial.INTEGRITY_ALIAS, CardKeyMaterial.HMAC, m.integrity(), jdk));
        m.store().forEach((v, k) -> out.put(CardKeyMaterial.storeAlias(v),
                rawKcv(CardKeyMaterial.storeAlias(v), CardKeyMaterial.AES, k, jdk)));
        return out;
    }

    private static String rawKcv(String alias, String algorithm, byte[] raw, Provider p) {
        CardKey k = new CardKey(algorithm, raw.clone());
        try {
            return kcv(alias, k, p);
        } finally {
            k.destroy();
        }
    }

    private static String kcv(String alias, SecretKey k, Provider p) {
        try {
            byte[] v;
            if (alias.equals(CardKeyMaterial.INTEGRITY_ALIAS)) {
                Mac mac = Mac.getInstance("HmacSHA256", p);
                mac.init(k);
                v = mac.doFinal(KCV_LABEL);
            } else {
                Cipher c = Cipher.getInstance("AES/ECB/NoPadding", p);
                c.init(Cipher.ENCRYPT_MODE, k);
                v = c.doFinal(new byte[16]);
            }
            return HexFormat.of().formatHex(v, 0, 3);
        } catch (GeneralSecurityException e) {
            throw new CardException(CardException.Reason.IO, "cannot compute the check value of " + alias, e);
        }
    }

    private static void checkSubset(Card c, SortedMap<String, String> present, SortedMap<String, String> expected) {
        for (Map.Entry<String, String> e : present.entrySet()) {
            if (!e.getValue().equals(expected.get(e.getKey()))) {
                throw new CardException(CardException.Reason.INVALID_CARD, c + " already holds a different " + e.getKey()
                        + " than the master (another center's card?); nothing was changed");
            }
        }
    }

    private static void verifySame(Card c, SortedMap<String, String> expected) {
        if (!checkValues(c).equals(expected)) {
            throw new CardException(CardException.Reason.INVALID_CARD, c + " does not show the master's check values after import");
        }
    }

    /** Gives the card the master's keys it lacks. */
    private static void put(Card card, CardKeyMaterial m) {
        if (card instanceof SoftwareFile f) {
            // The whole store is rewritten under the card's own password: it holds only master keys.
            SoftwareCard.writeKeystore(f.keystore(), f.password(), m);
            return;
        }
        Token t = (Token) card;
        Pkcs11Token token = Pkcs11Token.login(t.config(), t.pin());
        try {
            importMissing(token, m);
        } finally {
            token.release();
        }
    }

    /** Imports into the token each of the material's keys it does not hold yet. */
    static void importMissing(Pkcs11Token token, CardKeyMaterial m) {
        Map<String, SecretKey> present = token.keys();
        if (!present.containsKey(CardKeyMaterial.TRANSPORT_ALIAS)) {
            token.importKey(CardKeyMaterial.TRANSPORT_ALIAS, CardKeyMaterial.AES, m.transport());
        }
        if (!present.containsKey(CardKeyMaterial.INTEGRITY_ALIAS)) {
            token.importKey(CardKeyMaterial.INTEGRITY_ALIAS, CardKeyMaterial.HMAC, m.integrity());
        }
        m.store().forEach((v, k) -> {
            if (!present.containsKey(CardKeyMaterial.storeAlias(v))) {
                token.importKey(CardKeyMaterial.storeAlias(v), CardKeyMaterial.AES, k);
            }
        });
    }

    /** The command line: see {@link KeyCeremonyCli}. */
    public static void main(String[] args) {
        KeyCeremonyCli.main(args);
    }
}
