package org.microcert.persistence.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SensorId;

/**
 * The card's group commit under a crash: a separate JVM records sensors through
 * {@link EncryptionCard#recordStoredAsync} with hundreds in flight and prints each sensor once its
 * stage completes (what the node acknowledges); it is killed (SIGKILL) while groups are being
 * written. The card reopened from the files on disk holds every acknowledged sensor, and its state
 * file and reference log agree.
 */
class LedgerCrashTest {

    @TempDir
    Path dir;

    @Test
    void aKillDuringGroupCommitsLosesNoAcknowledgedRecord() throws Exception {
        CardKeyMaterial keys = CardFixtures.ceremony();
        Path keystore = dir.resolve("card.bcfks");
        SoftwareCard.writeKeystore(keystore, CardFixtures.PASSWORD, keys);
        Path state = dir.resolve("card.state");
        Path err = dir.resolve("child.err");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Child.class.getName(), keystore.toString(), state.toString())
                .redirectError(err.toFile()).start();
        Set<Long> acknowledged = new HashSet<>();
        try (BufferedReader acks = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
            while (acknowledged.size() < 3000) {
                String line = acks.readLine();
                if (line == null) {
                    throw new AssertionError("the child ended early: " + Files.readString(err));
                }
                acknowledged.add(Long.parseLong(line));
            }
            child.destroyForcibly(); // SIGKILL: no close, no shutdown hook, a group mid-write
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        try (SoftwareCard card = SoftwareCard.open(keystore, CardFixtures.PASSWORD, state)) {
            CardReferences refs = card.references();
            for (long id : acknowledged) {
                assertEquals(1, refs.current(new SensorId(id)).map(CardReferences.Reference::count).orElse(0L),
                        "acknowledged sensor " + id + " is in the reopened card's ledger");
            }
            assertEquals(card.setDigest(), refs.setDigest(), "the state file and its reference log agree");
            assertTrue(refs.sensors().size() >= acknowledged.size());
        }
    }

    /** Records sensors 1, 2, ... with up to 256 in flight; prints each one once its change is on disk. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                    StandardCharsets.US_ASCII);
            SoftwareCard card = SoftwareCard.open(Path.of(args[0]), CardFixtures.PASSWORD, Path.of(args[1]));
            Semaphore inFlight = new Semaphore(256);
            for (long id = 1; ; id++) {
                inFlight.acquire();
                long sensor = id;
                SealedSeed r = card.seal(new SensorId(sensor), CipherSuite.AES128, CardFixtures.seed(1));
                card.recordStoredAsync(r).whenComplete((ok, failure) -> {
                    if (failure == null) {
                        out.println(sensor);
                    }
                    inFlight.release();
                });
            }
        }
    }
}
