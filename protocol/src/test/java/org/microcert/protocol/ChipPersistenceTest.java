package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A chip that reboots: what its {@link ChipStore} keeps, when, and what a restore does with it. */
class ChipPersistenceTest {

    static final SensorId ID = new SensorId(0x4242);
    static final Instant NOW = Instant.parse("2027-03-09T10:15:30Z");
    static final Duration SKEW = Duration.ofMinutes(5);
    final CenterIssuer center = new CenterIssuer(new DeterministicRandom("center"));

    /** Keeps the last blobs in memory; fails the next save when told to. */
    static class Store implements ChipStore {
        byte[] seed;
        byte[] state;
        int saves;
        boolean failNext;

        @Override
        public void saveState(byte[] s) {
            check();
            state = s.clone();
        }

        @Override
        public void saveSeed(byte[] s) {
            check();
            seed = s.clone();
        }

        private void check() {
            if (failNext) {
                failNext = false;
                throw new ChipStore.ChipStorageException("flash worn out", null);
            }
            saves++;
        }
    }

    SensorChip rebooted(Store store) throws Exception {
        return SensorChip.restore(ID, CipherSuite.AES128, store.seed, store.state, new DeterministicRandom("boot"), SKEW, store);
    }

    @Test
    void aManufacturedChipKeepsItsSeedAndStateAtOnce() throws Exception {
        Store store = new Store();
        SensorChip chip = SensorChip.manufacture(ID, CipherSuite.AES128, NOW, new DeterministicRandom("chip"), store);
        assertEquals(2, store.saves);
        KeySeed kept = KeySeed.fromBytes(store.seed);
        assertEquals(1, kept.version());
        assertEquals(new ChipState(1, false, 0, List.of()), ChipState.fromBytes(store.state));
        // the stored seed is the chip's: the center holding it verifies the chip's certificate
        MicroCertificate auth = chip.authenticate(NOW);
        assertTrue(Certificates.tagMatches(kept, auth, null));
    }

    @Test
    void anAcceptedCommandOrDownlinkIsStillRefusedAsAReplayAfterAReboot() throws Exception {
        Store store = new Store();
        SensorChip chip = SensorChip.manufacture(ID, CipherSuite.AES128, NOW, new DeterministicRandom("chip"), store);
        KeySeed centerSeed = KeySeed.fromBytes(store.seed);
        MicroCertificate down = center.encryptPayload(centerSeed, CipherSuite.AES128, ID,
                "valve 3 open".getBytes(StandardCharsets.UTF_8), NOW);
        MicroCertificate update = center.issueCommand(centerSeed, CipherSuite.AES128, ID, new CommandOrder.SeedUpdate(2), NOW);
        assertArrayEquals("valve 3 open".getBytes(StandardCharsets.UTF_8), chip.decrypt(down, NOW));
        chip.accept(update, NOW);
        assertEquals(2, ChipState.fromBytes(store.state).seen().size());

        SensorChip again = rebooted(store);
        VerificationException d = assertThrows(VerificationException.class, () -> again.decrypt(down, NOW.plusSeconds(1)));
        assertEquals(RejectReason.REPLAY, d.reason());
        VerificationException c = assertThrows(VerificationException.class, () -> again.accept(update, NOW.plusSeconds(1)));
        assertEquals(RejectReason.REPLAY, c.reason());
        // the pending seed did not survive: a fresh update command starts it again
        assertTrue(again.pendingUpdate().isEmpty());
        again.accept(center.issueCommand(centerSeed, CipherSuite.AES128, ID, new CommandOrder.SeedUpdate(2), NOW.plusSeconds(2)),
                NOW.plusSeconds(2));
        assertTrue(again.pendingUpdate().isPresent());
    }

    @Test
    void aRevocationSurvivesARebootAndTheStoredSeedIsGone() throws Exception {
        Store store = new Store();
        SensorChip chip = SensorChip.manufacture(ID, CipherSuite.AES128, NOW, new DeterministicRandom("chip"), store);
        KeySeed centerSeed = KeySeed.fromBytes(store.seed);
        chip.accept(center.issueCommand(centerSeed, CipherSuite.AES128, ID, new CommandOrder.Revoke(1), NOW), NOW);
        assertTrue(ChipState.fromBytes(store.state).revoked());
        assertArrayEquals(new byte[KeySeed.ENCODED_LENGTH], store.seed);
        SensorChip again = rebooted(store);
        assertTrue(again.isRevoked());
        assertThrows(IllegalStateException.class, () -> again.authenticate(NOW));
        VerificationException e = assertThrows(VerificationException.class, () -> again.accept(
                center.issueCommand(centerSeed, CipherSuite.AES128, ID, new CommandOrder.SeedUpdate(2), NOW), NOW));
        assertEquals(RejectReason.REVOKED, e.reason());
    }

