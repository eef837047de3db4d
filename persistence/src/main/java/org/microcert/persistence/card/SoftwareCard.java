package org.microcert.persistence.card;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.security.UnrecoverableKeyException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.SecretKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The embedded encryption card: K_trans, the K_store versions and the integrity key in a
 * password-protected BCFKS keystore file (Bouncy Castle's FIPS-style keystore: PBKDF2 and AES-CCM
 * around every entry), made by the key ceremony ({@link KeyCeremony}). The keys live in memory
 * while the card is open and are wiped by {@link #close()}; the cryptography runs in the JDK's
 * SunJCE provider (AES-NI).
 */
public final class SoftwareCard extends JceCard {

    private static final Provider BC = new BouncyCastleProvider();
    private static final String KEYSTORE_TYPE = "BCFKS";

    private final Map<Integer, SecretKey> storeKeys;
    private final SecretKey transportKey;
    private final SecretKey integrityKey;

    private SoftwareCard(Path keystore, CardKeys keys, int activeVersion, Path stateFile) {
        super("software card " + keystore, jdkProvider(), keys.transport, keys.store, keys.integrity, activeVersion,
                stateFile);
        this.storeKeys = keys.store;
        this.transportKey = keys.transport;
        this.integrityKey = keys.integrity;
    }

    private record CardKeys(SecretKey transport, Map<Integer, SecretKey> store, SecretKey integrity) {
        /** Copies {@code m} into {@link CardKey}s, each also added to {@code made} as soon as it exists. */
        static CardKeys copyOf(CardKeyMaterial m, List<CardKey> made) {
            Map<Integer, SecretKey> store = new TreeMap<>();
            m.store().forEach((v, k) -> store.put(v, made(made, CardKeyMaterial.AES, k)));
            return new CardKeys(made(made, CardKeyMaterial.AES, m.transport()), store,
                    made(made, CardKeyMaterial.HMAC, m.integrity()));
        }

        private static CardKey made(List<CardKey> made, String algorithm, byte[] raw) {
            CardKey k = new CardKey(algorithm, raw.clone());
            made.add(k);
            return k;
        }
    }

    /** Opens the card in {@code keystore}, sealing under its highest K_store version. */
    public static SoftwareCard open(Path keystore, char[] password, Path stateFile) {
        return open(keystore, password, stateFile, 0);
    }

    /**
     * Opens the card in {@code keystore}.
     *
     * @param password         the keystore password; the caller wipes it
     * @param stateFile        this card's set-digest state file (created on first change)
     * @param activeKeyVersion the K_store version to seal under (during a rotation, before every
     *                         node holds the new version), or 0 for the highest held
     * @throws CardException {@code NOT_FOUND}, {@code WRONG_SECRET}, {@code INVALID_CARD},
     *         {@code STATE_TAMPERED}
     */
    public static SoftwareCard open(Path keystore, char[] password, Path stateFile, int activeKeyVersion) {
        return open(keystore, password, stateFile, activeKeyVersion, new ArrayList<>());
    }

    /**
     * {@link #open(Path, char[], Path, int)}, collecting the in-memory keys it makes in {@code made}
     * (tests look at them): if the card does not open (state file, reference log, key version, IO),
     * {@link #release()} never runs, so they are destroyed here.
     */
    static SoftwareCard open(Path keystore, char[] password, Path stateFile, int activeKeyVersion, List<CardKey> made) {
        CardKeyMaterial m = readKeystore(keystore, password);
        boolean opened = false;
        try {
            SoftwareCard card = new SoftwareCard(keystore, CardKeys.copyOf(m, made), activeKeyVersion, stateFile);
            opened = true;
            return card;
        } finally {
            m.destroy();
            if (!opened) {
                made.forEach(CardKey::destroy);
            }
        }
    }

    /** Reads every MicroCert key of a keystore into memory (the ceremony's and {@link #open}'s loader). */
    static CardKeyMaterial readKeystore(Path keystore, char[] password) {
        return readKeystore(keystore, password, new ArrayList<>());
    }

    /** {@link #readKeystore(Path, char[])}, adding each raw key to {@code read}: all wiped if reading fails. */
    static CardKeyMaterial readKeystore(Path keystore, char[] password, List<byte[]> read) {
        KeyStore ks = loadKeystore(keystore, password);
        boolean complete = false;
        try {
            byte[] transport = read(read, rawKey(ks, keystore, CardKeyMaterial.TRANSPORT_ALIAS, password));
            byte[] integrity = read(read, rawKey(ks, keystore, CardKeyMaterial.INTEGRITY_ALIAS, password));
            TreeMap<Integer, byte[]> store = new TreeMap<>();
            for (String alias : Collections.list(ks.aliases())) {
                int v = CardKeyMaterial.storeVersionOf(alias);
                if (v > 0) {
                    store.put(v, read(read, rawKey(ks, keystore, alias, password)));
                }
            }
            if (store.isEmpty()) {
                throw new CardException(CardException.Reason.INVALID_CARD, keystore + " holds no storage key");
            }
            CardKeyMaterial m = new CardKeyMaterial(transport, store, integrity);
            complete = true;
            return m;
        } catch (GeneralSecurityException e) {
            throw new CardException(CardException.Reason.INVALID_CARD, "cannot read the keys of " + keystore);
        } finally {
            if (!complete) {
                read.forEach(k -> Arrays.fill(k, (byte) 0));
            }
        }
    }

    private static byte[] read(List<byte[]> read, byte[] raw) {
        read.add(raw);
        return raw;
    }

    private static KeyStore loadKeystore(Path keystore, char[] password) {
        byte[] file;
        try {
            file = Files.readAllBytes(keystore);
        } catch (NoSuchFileException e) {
            throw new CardException(CardException.Reason.NOT_FOUND, "no keystore at " + keystore);
        } catch (AccessDeniedException e) {
            throw new CardException(CardException.Reason.NOT_FOUND, "keystore " + keystore + " is not readable");
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot read keystore " + keystore, e);
        }
        try {
            KeyStore ks = KeyStore.getInstance(KEYSTORE_TYPE, BC);
            ks.load(new ByteArrayInputStream(file), password);
            return ks;
        } catch (IOException e) {
            // BCFKS reports a wrong password as a failed MAC over the store, the same as a damaged file.
            if (e.getCause() instanceof UnrecoverableKeyException || String.valueOf(e.getMessage()).contains("MAC")) {
                throw new CardException(CardException.Reason.WRONG_SECRET,
                        "keystore " + keystore + " refused the password (or the file is damaged)");
            }
            throw new CardException(CardException.Reason.INVALID_CARD, keystore + " is not a BCFKS keystore");
        } catch (GeneralSecurityException e) {
            throw new CardException(CardException.Reason.INVALID_CARD, keystore + " is not a BCFKS keystore");
        }
    }

    private static byte[] rawKey(KeyStore ks, Path keystore, String alias, char[] password)
            throws GeneralSecurityException {
        Key k;
        try {
            k = ks.getKey(alias, password);
        } catch (UnrecoverableKeyException e) {
            throw new CardException(CardException.Reason.WRONG_SECRET, "keystore " + keystore
                    + " refused the password for " + alias);
        }
        byte[] raw = k instanceof SecretKey sk ? sk.getEncoded() : null;
        if (raw == null || raw.length != CardKeyMaterial.KEY_BYTES) {
            if (raw != null) {
                Arrays.fill(raw, (byte) 0);
            }
            throw new CardException(CardException.Reason.INVALID_CARD, keystore + " has no 256-bit key " + alias);
        }
        return raw;
    }

    /**
     * Writes {@code keys} as a new BCFKS keystore (owner-only permissions), replacing the file
     * atomically. The keys go straight from memory into the encrypted store.
     */
    static void writeKeystore(Path keystore, char[] password, CardKeyMaterial keys) {
        try {
            KeyStore ks = KeyStore.getInstance(KEYSTORE_TYPE, BC);
            ks.load(null, null);
            KeyStore.PasswordProtection protection = new KeyStore.PasswordProtection(password);
            setKey(ks, CardKeyMaterial.TRANSPORT_ALIAS, CardKeyMaterial.AES, keys.transport(), protection);
            for (Map.Entry<Integer, byte[]> e : keys.store().entrySet()) {
                setKey(ks, CardKeyMaterial.storeAlias(e.getKey()), CardKeyMaterial.AES, e.getValue(), protection);
            }
            setKey(ks, CardKeyMaterial.INTEGRITY_ALIAS, CardKeyMaterial.HMAC, keys.integrity(), protection);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ks.store(out, password);
            Path abs = keystore.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.write(tmp, out.toByteArray());
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot write keystore " + keystore, e);
        } catch (GeneralSecurityException e) {
            throw new CardException(CardException.Reason.IO, "cannot build keystore " + keystore, e);
        }
    }

    private static void setKey(KeyStore ks, String alias, String algorithm, byte[] raw,
                               KeyStore.PasswordProtection protection) throws GeneralSecurityException {
        CardKey k = new CardKey(algorithm, raw.clone());
        try {
            ks.setEntry(alias, new KeyStore.SecretKeyEntry(k), protection);
        } finally {
            k.destroy();
        }
    }

    private static Provider jdkProvider() {
        Provider p = Security.getProvider("SunJCE");
        return p != null ? p : BC;
    }

    @Override
    void release() {
        storeKeys.values().forEach(SoftwareCard::wipe);
        wipe(transportKey);
        wipe(integrityKey);
    }

    private static void wipe(SecretKey k) {
        ((CardKey) k).destroy();
    }
}
