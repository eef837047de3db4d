package org.microcert.cluster.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.FactoryTransportKey;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.protocol.Secret;
import org.microcert.protocol.SensorChip;
import com.typesafe.config.ConfigFactory;

/** The node's card set-up: the documented dev card and the refusals when no card is configured. */
class CardLoaderTest {

    @TempDir
    Path dir;

    @Test
    void devCardIsMadeOnFirstStartAndTheSameKeysAreReusedAfterwards() throws Exception {
        SensorChip chip = TestFleet.chip(42, Instant.now());
        SealedSeed sealed;
        try (EncryptionCard card = CardLoader.openOrCreateDev(dir)) {
            byte[] kTrans;
            try (Secret password = CardLoader.readSecret(dir.resolve(CardLoader.TRANSPORT_PASSWORD))) {
                kTrans = password.withChars(pw -> FactoryTransportKey.load(dir.resolve(CardLoader.TRANSPORT), pw));
            }
            sealed = card.provision(chip.transportEnvelope(kTrans));
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(CardLoader.DEV_PASSWORD))));
        try (EncryptionCard again = CardLoader.openOrCreateDev(dir)) {
            assertEquals(1, again.open(sealed).version(), "the second start opens what the first sealed");
        }
    }

    @Test
    void aNodeWithoutACardRefusesToStartWithAClearMessage() {
        var noCard = ConfigFactory.parseString("keystore = \"\", password-file = \"\", state-file = \"\", dev-directory = \"\", key-version = 0, pkcs11 { config = \"\", pin-env = \"\" }");
        var e = assertThrows(CardLoader.CardSetupException.class, () -> CardLoader.open(noCard, Map.of()));
        assertTrue(e.getMessage().contains("--card-keystore"), e.getMessage());
        var noPassword = ConfigFactory.parseString("keystore = \"" + dir.resolve("x.bcfks")
                + "\", password-file = \"\", state-file = \"\", dev-directory = \"\", key-version = 0, pkcs11 { config = \"\", pin-env = \"\" }");
        var p = assertThrows(CardLoader.CardSetupException.class, () -> CardLoader.open(noPassword, Map.of()));
        assertTrue(p.getMessage().contains(CardLoader.PASSWORD_ENV), p.getMessage());
    }

    @Test
    void aSealingVersionTheCardLacksStopsTheNodeAndAVersionFlagMustBeANumber() throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("fleet"));
        Path password = Files.writeString(dir.resolve("pw"), new String(TestFleet.PASSWORD) + "\n");
        var pinned = ConfigFactory.parseString("keystore = \"" + fleet.keystore() + "\", password-file = \"" + password
                + "\", key-version = 2").withFallback(ConfigFactory.load().getConfig("microcert.card"));
        var e = assertThrows(CardLoader.CardSetupException.class, () -> CardLoader.open(pinned, Map.of()));
        assertTrue(e.getMessage().contains("active storage key version 2 is not on the card (it holds [1])"), e.getMessage());
        var usage = assertThrows(org.microcert.cluster.node.NodeConfig.UsageException.class,
                () -> org.microcert.cluster.node.NodeConfig.load(new String[] {"--card-key-version", "-1"}, Map.of()));
        assertTrue(usage.getMessage().startsWith("not a key version"), usage.getMessage());
        try (EncryptionCard card = CardLoader.open(
                pinned.withValue("key-version", com.typesafe.config.ConfigValueFactory.fromAnyRef(1)), Map.of())) {
            assertEquals(1, card.currentKeyVersion());
        }
    }
}
