package org.microcert.persistence.card;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.AuthProvider;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.Security;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.security.auth.login.LoginException;

/**
 * A logged-in PKCS#11 token through the JDK's SunPKCS11 provider, shared by every card of this JVM
 * on the same slot. PKCS#11 login is per process: once a slot is logged in, SunPKCS11 accepts any
 * PIN for a second login. So the first login keeps a salted SHA-256 of the PIN and later logins to
 * the same slot must match it; the token logs out when the last user releases it.
 */
final class Pkcs11Token {

    private static final Map<String, Pkcs11Token> OPEN = new HashMap<>();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String slotKey;
    private final Pkcs11Config config;
    private final Provider provider;
    private final KeyStore keyStore;
    private final byte[] pinSalt = new byte[16];
    private final byte[] pinHash;
    private int users;

    private Pkcs11Token(String slotKey, Pkcs11Config config, Provider provider, KeyStore keyStore, char[] pin) {
        this.slotKey = slotKey;
        this.config = config;
        this.provider = provider;
        this.keyStore = keyStore;
        RANDOM.nextBytes(pinSalt);
        this.pinHash = pinHash(pin);
    }

    /**
     * Logs in (or joins this JVM's login) to the token of {@code config}.
     *
     * @throws CardException {@code NOT_FOUND} (no library), {@code IO} (module or slot failed to
     *         initialise), {@code WRONG_SECRET} (PIN refused)
     */
    static Pkcs11Token login(Pkcs11Config config, char[] pin) {
        String key = config.library() + "#" + config.slot() + "#" + config.slotListIndex();
        synchronized (OPEN) {
            Pkcs11Token t = OPEN.get(key);
            if (t != null) {
                if (!MessageDigest.isEqual(t.pinHash, t.pinHash(pin))) {
                    throw wrongPin(config);
                }
                t.users++;
                return t;
            }
            if (!Files.isRegularFile(config.library())) {
                throw new CardException(CardException.Reason.NOT_FOUND, "no PKCS#11 library at " + config.library());
            }
            Provider p;
            try {
                p = Security.getProvider("SunPKCS11").configure(config.sunPkcs11Config());
            } catch (ProviderException | IllegalArgumentException e) {
                throw new CardException(CardException.Reason.IO, "PKCS#11 token " + config.name()
                        + " failed to initialise (no such slot? for SoftHSM2, SOFTHSM2_CONF must be set before the JVM starts)",
                        e);
            }
            try {
                KeyStore ks = KeyStore.getInstance("PKCS11", p);
                ks.load(null, pin);
                t = new Pkcs11Token(key, config, p, ks, pin);
            } catch (IOException e) {
                if (e.getCause() instanceof java.security.UnrecoverableKeyException
                        || e.getCause() instanceof LoginException) {
                    throw wrongPin(config);
                }
                throw new CardException(CardException.Reason.IO, "cannot log in to PKCS#11 token " + config.name(), e);
            } catch (GeneralSecurityException e) {
                throw new CardException(CardException.Reason.IO, "cannot log in to PKCS#11 token " + config.name(), e);
            }
            t.users = 1;
            OPEN.put(key, t);
            return t;
        }
    }

    private static CardException wrongPin(Pkcs11Config config) {
        return new CardException(CardException.Reason.WRONG_SECRET, "PKCS#11 token " + config.name() + " refused the PIN");
    }

    private byte[] pinHash(char[] pin) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(pinSalt);
            // Encode without an intermediate String, so the PIN copy can be wiped.
            java.nio.ByteBuffer utf8 = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(pin));
            sha.update(utf8.duplicate());
            java.util.Arrays.fill(utf8.array(), (byte) 0);
            return sha.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Drops this user; the last one logs the token out. */
    void release() {
        synchronized (OPEN) {
            if (--users == 0) {
                OPEN.remove(slotKey);
                try {
                    ((AuthProvider) provider).logout();
                } catch (LoginException e) {
                    // Already logged out (token removed): nothing left to protect.
                }
            }
        }
    }

    Provider provider() {
        return provider;
    }

    String name() {
        return config.name();
    }

    /** The token's secret keys by alias (handles; the key values never leave the token). */
    Map<String, SecretKey> keys() {
        synchronized (OPEN) {
            try {
                Map<String, SecretKey> out = new TreeMap<>();
                for (String alias : Collections.list(keyStore.aliases())) {
                    if (keyStore.isKeyEntry(alias) && keyStore.getKey(alias, null) instanceof SecretKey k) {
                        out.put(alias, k);
                    }
                }
                return out;
            } catch (GeneralSecurityException e) {
                throw new CardException(CardException.Reason.IO, "cannot list the keys of PKCS#11 token " + name(), e);
            }
        }
    }

    /**
     * Imports a key made in the ceremony as a sensitive, non-extractable token object. The
     * SunPKCS11 import template applies; {@code raw} stays the caller's to wipe.
     */
    void importKey(String alias, String algorithm, byte[] raw) {
        CardKey k = new CardKey(algorithm, raw.clone());
        try {
            store(alias, k);
        } finally {
            k.destroy();
        }
    }

    /** Generates a key inside the token (it never exists outside it). */
    void generateKey(String alias, String algorithm) {
        try {
            KeyGenerator g = KeyGenerator.getInstance(algorithm, provider);
            g.init(256);
            store(alias, g.generateKey());
        } catch (GeneralSecurityException e) {
            throw new CardException(CardException.Reason.IO, "token " + name() + " cannot generate " + alias, e);
        }
    }

    private void store(String alias, SecretKey k) {
        synchronized (OPEN) {
            try {
                if (keyStore.containsAlias(alias)) {
                    throw new CardException(CardException.Reason.INVALID_CARD, "token " + name() + " already holds " + alias);
                }
                keyStore.setEntry(alias, new KeyStore.SecretKeyEntry(k), null);
            } catch (GeneralSecurityException e) {
                throw new CardException(CardException.Reason.IO, "token " + name() + " refused key " + alias, e);
            }
        }
    }

    /** Deletes a key (tests reuse tokens; a ceremony never deletes). */
    void deleteKey(String alias) {
        synchronized (OPEN) {
            try {
                keyStore.deleteEntry(alias);
            } catch (GeneralSecurityException e) {
                throw new CardException(CardException.Reason.IO, "token " + name() + " cannot delete " + alias, e);
            }
        }
    }
}
