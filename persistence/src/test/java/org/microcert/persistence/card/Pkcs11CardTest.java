package org.microcert.persistence.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;

/** The card contract on real SoftHSM2 tokens through SunPKCS11, plus what only a token shows. */
class Pkcs11CardTest extends EncryptionCardContract {

    @BeforeEach
    void emptyTokens() {
        for (String name : new String[] {"a", "b", "c"}) {
            SoftHsm.wipe("card-" + name);
        }
    }

    @Override
    EncryptionCard cardWith(String name, CardKeyMaterial keys, int activeVersion) {
        SoftHsm.putMissing("card-" + name, keys);
        return Pkcs11Card.open(SoftHsm.token("card-" + name), SoftHsm.PIN, stateFile(name), activeVersion);
    }

    @Override
    Path stateFile(String name) {
        return dir.resolve(name + ".state");
    }

    @Test
    void tokenKeysAreSensitiveAndCannotBeExtracted() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        card("a", keys).close();
        Pkcs11Token t = Pkcs11Token.login(SoftHsm.token("card-a"), SoftHsm.PIN);
        try {
            assertEquals(3, t.keys().size()); // K_trans, K_store v1, integrity key
            t.keys().values().forEach(k -> {
                assertEquals(null, k.getEncoded(), () -> "extractable: " + k);
                assertTrue(k.toString().contains("sensitive") && k.toString().contains("unextractable"), k::toString);
            });
        } finally {
            t.release();
        }
    }

    @Test
    void softwareAndTokenCardsFromOneCeremonyOpenEachOthersSeeds() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard token = card("a", keys);
        Path ks = dir.resolve("soft.bcfks");
        SoftwareCard.writeKeystore(ks, CardFixtures.PASSWORD, keys);
        try (SoftwareCard soft = SoftwareCard.open(ks, CardFixtures.PASSWORD, dir.resolve("soft.state"))) {
            KeySeed seed = CardFixtures.seed(1);
            SealedSeed byToken = token.provision(CardFixtures.transportEnvelope(keys.transport(), SENSOR, seed));
            SealedSeed bySoft = soft.seal(OTHER_SENSOR, CipherSuite.AES128, seed);
            assertTrue(soft.open(byToken).sameSecretAs(seed));
            assertTrue(token.open(bySoft).sameSecretAs(seed));
            assertEquals(soft.digest(byToken), token.digest(byToken));
        }
    }

    @Test
    void keysGeneratedInsideTheTokenSealAndOpen() {
        SoftHsm.wipe("generated");
        Pkcs11Token t = Pkcs11Token.login(SoftHsm.token("generated"), SoftHsm.PIN);
        try {
            t.generateKey(CardKeyMaterial.TRANSPORT_ALIAS, CardKeyMaterial.AES);
            t.generateKey(CardKeyMaterial.storeAlias(1), CardKeyMaterial.AES);
            t.generateKey(CardKeyMaterial.INTEGRITY_ALIAS, "HmacSHA256");
        } finally {
            t.release();
        }
        try (Pkcs11Card card = Pkcs11Card.open(SoftHsm.token("generated"), SoftHsm.PIN, dir.resolve("g.state"), 0)) {
            KeySeed seed = CardFixtures.seed(1);
            SealedSeed s = card.seal(SENSOR, CipherSuite.AES128, seed);
            assertTrue(card.open(s).sameSecretAs(seed));
            card.recordStored(s);
            assertEquals(1, card.setDigest().count());
        }
    }

    @Test
    void wrongPinIsAClearErrorEvenWhileTheSlotIsLoggedIn() {
        SoftHsm.wipe("pin-check");
        char[] wrong = "9999-wrong".toCharArray();
        CardException e = assertThrows(CardException.class,
                () -> Pkcs11Card.open(SoftHsm.token("pin-check"), wrong, dir.resolve("p.state"), 0));
        assertEquals(CardException.Reason.WRONG_SECRET, e.reason());
        assertFalse(e.getMessage().contains("9999"));
        // Logged in by a card with the right PIN: SunPKCS11 alone would now accept any PIN.
        EncryptionCard open = card("a", CardFixtures.ceremony());
        assertEquals(CardException.Reason.WRONG_SECRET, CardFixtures.reasonOf(
                () -> Pkcs11Card.open(SoftHsm.token("card-a"), wrong, dir.resolve("p.state"), 0)));
        assertEquals(1, open.keyVersions().size());
    }

    @Test
    void missingSlotOrLibraryIsAClearError() {
        assertEquals(CardException.Reason.NOT_FOUND, CardFixtures.reasonOf(() -> Pkcs11Card.open(
                Pkcs11Config.slot(Path.of("/nonexistent/libpkcs11.so"), 1), SoftHsm.PIN, dir.resolve("x"), 0)));
        SoftHsm.token("card-a"); // the module is set up before any provider loads it
        assertEquals(CardException.Reason.IO, CardFixtures.reasonOf(() -> Pkcs11Card.open(
                Pkcs11Config.slot(Pkcs11Config.SOFTHSM2_LIBRARY, 987654321), SoftHsm.PIN, dir.resolve("x"), 0)));
        assertEquals(CardException.Reason.INVALID_CARD, CardFixtures.reasonOf(() -> Pkcs11Card.open(
                SoftHsm.token("card-b"), SoftHsm.PIN, dir.resolve("x"), 0)));
    }
}
