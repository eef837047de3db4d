package org.microcert.cluster;

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
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.FactoryTransportKey;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.protocol.SensorChip;
import com.typesafe.config.ConfigFactory;

/** The node's card set-up: the documented dev card and the refusals when no card is configured. */
class DevCardTest {

    @TempDir
    Path dir;

    @Test
    void devCardIsMadeOnFirstStartAndTheSameKeysAreReusedAfterwards() throws Exception {
        SensorChip chip = TestFleet.chip(42, Instant.now());
        SealedSeed sealed;
        try (EncryptionCard card = DevCard.openOrCreate(dir)) {
            byte[] kTrans = FactoryTransportKey.load(dir.resolve(DevCard.TRANSPORT),
                    NodeCard.readSecret(dir.resolve(DevCard.TRANSPORT_PASSWORD)));
            sealed = card.provision(chip.transportEnvelope(kTrans));
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(DevCard.PASSWORD))));
        try (EncryptionCard again = DevCard.openOrCreate(dir)) {
            assertEquals(1, again.open(sealed).version(), "the second start opens what the first sealed");
        }
    }

    @Test
    void aNodeWithoutACardRefusesToStartWithAClearMessage() {
        var noCard = ConfigFactory.parseString("keystore = \"\", password-file = \"\", state-file = \"\", dev-directory = \"\"");
        var e = assertThrows(NodeCard.CardSetupException.class, () -> NodeCard.open(noCard, Map.of()));
        assertTrue(e.getMessage().contains("--card-keystore"), e.getMessage());
        var noPassword = ConfigFactory.parseString("keystore = \"" + dir.resolve("x.bcfks")
                + "\", password-file = \"\", state-file = \"\", dev-directory = \"\"");
        var p = assertThrows(NodeCard.CardSetupException.class, () -> NodeCard.open(noPassword, Map.of()));
        assertTrue(p.getMessage().contains(NodeCard.PASSWORD_ENV), p.getMessage());
    }
}