    @Test
    void anActivatedSeedIsTheOneARebootRestores() throws Exception {
        Store store = new Store();
        SensorChip chip = SensorChip.manufacture(ID, CipherSuite.AES128, NOW, new DeterministicRandom("chip"), store);
        KeySeed v1 = KeySeed.fromBytes(store.seed);
        chip.accept(center.issueCommand(v1, CipherSuite.AES128, ID, new CommandOrder.SeedUpdate(2), NOW), NOW);
        chip.activatePendingSeed();
        KeySeed v2 = KeySeed.fromBytes(store.seed);
        assertEquals(2, v2.version());
        assertEquals(2, ChipState.fromBytes(store.state).seedVersion());
        SensorChip again = rebooted(store);
        assertEquals(2, again.seedVersion());
        assertTrue(Certificates.tagMatches(v2, again.authenticate(NOW), null));
    }

    @Test
    void anActivationCutBetweenItsTwoWritesRestoresTheNewSeedWithTheReplayMemory() throws Exception {
        Store store = new Store() {
            boolean activating;

            @Override
            public void saveSeed(byte[] s) {
                super.saveSeed(s);
                activating = true; // the power goes right after the seed is written
            }

            @Override
            public void saveState(byte[] s) {
                if (activating) {
                    throw new ChipStore.ChipStorageException("power lost", null);
                }
                super.saveState(s);
            }
        };
        KeySeed v1 = KeySeed.generate(new DeterministicRandom("v1"), 1, 2027);
        SensorChip onIt = SensorChip.restore(ID, CipherSuite.AES128, v1.toBytes(), new ChipState(1, false, 0, List.of()).toBytes(),
                new DeterministicRandom("b"), SKEW, store);
        onIt.accept(center.issueCommand(v1, CipherSuite.AES128, ID, new CommandOrder.SeedUpdate(2), NOW), NOW);
        ChipState before = ChipState.fromBytes(store.state);
        assertEquals(1, before.seen().size());
        assertThrows(ChipStore.ChipStorageException.class, onIt::activatePendingSeed);
        assertEquals(2, onIt.seedVersion(), "the stored seed is the new one, so the chip runs on it");
        assertEquals(2, KeySeed.fromBytes(store.seed).version());
        assertEquals(1, ChipState.fromBytes(store.state).seedVersion());

        SensorChip again = rebooted(store);
        assertEquals(2, again.seedVersion());
        assertEquals(before.seen(), again.state().seen());
    }

    @Test
    void aStateFromAnotherSeedVersionIsRefusedNotGuessed() throws Exception {
        byte[] v2 = KeySeed.generate(new DeterministicRandom("v2"), 2, 2027).toBytes();
        for (int version : new int[] {3, 0, 7}) {
            ChipState.MalformedChipStateException e = assertThrows(ChipState.MalformedChipStateException.class,
                    () -> SensorChip.restore(ID, CipherSuite.AES128, v2, new ChipState(version, false, 0, List.of()).toBytes(),
                            new DeterministicRandom("b"), SKEW, ChipStore.NONE));
            assertEquals("chip state belongs to seed version " + version + ", the stored seed is version 2", e.getMessage());
        }
        assertThrows(MalformedSeedException.class, () -> SensorChip.restore(ID, CipherSuite.AES128, new byte[10],
                new ChipState(1, false, 0, List.of()).toBytes(), new DeterministicRandom("b"), SKEW, ChipStore.NONE));
    }

