package org.microcert.persistence.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorId;

/**
 * What every {@link EncryptionCard} must do, run against each implementation by a subclass that
 * knows how to put a ceremony's keys on a card of its kind.
 */
abstract class EncryptionCardContract {

    static final SensorId SENSOR = new SensorId(0x0123456789abcdefL);
    static final SensorId OTHER_SENSOR = new SensorId(42);

    @TempDir
    Path dir;
    final List<EncryptionCard> opened = new ArrayList<>();

    /**
     * Puts {@code keys} on the card called {@code name} (adding K_store versions it lacks) and opens it,
     * sealing under {@code activeVersion} (0: the highest).
     */
    abstract EncryptionCard cardWith(String name, CardKeyMaterial keys, int activeVersion);

    EncryptionCard card(String name, CardKeyMaterial keys) {
        EncryptionCard c = cardWith(name, keys, 0);
        opened.add(c);
        return c;
    }

    @AfterEach
    void closeCards() {
        opened.forEach(EncryptionCard::close);
    }

    @Test
    void provisionThenOpenGivesTheSameSeed() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard card = card("a", keys);
        KeySeed seed = CardFixtures.seed(1);
        SealedSeed sealed = card.provision(CardFixtures.transportEnvelope(keys.transport(), SENSOR, seed));
        assertEquals(SENSOR, sealed.sensorId());
        assertEquals(1, sealed.seedVersion());
        assertEquals(1, sealed.keyVersion());
        assertEquals(2026, sealed.epochYear());
        KeySeed opened = card.open(sealed);
        assertTrue(opened.sameSecretAs(seed));
        opened.destroy();
    }

    @Test
    void sealThenOpenGivesTheSameSeedAndFreshNonces() {
        EncryptionCard card = card("a", CardFixtures.ceremony());
        KeySeed seed = CardFixtures.seed(3);
        SealedSeed s1 = card.seal(SENSOR, CipherSuite.SM4, seed);
        SealedSeed s2 = card.seal(SENSOR, CipherSuite.SM4, seed);
        assertFalse(java.util.Arrays.equals(s1.nonce(), s2.nonce()));
        assertEquals(CipherSuite.SM4, s1.suite());
        assertTrue(card.open(s2).sameSecretAs(seed));
    }

    @Test
    void envelopeUnderAnotherTransportKeyOrAlteredIsRejected() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard card = card("a", keys);
        SeedEnvelope foreign = CardFixtures.transportEnvelope(CardFixtures.ceremony().transport(), SENSOR,
                CardFixtures.seed(1));
        assertEquals(CardException.Reason.ENVELOPE_REJECTED,
                CardFixtures.reasonOf(() -> card.provision(foreign)));
        SeedEnvelope good = CardFixtures.transportEnvelope(keys.transport(), SENSOR, CardFixtures.seed(1));
        // The header is the associated data: the same ciphertext claimed for another sensor fails.
        SeedEnvelope otherSensor = new SeedEnvelope(good.kind(), OTHER_SENSOR, good.seedVersion(), good.suite(),
                good.nonce(), good.ciphertext());
        assertEquals(CardException.Reason.ENVELOPE_REJECTED,
                CardFixtures.reasonOf(() -> card.provision(otherSensor)));
        // An UPDATE envelope is never opened with K_trans.
        SeedEnvelope update = new SeedEnvelope(SeedEnvelope.Kind.UPDATE, SENSOR, good.seedVersion(), good.suite(),
                good.nonce(), good.ciphertext());
        assertEquals(CardException.Reason.ENVELOPE_REJECTED,
                CardFixtures.reasonOf(() -> card.provision(update)));
        assertEquals(SENSOR, card.provision(good).sensorId());
    }

    @Test
    void recordCopiedToAnotherSensorOrRelabelledToAnotherSeedVersionIsRefused() {
        EncryptionCard card = card("a", CardFixtures.ceremony());
        SealedSeed v1 = card.seal(SENSOR, CipherSuite.AES128, CardFixtures.seed(1));
        SealedSeed copied = CardFixtures.relabel(v1, OTHER_SENSOR, 1, v1.keyVersion());
        assertEquals(CardException.Reason.RECORD_REJECTED, CardFixtures.reasonOf(() -> card.open(copied)));
        // An attacker rolling a sensor back by editing the version column of its old row.
        SealedSeed relabelled = CardFixtures.relabel(v1, SENSOR, 2, v1.keyVersion());
        assertEquals(CardException.Reason.RECORD_REJECTED, CardFixtures.reasonOf(() -> card.open(relabelled)));
        SealedSeed altered = CardFixtures.flipCiphertextBit(v1);
        assertEquals(CardException.Reason.RECORD_REJECTED,
                CardFixtures.reasonOf(() -> card.authenticate(altered)));
    }

    @Test
    void rotationOpensOldRecordsAndRewrapsThemToTheNewVersion() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard v1Card = card("a", keys);
        KeySeed seed = CardFixtures.seed(1);
        SealedSeed old = v1Card.seal(SENSOR, CipherSuite.AES128, seed);
        v1Card.close();

        keys.addStoreVersion(CardFixtures.RANDOM);
        EncryptionCard card = card("a", keys);
        assertEquals(2, card.currentKeyVersion());
        assertEquals(java.util.Set.of(1, 2), card.keyVersions());
        assertTrue(card.open(old).sameSecretAs(seed));
        SealedSeed rewrapped = card.rewrap(old);
        assertEquals(2, rewrapped.keyVersion());
        assertTrue(card.open(rewrapped).sameSecretAs(seed));
        assertSame(rewrapped, card.rewrap(rewrapped));
        // The key version is bound too: a v2 record relabelled as v1 does not open.
        assertEquals(CardException.Reason.RECORD_REJECTED,
                CardFixtures.reasonOf(() -> card.open(CardFixtures.relabel(rewrapped, SENSOR, 1, 1))));
    }

    @Test
    void activeVersionHoldsSealingBackUntilEveryCardHasTheNewKey() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        keys.addStoreVersion(CardFixtures.RANDOM);
        EncryptionCard card = cardWith("a", keys, 1);
        opened.add(card);
        assertEquals(1, card.currentKeyVersion());
        assertEquals(1, card.seal(SENSOR, CipherSuite.AES128, CardFixtures.seed(1)).keyVersion());
        assertEquals(CardException.Reason.UNKNOWN_KEY_VERSION,
                CardFixtures.reasonOf(() -> cardWith("b", keys, 7)));
    }

    @Test
    void cardWithoutTheRecordsKeyVersionSaysSo() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard oldCard = card("a", keys);
        keys.addStoreVersion(CardFixtures.RANDOM);
        EncryptionCard newCard = card("b", keys);
        SealedSeed v2 = newCard.seal(SENSOR, CipherSuite.AES128, CardFixtures.seed(1));
        assertEquals(CardException.Reason.UNKNOWN_KEY_VERSION, CardFixtures.reasonOf(() -> oldCard.open(v2)));
    }

    @Test
    void twoCardsFromOneCeremonyOpenEachOthersSeeds() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard a = card("a", keys);
        EncryptionCard b = card("b", keys);
        KeySeed seed = CardFixtures.seed(1);
        SealedSeed fromA = a.provision(CardFixtures.transportEnvelope(keys.transport(), SENSOR, seed));
        SealedSeed fromB = b.seal(OTHER_SENSOR, CipherSuite.AES128, seed);
        assertTrue(b.open(fromA).sameSecretAs(seed));
        assertTrue(a.open(fromB).sameSecretAs(seed));
        assertEquals(a.digest(fromA), b.digest(fromA));
        // A card of another center opens neither.
        EncryptionCard stranger = card("c", CardFixtures.ceremony());
        assertEquals(CardException.Reason.RECORD_REJECTED,
                CardFixtures.reasonOf(() -> stranger.open(fromA)));
    }

    @Test
    void manyThreadsOpenConcurrently() throws Exception {
        EncryptionCard card = card("a", CardFixtures.ceremony());
        List<KeySeed> seeds = new ArrayList<>();
        List<SealedSeed> sealed = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            seeds.add(CardFixtures.seed(1 + i));
            sealed.add(card.seal(new SensorId(i), CipherSuite.AES128, seeds.get(i)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < seeds.size(); i++) {
                    int n = i;
                    results.add(pool.submit(() -> {
                        KeySeed s = card.open(sealed.get(n));
                        try {
                            return s.sameSecretAs(seeds.get(n));
                        } finally {
                            s.destroy();
                        }
                    }));
                }
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void noSecretInToStringOrExceptionMessages() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard card = card("a", keys);
        KeySeed seed = CardFixtures.seed(1);
        SealedSeed sealed = card.seal(SENSOR, CipherSuite.AES128, seed);
        List<String> texts = new ArrayList<>(List.of(card.toString(), sealed.toString(), seed.toString(),
                keys.toString(), card.digest(sealed).toString(), card.setDigest().toString()));
        texts.add(assertThrows(CardException.class, () -> card.open(CardFixtures.flipCiphertextBit(sealed))).getMessage());
        texts.add(assertThrows(CardException.class,
                () -> card.provision(CardFixtures.transportEnvelope(new byte[32], SENSOR, seed))).getMessage());
        List<String> secrets = new ArrayList<>(List.of(HexFormat.of().formatHex(keys.transport()),
                HexFormat.of().formatHex(keys.integrity()), HexFormat.of().formatHex(keys.store().get(1)),
                new String(CardFixtures.PASSWORD)));
        byte[] seedBytes = seed.toBytes();
        secrets.add(HexFormat.of().formatHex(seedBytes, 7, 23));
        for (String text : texts) {
            for (String secret : secrets) {
                assertFalse(text.toLowerCase(java.util.Locale.ROOT).contains(secret.toLowerCase(java.util.Locale.ROOT)), () -> "secret leaked in: " + text);
            }
        }
    }

    @Test
    void closedCardRefusesEveryOperation() {
        EncryptionCard card = card("a", CardFixtures.ceremony());
        SealedSeed sealed = card.seal(SENSOR, CipherSuite.AES128, CardFixtures.seed(1));
        card.close();
        card.close();
        assertEquals(CardException.Reason.CLOSED, CardFixtures.reasonOf(() -> card.open(sealed)));
        assertEquals(CardException.Reason.CLOSED, CardFixtures.reasonOf(() -> card.digest(sealed)));
    }

    @Test
    void recordDigestIsKeyedAndBindsTheRecord() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard card = card("a", keys);
        SealedSeed sealed = card.seal(SENSOR, CipherSuite.AES128, CardFixtures.seed(1));
        RecordDigest d = card.digest(sealed);
        card.verify(sealed, d);
        assertEquals(CardException.Reason.DIGEST_MISMATCH,
                CardFixtures.reasonOf(() -> card.verify(CardFixtures.flipCiphertextBit(sealed), d)));
        assertEquals(CardException.Reason.DIGEST_MISMATCH,
                CardFixtures.reasonOf(() -> card.verify(CardFixtures.relabel(sealed, OTHER_SENSOR, 1, 1), d)));
        assertNotEquals(d, card("b", CardFixtures.ceremony()).digest(sealed));
    }

    /** The state file of the card called {@code name}. */
    abstract Path stateFile(String name);

    /** A center with ten sensors: provisioned, one updated to seed version 2, one revoked. */
    private final class Center {
        final CardKeyMaterial keys = CardFixtures.ceremony();
        final EncryptionCard card = card("a", keys);
        final Map<SensorId, SealedSeed> journal = new TreeMap<>();
        SealedSeed updatedFrom;
        SealedSeed revoked;

        Center() {
            for (int i = 1; i <= 10; i++) {
                SensorId id = new SensorId(i);
                SealedSeed s = card.provision(CardFixtures.transportEnvelope(keys.transport(), id, CardFixtures.seed(1)));
                card.recordStored(s);
                journal.put(id, s);
            }
            updatedFrom = journal.get(new SensorId(3));
            SealedSeed v2 = card.seal(new SensorId(3), CipherSuite.AES128, CardFixtures.seed(2));
            card.recordReplaced(updatedFrom, v2);
            journal.put(new SensorId(3), v2);
            revoked = journal.remove(new SensorId(9));
            card.recordRevoked(revoked);
        }

        List<SetDigestAudit.Finding> audit(Map<SensorId, SealedSeed> records) {
            return SetDigestAudit.compare(card, card.setDigest(), records.values());
        }
    }

    @Test
    void setDigestMatchesAnUntouchedJournalAndNamesEachKindOfTampering() {
        Center c = new Center();
        assertEquals(List.of(), c.audit(c.journal));
        assertEquals(9, c.card.setDigest().count());

        Map<SensorId, SealedSeed> altered = new TreeMap<>(c.journal);
        altered.put(new SensorId(5), CardFixtures.flipCiphertextBit(altered.get(new SensorId(5))));
        List<SetDigestAudit.Finding> f = c.audit(altered);
        assertEquals(1, f.size());
        assertEquals(SetDigestAudit.Kind.ALTERED, f.get(0).kind());
        assertEquals(Optional.of(new SensorId(5)), f.get(0).sensor());

        Map<SensorId, SealedSeed> removed = new TreeMap<>(c.journal);
        removed.remove(new SensorId(7));
        f = c.audit(removed);
        assertEquals(1, f.size());
        assertEquals(SetDigestAudit.Kind.REMOVED, f.get(0).kind());
        assertEquals(SetDigest.bucketOf(new SensorId(7)), f.get(0).bucket());

        Map<SensorId, SealedSeed> added = new TreeMap<>(c.journal);
        added.put(new SensorId(9), c.revoked); // a revoked sensor's genuine record put back
        f = c.audit(added);
        assertEquals(1, f.size());
        assertEquals(SetDigestAudit.Kind.ADDED, f.get(0).kind());
        assertTrue(f.get(0).candidates().contains(new SensorId(9)));

        Map<SensorId, SealedSeed> rolledBack = new TreeMap<>(c.journal);
        rolledBack.put(new SensorId(3), c.updatedFrom); // genuine, but the seed before the update
        f = c.audit(rolledBack);
        assertEquals(1, f.size());
        assertEquals(SetDigestAudit.Kind.ROLLED_BACK, f.get(0).kind());
        assertTrue(f.get(0).candidates().contains(new SensorId(3)));
    }

    /** The exact audit of {@code records} against the center's card references. */
    private static List<String> exactAudit(EncryptionCard card, Map<SensorId, SealedSeed> records, Map<SensorId, Integer> revoked) {
        return SetDigestAudit.compare(card, card.setDigest(), card.references(), records.values(), revoked).stream()
                .map(f -> f.kind() + " " + f.sensor().orElseThrow().value()).toList();
    }

    @Test
    void referencesNameTheExactSensorOfEachKindOfTamperingAndAnUnconfirmedRecord() {
        Center c = new Center();
        Map<SensorId, Integer> revoked = Map.of(new SensorId(9), 1);
        assertTrue(SetDigestAudit.exact(c.card.setDigest(), c.card.references()));
        assertEquals(List.of(), exactAudit(c.card, c.journal, revoked));

        Map<SensorId, SealedSeed> tampered = new TreeMap<>(c.journal);
        tampered.put(new SensorId(5), CardFixtures.flipCiphertextBit(tampered.get(new SensorId(5))));
        tampered.remove(new SensorId(7));
        tampered.put(new SensorId(3), c.updatedFrom); // genuine, but the seed before the update
        tampered.put(new SensorId(9), c.revoked); // a revoked sensor's genuine record put back
        assertEquals(List.of("ROLLED_BACK 3", "ALTERED 5", "REMOVED 7", "ADDED 9"), exactAudit(c.card, tampered, Map.of()));

        // a crash after persisting: the card sealed these, the journal holds them, the card was not told
        Map<SensorId, SealedSeed> unconfirmed = new TreeMap<>(c.journal);
        SealedSeed v3 = c.card.seal(new SensorId(3), CipherSuite.AES128, CardFixtures.seed(3));
        unconfirmed.put(new SensorId(3), v3);
        unconfirmed.put(new SensorId(11), c.card.seal(new SensorId(11), CipherSuite.AES128, CardFixtures.seed(1)));
        unconfirmed.remove(new SensorId(4));
        assertEquals(List.of("UNCONFIRMED 3", "UNCONFIRMED 4", "UNCONFIRMED 11"),
                exactAudit(c.card, unconfirmed, Map.of(new SensorId(4), 1, new SensorId(9), 1)));
        // without the revocation in the journal, sensor 4's missing record is a removal
        assertEquals(List.of("REMOVED 4"), exactAudit(c.card, withoutSensor(c.journal, 4), revoked));
        c.card.recordReplaced(c.journal.get(new SensorId(3)), v3);
        // the card told late: sensor 3 is clean, a rollback to the update's seed 2 is now a rollback
        Map<SensorId, SealedSeed> confirmed = new TreeMap<>(c.journal);
        confirmed.put(new SensorId(3), v3);
        assertEquals(List.of(), exactAudit(c.card, confirmed, revoked));
        assertEquals(List.of("ROLLED_BACK 3"), exactAudit(c.card, c.journal, revoked));
    }

    private static Map<SensorId, SealedSeed> withoutSensor(Map<SensorId, SealedSeed> journal, long id) {
        Map<SensorId, SealedSeed> out = new TreeMap<>(journal);
        out.remove(new SensorId(id));
        return out;
    }

    @Test
    void referenceLogSurvivesReopeningAndRefusesEditsTruncationAndReplacement() throws Exception {
        Center c = new Center();
        CardReferences before = c.card.references();
        c.card.close();
        Path log = ReferenceLog.path(stateFile("a"), 0);
        byte[] genuine = Files.readAllBytes(log);
        // a crash between appending to the log and writing the state file leaves entries the state does not count
        Files.write(log, java.util.Arrays.copyOf(genuine, genuine.length + ReferenceLog.ENTRY_BYTES));
        EncryptionCard again = card("a", c.keys);
        assertEquals(before.setDigest(), again.references().setDigest());
        assertEquals(genuine.length, Files.size(log), "the uncounted entry is cut off");
        assertEquals(List.of(), exactAudit(again, c.journal, Map.of(new SensorId(9), 1)));
        again.close();

        byte[] edited = genuine.clone();
        edited[edited.length - 5] ^= 1; // the last entry's record digest
        Files.write(log, edited);
        assertEquals(CardException.Reason.STATE_TAMPERED, CardFixtures.reasonOf(() -> card("a", c.keys)));
        Files.write(log, java.util.Arrays.copyOf(genuine, genuine.length - ReferenceLog.ENTRY_BYTES));
        assertEquals(CardException.Reason.STATE_TAMPERED, CardFixtures.reasonOf(() -> card("a", c.keys)));
        Files.delete(log);
        assertEquals(CardException.Reason.STATE_TAMPERED, CardFixtures.reasonOf(() -> card("a", c.keys)));
        Files.write(log, genuine);
        assertEquals(before.setDigest(), card("a", c.keys).references().setDigest());
    }

    @Test
    void compactionAtOpenKeepsWhatTheAuditNeedsAndShrinksTheLog() {
        long threshold = CardLedger.compactAboveEntries;
        CardLedger.compactAboveEntries = 10;
        try {
            Center c = new Center();
            for (int version = 2; version <= 4; version++) { // sensors 1..8 (not 3 or 9) move to seed 4
                for (long id : new long[] {1, 2, 4, 5, 6, 7, 8, 10}) {
                    SealedSeed next = c.card.seal(new SensorId(id), CipherSuite.AES128, CardFixtures.seed(version));
                    c.card.recordReplaced(c.journal.put(new SensorId(id), next), next);
                }
            }
            Map<SensorId, SealedSeed> rolledBack = withoutSensor(c.journal, 0);
            SealedSeed old = c.card.seal(new SensorId(6), CipherSuite.AES128, CardFixtures.seed(2));
            rolledBack.put(new SensorId(6), old); // genuine, older than the current seed 4, never stored
            c.card.close();
            EncryptionCard again = card("a", c.keys);
            assertTrue(Files.exists(ReferenceLog.path(stateFile("a"), 1)) && Files.notExists(ReferenceLog.path(stateFile("a"), 0)));
            // per sensor only the current record (every replaced one is older); sensor 9 only its revoked record
            assertEquals(10, again.references().size());
            Map<SensorId, Integer> revoked = Map.of(new SensorId(9), 1);
            assertEquals(List.of(), exactAudit(again, c.journal, revoked));
            assertEquals(List.of("ROLLED_BACK 6"), exactAudit(again, rolledBack, revoked));
            Map<SensorId, SealedSeed> added = withoutSensor(c.journal, 0);
            added.put(new SensorId(9), c.revoked);
            assertEquals(List.of("ADDED 9"), exactAudit(again, added, Map.of()));
        } finally {
            CardLedger.compactAboveEntries = threshold;
        }
    }

    @Test
    void resetToReplacesTheDigestAndTheReferences() {
        Center c = new Center();
        EncryptionCard fresh = card("b", c.keys);
        fresh.resetTo(c.journal.values());
        assertEquals(c.card.setDigest(), fresh.setDigest());
        assertEquals(List.of(), exactAudit(fresh, c.journal, Map.of()));
        assertEquals(List.of("REMOVED 7"), exactAudit(fresh, withoutSensor(c.journal, 7), Map.of()));
        // a digest-only reset leaves references that no longer add up: the audit falls back to buckets
        fresh.resetSetDigest(SetDigest.empty());
        assertFalse(SetDigestAudit.exact(fresh.setDigest(), fresh.references()));
    }

    @Test
    void setDigestSurvivesReopeningAndRefusesAnEditedStateFile() throws Exception {
        Center c = new Center();
        SetDigest before = c.card.setDigest();
        c.card.close();
        EncryptionCard again = card("a", c.keys);
        assertEquals(before, again.setDigest());
        again.close();

        byte[] file = Files.readAllBytes(stateFile("a"));
        file[20] ^= 1;
        Files.write(stateFile("a"), file);
        assertEquals(CardException.Reason.STATE_TAMPERED,
                CardFixtures.reasonOf(() -> card("a", c.keys)));
    }

    @Test
    void nodeAccumulatorsAddUpToTheCentersDigest() {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard node1 = card("a", keys);
        EncryptionCard node2 = card("b", keys);
        SealedSeed s1 = node1.seal(new SensorId(1), CipherSuite.AES128, CardFixtures.seed(1));
        node1.recordStored(s1);
        SealedSeed s2 = node2.seal(new SensorId(2), CipherSuite.AES128, CardFixtures.seed(1));
        node2.recordStored(s2);
        // Sensor 1 moved to node 2, which updated it: node 2's share now holds a "negative" record.
        SealedSeed s1v2 = node2.seal(new SensorId(1), CipherSuite.AES128, CardFixtures.seed(2));
        node2.recordReplaced(s1, s1v2);
        SetDigest center = node1.readStateFile(stateFile("a")).combine(node2.readStateFile(stateFile("b")));
        assertEquals(2, center.count());
        assertEquals(List.of(), SetDigestAudit.compare(node1, center, List.of(s1v2, s2)));
        assertFalse(SetDigestAudit.compare(node1, center, List.of(s1, s2)).isEmpty());
        CardReferences refs = node1.readReferences(stateFile("a")).combine(node2.readReferences(stateFile("b")));
        assertTrue(SetDigestAudit.exact(center, refs));
        assertEquals(List.of(), SetDigestAudit.compare(node1, center, refs, List.of(s1v2, s2), Map.of()));
        List<SetDigestAudit.Finding> rolledBack = SetDigestAudit.compare(node1, center, refs, List.of(s1, s2), Map.of());
        assertEquals(List.of(SetDigestAudit.Kind.ROLLED_BACK), rolledBack.stream().map(SetDigestAudit.Finding::kind).toList());
        assertEquals(Optional.of(new SensorId(1)), rolledBack.get(0).sensor());
        EncryptionCard stranger = card("c", CardFixtures.ceremony());
        assertEquals(CardException.Reason.STATE_TAMPERED,
                CardFixtures.reasonOf(() -> stranger.readStateFile(stateFile("a"))));
    }

    @Test
    void setDigestMacRefusesAnEditedDigest() {
        Center c = new Center();
        SetDigest d = c.card.setDigest();
        byte[] mac = c.card.mac(d);
        c.card.verifyMac(d, mac);
        SetDigest edited = d.toBuilder().remove(new SensorId(1), c.card.digest(c.journal.get(new SensorId(1)))).build();
        assertEquals(CardException.Reason.DIGEST_MISMATCH,
                CardFixtures.reasonOf(() -> c.card.verifyMac(edited, mac)));
        assertEquals(d, SetDigest.fromBytes(d.toBytes()));
    }

    @Test
    void concurrentLedgerUpdatesAreAllKeptAcrossReopening() throws Exception {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard card = card("a", keys);
        List<SealedSeed> records = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            records.add(card.seal(new SensorId(i), CipherSuite.AES128, CardFixtures.seed(1)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (SealedSeed r : records) {
                done.add(pool.submit(() -> card.recordStored(r)));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), SetDigestAudit.compare(card, card.setDigest(), records));
        card.close();
        EncryptionCard again = card("a", keys);
        assertEquals(64, again.setDigest().count());
        assertEquals(List.of(), SetDigestAudit.compare(again, again.setDigest(), records));
    }

    @Test
    void asyncLedgerUpdatesAreOnDiskWhenTheyCompleteInCallOrderWithSyncOnes() throws Exception {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard card = card("a", keys);
        List<SealedSeed> kept = new ArrayList<>();
        Map<SensorId, Integer> revokedAt = new TreeMap<>();
        List<java.util.concurrent.CompletableFuture<Void>> stages = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            SealedSeed r = card.seal(new SensorId(i), CipherSuite.AES128, CardFixtures.seed(1));
            stages.add(card.recordStoredAsync(r).toCompletableFuture());
            if (i % 10 == 0) {
                card.recordRevoked(r); // applied after its own async store, whatever the writer did meanwhile
                revokedAt.put(r.sensorId(), 1);
            } else {
                kept.add(r);
            }
        }
        for (var stage : stages) {
            stage.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertEquals(kept.size(), card.setDigest().count());
        // what the files on disk hold, read back through another card of the center
        EncryptionCard reader = card("b", keys);
        assertEquals(card.setDigest(), reader.readStateFile(stateFile("a")));
        assertEquals(List.of(), SetDigestAudit.compare(reader, reader.readStateFile(stateFile("a")),
                reader.readReferences(stateFile("a")), kept, revokedAt));
        card.close();
        EncryptionCard again = card("a", keys);
        assertEquals(List.of(), SetDigestAudit.compare(again, again.setDigest(), kept));
    }

    @Test
    void aFailedAsyncWriteFailsItsStageAndTheChangeGoesWithTheNextWrite() throws Exception {
        CardKeyMaterial keys = CardFixtures.ceremony();
        EncryptionCard card = card("a", keys);
        SealedSeed first = card.seal(new SensorId(1), CipherSuite.AES128, CardFixtures.seed(1));
        card.recordStored(first);
        // a non-empty directory where the state file goes: the write's final move fails
        Path state = stateFile("a");
        Files.delete(state);
        Files.createDirectories(state.resolve("blocker"));
        SealedSeed second = card.seal(new SensorId(2), CipherSuite.AES128, CardFixtures.seed(1));
        var failed = card.recordStoredAsync(second).toCompletableFuture();
        var e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> failed.get(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(CardException.Reason.IO, ((CardException) e.getCause()).reason());
        Files.delete(state.resolve("blocker"));
        Files.delete(state);
        SealedSeed third = card.seal(new SensorId(3), CipherSuite.AES128, CardFixtures.seed(1));
        card.recordStoredAsync(third).toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        card.close();
        EncryptionCard again = card("a", keys);
        assertEquals(List.of(), SetDigestAudit.compare(again, again.setDigest(), List.of(first, second, third)));
    }

    @Test
    void aClosedCardFailsAnAsyncUpdateWithClosed() throws Exception {
        EncryptionCard card = card("a", CardFixtures.ceremony());
        SealedSeed r = card.seal(new SensorId(1), CipherSuite.AES128, CardFixtures.seed(1));
        card.close();
        var stage = card.recordStoredAsync(r).toCompletableFuture();
        var e = assertThrows(java.util.concurrent.ExecutionException.class, stage::get);
        assertEquals(CardException.Reason.CLOSED, ((CardException) e.getCause()).reason());
    }
}
