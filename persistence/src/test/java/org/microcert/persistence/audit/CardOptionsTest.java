package org.microcert.persistence.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.KeyCeremony;

/** {@code --state-files} with an empty name is a usage error naming the option, before the card or Cassandra is touched. */
class CardOptionsTest {

    private static final char[] PASSWORD = "card options test password".toCharArray();

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {",", "", " ", "a.state,", ",a.state", "a.state,,b.state"})
    void anEmptyStateFileNameIsAUsageErrorOfTheAuditBeforeAnythingIsOpened(String files) throws Exception {
        Path keystore = dir.resolve("card.bcfks");
        KeyCeremony.create(keystore, PASSWORD);
        String[] args = {"--contact-point", "127.0.0.1:1", "--card-keystore", keystore.toString(), "--card-password-env", "PW",
            "--card-state", dir.resolve("card.state").toString(), "--state-files", files};
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int exit;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exit = AuditTool.run(args, Map.of("PW", new String(PASSWORD))::get);
        } finally {
            System.setErr(saved);
        }
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, exit, message);
        assertEquals("audit: --state-files needs state file names separated by commas, got '" + files + "'\n", message);
        try (var listed = Files.list(dir)) {
            assertEquals(1, listed.count(), "the card was not opened: only its keystore is there");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {",", "a.state,,b.state"})
    void theExpectedDigestRefusesAnEmptyStateFileNameByName(String files) {
        Path keystore = dir.resolve("card.bcfks");
        KeyCeremony.create(keystore, PASSWORD);
        Map<String, String> own = Map.of("--card-keystore", keystore.toString(), "--card-password-env", "PW",
                "--card-state", dir.resolve("card.state").toString());
        try (EncryptionCard card = CardOptions.open(own, Map.of("PW", new String(PASSWORD))::get)) {
            Map<String, String> options = Map.of("--state-files", files);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CardOptions.expectedDigest(card, options));
            assertTrue(e.getMessage().startsWith("--state-files "), e::getMessage);
            assertThrows(IllegalArgumentException.class, () -> CardOptions.expectedReferences(card, options));
        }
    }
}