    @Test
    void aStoreThatFailsLeavesTheChipAsItWas() throws Exception {
        Store store = new Store();
        SensorChip chip = SensorChip.manufacture(ID, CipherSuite.AES128, NOW, new DeterministicRandom("chip"), store);
        KeySeed centerSeed = KeySeed.fromBytes(store.seed);
        byte[] keptState = store.state.clone();

        MicroCertificate down = center.encryptPayload(centerSeed, CipherSuite.AES128, ID, new byte[] {7}, NOW);
        store.failNext = true;
        assertThrows(ChipStore.ChipStorageException.class, () -> chip.decrypt(down, NOW));
        assertArrayEquals(new byte[] {7}, chip.decrypt(down, NOW), "not remembered, so not a replay: it was never delivered");

        MicroCertificate update = center.issueCommand(centerSeed, CipherSuite.AES128, ID, new CommandOrder.SeedUpdate(2), NOW);
        store.failNext = true;
        assertThrows(ChipStore.ChipStorageException.class, () -> chip.accept(update, NOW));
        assertTrue(chip.pendingUpdate().isEmpty());

        MicroCertificate revoke = center.issueCommand(centerSeed, CipherSuite.AES128, ID, new CommandOrder.Revoke(1), NOW);
        store.failNext = true;
        assertThrows(ChipStore.ChipStorageException.class, () -> chip.accept(revoke, NOW));
        assertFalse(chip.isRevoked());
        assertTrue(Certificates.tagMatches(centerSeed, chip.authenticate(NOW), null));
        assertFalse(Arrays.equals(keptState, store.state)); // the delivered downlink was kept meanwhile

        Store broken = new Store();
        broken.failNext = true;
        assertThrows(ChipStore.ChipStorageException.class,
                () -> SensorChip.manufacture(ID, CipherSuite.AES128, NOW, new DeterministicRandom("x"), broken));
    }

    @Test
    void theStateBlobIsTheCLibrarysByteForByte() throws Exception {
        ChipState state = new ChipState(2, false, 5, List.of(new ChipState.Seen(0x01020304L, 0x1122334455667788L)));
        byte[] expected = Hex.decode("00000002" + "00" + "00000005" + "0001" + "01020304" + "1122334455667788");
        assertArrayEquals(expected, state.toBytes());
        assertEquals(state, ChipState.fromBytes(expected));
        ChipState revoked = ChipState.fromBytes(Hex.decode("00000003" + "01" + "ffffffff" + "0000"));
        assertTrue(revoked.revoked());
        assertEquals(0xffffffffL, revoked.replayFloor());
    }

    @Test
    void aMalformedStateBlobIsNamed() {
        assertEquals(Defect.TOO_SHORT, defect(new byte[10]));
        assertEquals(Defect.BAD_LENGTH, defect(Hex.decode("00000001" + "00" + "00000000" + "0001" + "01020304")));
        assertEquals(Defect.BAD_LENGTH, defect(Hex.decode("00000001" + "00" + "00000000" + "0000" + "00")));
        assertEquals(Defect.BAD_FIELD, defect(Hex.decode("00000001" + "02" + "00000000" + "0000")));
        assertEquals(Defect.BAD_FIELD, defect(Hex.decode("00000001" + "00" + "00000000" + "1001")));
    }

    static Defect defect(byte[] blob) {
        return assertThrows(ChipState.MalformedChipStateException.class, () -> ChipState.fromBytes(blob)).reason();
    }

    @Test
    void aFileStoreKeepsBothBlobsAcrossAReboot(@TempDir Path dir) throws Exception {
        FileChipStore files = new FileChipStore(dir.resolve("chip"));
        assertTrue(files.load().isEmpty());
        SensorChip chip = SensorChip.manufacture(ID, CipherSuite.SM4, NOW, new DeterministicRandom("chip"), files);
        FileChipStore.Kept kept = files.load().orElseThrow();
        KeySeed centerSeed = KeySeed.fromBytes(kept.seed());
        MicroCertificate update = center.issueCommand(centerSeed, CipherSuite.SM4, ID, new CommandOrder.SeedUpdate(2), NOW);
        chip.accept(update, NOW);

        kept = files.load().orElseThrow();
        SensorChip again = SensorChip.restore(ID, CipherSuite.SM4, kept.seed(), kept.state(), new DeterministicRandom("b"),
                SKEW, files);
        Arrays.fill(kept.seed(), (byte) 0);
        assertEquals(RejectReason.REPLAY,
                assertThrows(VerificationException.class, () -> again.accept(update, NOW.plusSeconds(1))).reason());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("chip/seed"))));
        assertFalse(Files.exists(dir.resolve("chip/seed.new")));
        assertFalse(kept.toString().contains(Arrays.toString(kept.seed())));

        Files.writeString(dir.resolve("not-a-dir"), "x");
        ChipStore.ChipStorageException e = assertThrows(ChipStore.ChipStorageException.class,
                () -> new FileChipStore(dir.resolve("not-a-dir")).saveSeed(new byte[] {1, 2, 3}));
        assertTrue(e.getMessage().startsWith("cannot keep the chip's seed in "), e.getMessage());
    }
}
