package org.microcert.persistence.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.security.spec.InvalidKeySpecException;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SensorId;

/**
 * The key ceremony with a real SoftHSM2 token as its master: keys generated inside the token and
 * not extractable, a card on that token that works, rotation inside the token, and distribution
 * refused. Also pins what SunPKCS11 (this JDK) and SoftHSM2 offer for moving a key between tokens,
 * as docs/encryption-card.md states it ("Key ceremony on a token"): a JDK that adds a mechanism
 * fails here, and the doc must then be revised.
 */
class KeyCeremonyTokenTest {

    @TempDir
    Path dir;
    final Map<String, String> env = Map.of("TOKEN_PIN", new String(SoftHsm.PIN), "EXPORT_PW", "factory export password");
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path master;
    Path replica;

    @BeforeEach
    void setUp() throws IOException {
        SoftHsm.wipe("ceremony-master");
        SoftHsm.wipe("ceremony-replica");
        master = tokenConfig("ceremony-master");
        replica = tokenConfig("ceremony-replica");
    }

    private Path tokenConfig(String label) throws IOException {
        Pkcs11Config c = SoftHsm.token(label);
        return Files.writeString(dir.resolve(label + ".properties"), "library = " + c.library() + "\nslot = " + c.slot() + "\n");
    }

    private int ceremony(String... args) {
        return KeyCeremonyCli.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private int createOnMaster(Path export) {
        return ceremony("create", "--master-pkcs11", master.toString(), "--pin-env", "TOKEN_PIN",
                "--out", export.toString(), "--password-env", "EXPORT_PW", "--iterations", "100000");
    }

    @Test
    void theCeremonyMakesNonExtractableKeysInsideTheTokenAndACardOnItWorks() throws Exception {
        Path export = dir.resolve("factory.mctk");
        assertEquals(0, createOnMaster(export), err::toString);
        assertTrue(out.toString().contains("microcert-k-store-v1  kcv "), out::toString);
        byte[] kTrans = FactoryTransportKey.load(export, env.get("EXPORT_PW").toCharArray());

        Pkcs11Token token = Pkcs11Token.login(SoftHsm.token("ceremony-master"), SoftHsm.PIN);
        try {
            Map<String, SecretKey> keys = token.keys();
            assertEquals(List.of(CardKeyMaterial.INTEGRITY_ALIAS, CardKeyMaterial.storeAlias(1), CardKeyMaterial.TRANSPORT_ALIAS),
                    List.copyOf(keys.keySet()));
            KeyPair attacker = KeyPairGenerator.getInstance("RSA").generateKeyPair();
            for (Map.Entry<String, SecretKey> k : keys.entrySet()) {
                assertNull(k.getValue().getEncoded(), k.getKey() + " reads out");
                if (k.getValue().getAlgorithm().equals("AES")) {
                    assertThrows(InvalidKeySpecException.class, () -> SecretKeyFactory.getInstance("AES", token.provider())
                            .getKeySpec(k.getValue(), SecretKeySpec.class), k.getKey());
                }
                // wrapping under a key the attacker holds is the other way out: CKR_KEY_UNEXTRACTABLE
                Cipher wrap = Cipher.getInstance("RSA/ECB/PKCS1Padding", token.provider());
                wrap.init(Cipher.WRAP_MODE, attacker.getPublic());
                assertThrows(InvalidKeyException.class, () -> wrap.wrap(k.getValue()), k.getKey());
            }
        } finally {
            token.release();
        }

        try (Pkcs11Card card = Pkcs11Card.open(SoftHsm.token("ceremony-master"), SoftHsm.PIN, dir.resolve("m.state"), 0)) {
            KeySeed seed = CardFixtures.seed(1);
            SealedSeed sealed = card.provision(CardFixtures.transportEnvelope(kTrans, new SensorId(7), seed));
            assertEquals(1, sealed.keyVersion());
            assertTrue(card.open(sealed).sameSecretAs(seed));
            card.verify(sealed, card.digest(sealed));
            card.recordStored(sealed);
            assertEquals(1, card.setDigest().count());
        }

        assertEquals(0, ceremony("rotate", "--master-pkcs11", master.toString(), "--pin-env", "TOKEN_PIN"), err::toString);
        try (Pkcs11Card card = Pkcs11Card.open(SoftHsm.token("ceremony-master"), SoftHsm.PIN, dir.resolve("m.state"), 0)) {
            assertEquals(2, card.currentKeyVersion());
            SealedSeed v1 = card.seal(new SensorId(8), CipherSuite.AES128, CardFixtures.seed(1));
            assertEquals(2, v1.keyVersion());
        }
        assertFalse((out + err.toString()).contains(env.get("TOKEN_PIN")));
        assertFalse((out + err.toString()).contains(env.get("EXPORT_PW")));
    }

    @Test
    void aTokenMastersKeysAreNotDistributedNorExportedAgainAndAUsedTokenIsRefused() {
        assertEquals(0, createOnMaster(dir.resolve("factory.mctk")), err::toString);
        SortedMap<String, String> before = KeyCeremony.checkValues(new KeyCeremony.Token(SoftHsm.token("ceremony-master"),
                SoftHsm.PIN.clone()));
        assertEquals(1, ceremony("distribute", "--master-pkcs11", master.toString(), "--pin-env", "TOKEN_PIN",
                "--pkcs11", replica.toString(), "--pin-env", "TOKEN_PIN"));
        assertTrue(err.toString().contains("vendor's tools"), err::toString);
        assertTrue(KeyCeremony.checkValues(new KeyCeremony.Token(SoftHsm.token("ceremony-replica"), SoftHsm.PIN.clone()))
                .isEmpty(), "the replica got nothing");
        assertEquals(1, ceremony("export-transport", "--master-pkcs11", master.toString(), "--pin-env", "TOKEN_PIN",
                "--out", dir.resolve("again.mctk").toString(), "--password-env", "EXPORT_PW"));
        assertFalse(Files.exists(dir.resolve("again.mctk")));
        assertEquals(1, ceremony("rotate", "--master-pkcs11", master.toString(), "--pin-env", "TOKEN_PIN",
                "--pkcs11", replica.toString(), "--pin-env", "TOKEN_PIN"));
        // create again on the same token: refused before anything is written
        assertEquals(1, createOnMaster(dir.resolve("second.mctk")));
        assertTrue(err.toString().contains("already holds keys"), err::toString);
        assertFalse(Files.exists(dir.resolve("second.mctk")));
        assertEquals(before, KeyCeremony.checkValues(new KeyCeremony.Token(SoftHsm.token("ceremony-master"),
                SoftHsm.PIN.clone())), "nothing on the master changed");
        assertEquals(2, ceremony("create", "--master-pkcs11", master.toString(), "--pin-env", "TOKEN_PIN",
                "--master", dir.resolve("m.bcfks").toString()), "both masters at once is a usage error");
    }

    /**
     * What SunPKCS11 offers for moving a secret key from one token to another, tried for real on
     * SoftHSM2 (which itself supports CKM_AES_KEY_WRAP(_PAD) and CKM_RSA_PKCS_OAEP at the PKCS#11 level).
     */
    @Test
    void sunPkcs11OffersNoAesKeyWrapNoOaepAndItsRsaUnwrapLandsTheKeyInTheJvm() throws Exception {
        Pkcs11Config c = SoftHsm.token("wrap-probe");
        // a provider whose generated keys are sensitive but extractable (wrappable): what RSA wrap needs
        Provider p = Security.getProvider("SunPKCS11").configure("--name=wrap-probe\nlibrary=" + c.library() + "\nslot="
                + c.slot() + "\nattributes(generate, CKO_SECRET_KEY, *) = {\n CKA_SENSITIVE = true\n CKA_EXTRACTABLE = true\n}\n");
        KeyStore.getInstance("PKCS11", p).load(null, SoftHsm.PIN);
        for (String name : List.of("AESWrap", "AESWrapPad", "AES/KW/NoPadding", "AES/KW/PKCS5Padding", "AES/KWP/NoPadding")) {
            assertThrows(NoSuchAlgorithmException.class, () -> Cipher.getInstance(name, p), name);
        }
        for (String name : List.of("RSA/ECB/OAEPPadding", "RSA/ECB/OAEPWithSHA-256AndMGF1Padding")) {
            assertThrows(NoSuchPaddingException.class, () -> Cipher.getInstance(name, p), name);
        }
        KeyGenerator g = KeyGenerator.getInstance("AES", p);
        g.init(256);
        SecretKey wrapping = g.generateKey();
        SecretKey moved = g.generateKey();
        assertNull(moved.getEncoded(), "sensitive");
        for (String name : List.of("AES/ECB/NoPadding", "AES/CBC/NoPadding")) {
            Cipher aes = Cipher.getInstance(name, p);
            assertThrows(UnsupportedOperationException.class, () -> aes.init(Cipher.WRAP_MODE, wrapping), name);
        }
        // RSA PKCS#1 v1.5 wraps the extractable key (CKM_RSA_PKCS C_WrapKey) under a key pair made in the token...
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", p);
        rsa.initialize(3072);
        KeyPair target = rsa.generateKeyPair();
        Cipher wrap = Cipher.getInstance("RSA/ECB/PKCS1Padding", p);
        wrap.init(Cipher.WRAP_MODE, target.getPublic());
        byte[] wrapped = wrap.wrap(moved);
        // ...but SunPKCS11 unwraps by decrypting into the JVM: the key arrives in clear, not as a token object
        Cipher unwrap = Cipher.getInstance("RSA/ECB/PKCS1Padding", p);
        unwrap.init(Cipher.UNWRAP_MODE, target.getPrivate());
        SecretKey arrived = assertInstanceOf(SecretKeySpec.class, unwrap.unwrap(wrapped, "AES", Cipher.SECRET_KEY));
        assertEquals(32, arrived.getEncoded().length, "the key value is in the Java heap");
    }
}
