package org.microcert.persistence.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SoftwareCardTest extends EncryptionCardContract {

    @Override
    EncryptionCard cardWith(String name, CardKeyMaterial keys, int activeVersion) {
        Path ks = dir.resolve(name + ".bcfks");
        SoftwareCard.writeKeystore(ks, CardFixtures.PASSWORD, keys);
        return SoftwareCard.open(ks, CardFixtures.PASSWORD, dir.resolve(name + ".state"), activeVersion);
    }

    @Override
    Path stateFile(String name) {
        return dir.resolve(name + ".state");
    }

    @Test
    void wrongPasswordIsAClearErrorWithoutThePassword() {
        Path ks = dir.resolve("a.bcfks");
        SoftwareCard.writeKeystore(ks, CardFixtures.PASSWORD, CardFixtures.ceremony());
        char[] wrong = "Tr0ub4dor&3".toCharArray();
        CardException e = assertThrows(CardException.class, () -> SoftwareCard.open(ks, wrong, dir.resolve("s")));
        assertEquals(CardException.Reason.WRONG_SECRET, e.reason());
        assertFalse(e.getMessage().contains("Tr0ub4dor"));
        assertFalse(Files.exists(dir.resolve("s")));
    }

    @Test
    void missingOrForeignKeystoreIsAClearError() throws Exception {
        assertEquals(CardException.Reason.NOT_FOUND, CardFixtures.reasonOf(
                () -> SoftwareCard.open(dir.resolve("none.bcfks"), CardFixtures.PASSWORD, dir.resolve("s"))));
        Path junk = Files.writeString(dir.resolve("junk.bcfks"), "not a keystore");
        assertEquals(CardException.Reason.INVALID_CARD,
                CardFixtures.reasonOf(() -> SoftwareCard.open(junk, CardFixtures.PASSWORD, dir.resolve("s"))));
    }
}
