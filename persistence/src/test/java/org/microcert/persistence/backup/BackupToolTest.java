package org.microcert.persistence.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.microcert.persistence.card.KeyCeremony;

/** Usage errors of {@code ops/bin/restore} that need no Cassandra: refused before anything is opened or written. */
class BackupToolTest {

    private static final char[] PASSWORD = "backup tool test password".toCharArray();

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "ten"})
    void aSnapshotIntervalBelowOneIsAUsageErrorAndNothingIsWritten(String every) throws Exception {
        Path keystore = dir.resolve("card.bcfks");
        KeyCeremony.create(keystore, PASSWORD);
        Path backup = Files.writeString(dir.resolve("fleet.backup"), "never read");
        String[] args = {"restore", "--file", backup.toString(), "--contact-point", "127.0.0.1:1",
            "--card-keystore", keystore.toString(), "--card-password-env", "PW", "--card-state", dir.resolve("card.state").toString(),
            "--snapshot-every", every};
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int exit;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exit = BackupTool.run(args, Map.of("PW", new String(PASSWORD))::get);
        } finally {
            System.setErr(saved);
        }
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, exit, message);
        assertTrue(message.startsWith("restore: --snapshot-every needs a whole number of at least 1, got '" + every + "'\n"),
                message);
        assertTrue(Files.notExists(dir.resolve("card.state")), "the card was not opened");
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "only the keystore and the backup file");
        }
    }

    @org.junit.jupiter.api.Test
    void helpPrintsTheUsageAndExitsZeroWithoutOpeningAnything() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = BackupTool.run(new String[] {"restore", "--help", "--card-state", dir.resolve("card.state").toString()},
                    Map.<String, String>of()::get);
        } finally {
            System.setOut(saved);
        }
        assertEquals(0, exit);
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith(BackupTool.USAGE), out.toString(StandardCharsets.UTF_8));
        assertTrue(Files.notExists(dir.resolve("card.state")), "nothing opened or written");
    }
}
