package org.microcert.cluster.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigRenderOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.NodeProcess;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.TestTokens;

/**
 * A node process told to run on a PKCS#11 card (a real SoftHSM2 token) that cannot open it stops
 * before its actor system starts, in one line naming what is wrong: the PIN, the slot, the library
 * or the missing keys. No stack trace, and neither the PIN given nor the right one in its output.
 */
class Pkcs11NodeLauncherTest {

    static final String WRONG_PIN = "wrong-pin-97531";

    @TempDir
    static Path dir;
    static Path emptyToken;
    static Path keyedToken;

    @BeforeAll
    static void tokens() {
        emptyToken = TestTokens.configFile(dir, "empty");
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        TestTokens.distribute(fleet, "node-2");
        keyedToken = TestTokens.configFile(dir, "node-2");
    }

    /** Starts a node on the card {@code cardConfig} names, PIN in MICROCERT_CARD_PIN, and returns its one line. */
    static String refused(String name, Path cardConfig, String pin) throws Exception {
        String config = TestNode.inMemoryJournal().root().render(ConfigRenderOptions.defaults().setJson(false)
                .setOriginComments(false)) + """

                pekko.remote.artery.canonical.port = %d
                microcert.http.interface = "127.0.0.1"
                microcert.http.port = %d
                microcert.card.pkcs11.config = "%s"
                microcert.card.state-file = "%s"
                """.formatted(NodeProcess.freePort(), NodeProcess.freePort(), cardConfig, dir.resolve(name + ".state"));
        try (NodeProcess node = NodeProcess.start(name, dir, config, 0, Map.of("MICROCERT_CARD_PIN", pin))) {
            String said = NodeLauncherTest.refusedBeforeStarting(node);
            String log = node.log();
            assertFalse(!pin.isEmpty() && log.contains(pin), node.logTail());
            assertFalse(log.contains(new String(TestTokens.PIN)), node.logTail());
            assertFalse(log.contains("Exception"), node.logTail());
            return said;
        }
    }

    @Test
    void aWrongPinIsOneLineWithoutThePin() throws Exception {
        String said = refused("wrong-pin", emptyToken, WRONG_PIN);
        assertTrue(said.startsWith("microcert node: cannot open the PKCS#11 card " + emptyToken + ": "), said);
        assertTrue(said.endsWith("refused the PIN"), said);
    }

    @Test
    void aMissingSlotIsNamed() throws Exception {
        Path noSlot = Files.writeString(dir.resolve("no-slot.properties"), "library = /usr/lib/softhsm/libsofthsm2.so\nslot = 987654321\n");
        String said = refused("no-slot", noSlot, new String(TestTokens.PIN));
        assertTrue(said.startsWith("microcert node: cannot open the PKCS#11 card " + noSlot + ": "), said);
        assertTrue(said.contains("slot-987654321") && said.contains("no such slot?"), said);
    }

    @Test
    void aMissingLibraryIsNamed() throws Exception {
        Path noLibrary = Files.writeString(dir.resolve("no-library.properties"), "library = /no/such/libpkcs11.so\nslot = 1\n");
        assertTrue(refused("no-library", noLibrary, new String(TestTokens.PIN))
                .endsWith("no PKCS#11 library at /no/such/libpkcs11.so"));
    }

    @Test
    void aTokenWithoutTheCentersKeysIsNamed() throws Exception {
        String said = refused("no-keys", emptyToken, new String(TestTokens.PIN));
        assertTrue(said.endsWith("does not hold MicroCert keys (run the key ceremony)"), said);
    }

    @Test
    void aMissingPinVariableIsNamedAndACardFileThatDoesNotExistToo() throws Exception {
        assertTrue(refused("no-pin", keyedToken, "").endsWith("set the environment variable MICROCERT_CARD_PIN"));
        Path none = dir.resolve("none.properties");
        assertTrue(refused("no-file", none, new String(TestTokens.PIN)).endsWith("no PKCS#11 card configuration at " + none));
    }
}
