package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import java.security.SecureRandom;
import org.microcert.protocol.SeedUpdates;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.ChipStore;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.sensor.KeyLifecycle.Outcome;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Rewrapped;
import org.microcert.cluster.sensor.SensorMessages.SensorStatus;
import org.microcert.persistence.card.SetDigest;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorChip;
import org.slf4j.LoggerFactory;

/** The key life cycle without an actor: from a state and a command, the event and the reply, or a refusal. */
class KeyLifecycleTest {

    static final Instant NOW = Instant.parse("2026-11-25T18:00:00Z");
    static final java.util.concurrent.atomic.AtomicLong NEXT_ID = new java.util.concurrent.atomic.AtomicLong(0x7100L);

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static SoftwareCard card;

    SensorChip chip;
    OpenSeed seeds;
    KeyLifecycle keys;

    @BeforeAll
    static void openCard() {
        fleet = new TestFleet(dir.resolve("card"));
        card = fleet.openCard("keys");
    }

    @AfterAll
    static void closeCard() {
        card.close();
    }

    @BeforeEach
    void sensor() {
        chip = TestFleet.chip(NEXT_ID.incrementAndGet(), NOW); // one card for all tests: a record each
        seeds = new OpenSeed(card, new SeedCache(16, java.time.Duration.ofMinutes(2), System::nanoTime));
        keys = new KeyLifecycle(chip.sensorId(), card, seeds, () -> NOW, KeyLifecycleTest::status,
                LoggerFactory.getLogger(KeyLifecycleTest.class));
    }

    static SensorStatus status(SensorRecord s) {
        return new SensorStatus(s.sensorId().toString(), s.status().name(), s.seedVersion(),
                s.pendingSeedVersion() == 0 ? null : s.pendingSeedVersion(), null, 0,
                s.seed() == null ? 0 : s.seed().keyVersion(), null, null, 0, 0, "test");
    }

    /** Persists the outcome's event as the entity would: applied to the state, then its after-persist step. */
    static SensorRecord persisted(SensorRecord state, Outcome o) {
        assertNotNull(o.event(), () -> "no event: " + o.reply().apply(state));
        SensorRecord after = state.apply(o.event());
        if (o.afterPersist() != null) {
            o.afterPersist().run();
        }
        if (o.ledger() != null) {
            o.ledger().get().toCompletableFuture().join(); // as the entity: answered once the card's ledger holds it
        }
        return after;
    }

    SensorRecord provisioned() {
        return persisted(SensorRecord.empty(chip.sensorId()),
                keys.provision(SensorRecord.empty(chip.sensorId()), fleet.transportEnvelope(chip), "alice"));
    }

    static RefusalCode refusal(Outcome o, SensorRecord state) {
        assertNull(o.event(), "a refusal persists nothing");
        return assertInstanceOf(Refused.class, o.reply().apply(state)).error();
    }

    @Test
    void provisioningSealsTheSeedAndTheCardCountsTheRecordOnlyOnceItIsDurable() {
        SensorRecord empty = SensorRecord.empty(chip.sensorId());
        SetDigest before = card.setDigest();
        Outcome o = keys.provision(empty, fleet.transportEnvelope(chip), "alice");
        SensorEvent.Provisioned event = assertInstanceOf(SensorEvent.Provisioned.class, o.event());
        assertEquals("alice", event.actor());
        assertEquals(NOW, event.at());
        assertEquals(card.digest(event.seed()).toString(), event.recordDigest());
        assertEquals(before, card.setDigest(), "nothing recorded before the journal write");
        SensorRecord after = persisted(empty, o);
        assertFalse(before.equals(card.setDigest()));
        assertEquals("ACTIVE", assertInstanceOf(Done.class, o.reply().apply(after)).status().status());
        assertEquals(RefusalCode.ALREADY_PROVISIONED, refusal(keys.provision(after, fleet.transportEnvelope(chip), "a"), after));
    }

    @Test
    void provisioningRefusesEnvelopesNotMeantForIt() throws Exception {
        SensorRecord empty = SensorRecord.empty(chip.sensorId());
        assertEquals(RefusalCode.BAD_ENVELOPE, refusal(keys.provision(empty, new byte[] {1, 2}, "a"), empty));
        byte[] other = fleet.transportEnvelope(TestFleet.chip(chip.sensorId().value() + 1, NOW));
        assertEquals(RefusalCode.BAD_ENVELOPE, refusal(keys.provision(empty, other, "a"), empty));
        // an envelope the caller already decoded is taken as it is
        SeedEnvelope update = chip.prepareSeedUpdate(NOW);
        assertEquals(RefusalCode.BAD_ENVELOPE, refusal(keys.provision(empty, update, "a", false), empty));
        assertInstanceOf(SensorEvent.Provisioned.class,
                keys.provision(empty, SeedEnvelope.decode(fleet.transportEnvelope(chip)), "a", false).event());
    }

    /** A TRANSPORT envelope of a chip whose first seed has this version and epoch year. */
    byte[] firstSeed(int version, int epochYear) {
        SecureRandom rng = new SecureRandom();
        SensorChip odd = SensorChip.withSeed(chip.sensorId(), CipherSuite.AES128, KeySeed.generate(rng, version, epochYear),
                rng, java.time.Duration.ofMinutes(5));
        return fleet.transportEnvelope(odd);
    }

    @Test
    void aFirstSeedIsVersionOneAndCoversThePresentUnlessTheOperatorImportsLegacySeeds() {
        SensorRecord empty = SensorRecord.empty(chip.sensorId());
        int year = NOW.atZone(java.time.ZoneOffset.UTC).getYear();
        byte[] second = firstSeed(2, year);
        byte[] expired = firstSeed(1, year - KeySeed.LIFETIME_YEARS);
        byte[] lastYear = firstSeed(1, year - KeySeed.LIFETIME_YEARS + 1);
        byte[] future = firstSeed(1, year + 1);
        SetDigest before = card.setDigest();
        Refused r = assertInstanceOf(Refused.class, keys.provision(empty, second, "a").reply().apply(empty));
        assertEquals(RefusalCode.BAD_SEED, r.error());
        assertTrue(r.message().contains("version 2"), r.message());
        r = assertInstanceOf(Refused.class, keys.provision(empty, expired, "a").reply().apply(empty));
        assertEquals(RefusalCode.BAD_SEED, r.error());
        assertTrue(r.message().contains("ended in " + (year - 1)), r.message());
        assertEquals(RefusalCode.BAD_SEED, refusal(keys.provision(empty, future, "a", true), empty),
                "a seed whose years have not begun is refused even under the legacy exception");
        assertEquals(before, card.setDigest(), "a refused seed is recorded nowhere");

        assertInstanceOf(SensorEvent.Provisioned.class, keys.provision(empty, lastYear, "a").event(),
                "the fifth year still covers the present");
        assertInstanceOf(SensorEvent.Provisioned.class, keys.provision(empty, second, "a", true).event());
        assertInstanceOf(SensorEvent.Provisioned.class, keys.provision(empty, expired, "a", true).event());
    }

    /** A TRANSPORT envelope with header seed version 1 around {@code plaintext}, sealed under {@code key}. */
    static byte[] transportAround(byte[] key, SensorChip chip, byte[] plaintext) throws Exception {
        byte[] nonce = new byte[SeedEnvelope.NONCE_LENGTH];
        byte[] header = new SeedEnvelope(SeedEnvelope.Kind.TRANSPORT, chip.sensorId(), 1, CipherSuite.AES128, nonce,
                new byte[SeedEnvelope.CIPHERTEXT_LENGTH]).associatedData();
        javax.crypto.Cipher gcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(key, "AES"),
                new javax.crypto.spec.GCMParameterSpec(128, nonce));
        gcm.updateAAD(header);
        return new SeedEnvelope(SeedEnvelope.Kind.TRANSPORT, chip.sensorId(), 1, CipherSuite.AES128, nonce,
                gcm.doFinal(plaintext)).encode();
    }

    @Test
    void aTransportEnvelopeThatOpensButHoldsABadSeedSaysSoNotThatItDoesNotOpen() throws Exception {
        SensorRecord empty = SensorRecord.empty(chip.sensorId());
        byte[] seed = new byte[KeySeed.ENCODED_LENGTH]; // format 1, version 2, epoch 2026, rows zero
        seed[0] = 1;
        seed[4] = 2;
        seed[5] = (byte) (2026 >> 8);
        seed[6] = (byte) 2026;
        Outcome wrongVersion = keys.provision(empty, transportAround(fleet.transportKey(), chip, seed), "a");
        Refused r = assertInstanceOf(Refused.class, wrongVersion.reply().apply(empty));
        assertEquals(RefusalCode.BAD_ENVELOPE, r.error());
        assertTrue(r.message().contains("opens under the transport key but holds no valid seed")
                && r.message().contains("version 2"), r.message());

        seed[0] = 7; // not a seed format
        r = assertInstanceOf(Refused.class, keys.provision(empty, transportAround(fleet.transportKey(), chip, seed), "a")
                .reply().apply(empty));
        assertTrue(r.message().contains("holds no valid seed"), r.message());

        byte[] otherKey = new byte[SeedEnvelope.TRANSPORT_KEY_LENGTH];
        r = assertInstanceOf(Refused.class, keys.provision(empty, transportAround(otherKey, chip, seed), "a")
                .reply().apply(empty));
        assertEquals(RefusalCode.BAD_ENVELOPE, r.error());
        assertTrue(r.message().contains("failed authentication under K_trans"), r.message());
        assertNull(wrongVersion.event(), "a refusal persists nothing");
    }

    @Test
    void aSeedUpdateIsStartedOnceAndTheSensorsEnvelopeIsKeptAsOfferedOnce() throws Exception {
        SensorRecord state = provisioned();
        assertEquals(RefusalCode.NO_UPDATE_PENDING,
                refusal(keys.completeSeedUpdate(state, chip.prepareSeedUpdate(NOW).encode(), "bob"), state));
        Outcome start = keys.startSeedUpdate(state, "bob");
        assertEquals(new SensorEvent.SeedUpdateStarted(2, NOW, "bob"), start.event());
        state = persisted(state, start);
        Done started = assertInstanceOf(Done.class, start.reply().apply(state));
        assertInstanceOf(CommandOrder.SeedUpdate.class, chip.accept(MicroCertificate.decode(started.certificate()), NOW));
        Outcome again = keys.startSeedUpdate(state, "bob");
        assertNull(again.event(), "a repeated start re-issues the pending version without an event");
        assertEquals(2, assertInstanceOf(Done.class, again.reply().apply(state)).status().pendingSeedVersion());

        byte[] envelope = chip.pendingUpdate().orElseThrow().encode();
        Outcome complete = keys.completeSeedUpdate(state, envelope, "bob");
        assertEquals(2, assertInstanceOf(SensorEvent.SeedUpdateReceived.class, complete.event()).seed().seedVersion());
        assertTrue(seeds.isOpen(), "the current seed opened the envelope");
        state = persisted(state, complete);
        assertTrue(seeds.isOpen(), "the current seed stays until the sensor proves the new one");
        assertEquals("UPDATE_PENDING", assertInstanceOf(Done.class, complete.reply().apply(state)).status().status());
        assertEquals(1, state.seedVersion());
        assertNull(keys.completeSeedUpdate(state, envelope, "bob").event(), "a duplicated upload changes nothing");
    }

    @Test
    void anUpdateEnvelopeLabelledWithAnotherSuiteIsRefusedEvenWhenItOpens() throws Exception {
        byte[][] storedSeed = new byte[1][];
        SensorChip same = SensorChip.manufacture(chip.sensorId(), CipherSuite.AES128, NOW, new SecureRandom(),
                new ChipStore() {
                    @Override
                    public void saveState(byte[] state) {
                    }

                    @Override
                    public void saveSeed(byte[] seed) {
                        storedSeed[0] = seed.clone();
                    }
                });
        SensorRecord empty = SensorRecord.empty(chip.sensorId());
        SensorRecord state = persisted(empty, keys.provision(empty, fleet.transportEnvelope(same), "alice"));
        state = persisted(state, keys.startSeedUpdate(state, "bob"));
        KeySeed current = KeySeed.fromBytes(storedSeed[0]);
        KeySeed next = KeySeed.generate(new SecureRandom(), 2, NOW.atZone(java.time.ZoneOffset.UTC).getYear());
        // sealed under the right seed, so it opens: only the label is wrong
        SeedEnvelope relabelled = SeedUpdates.seal(current, chip.sensorId(), CipherSuite.SM4, next, new SecureRandom());
        assertEquals(RefusalCode.BAD_ENVELOPE, refusal(keys.completeSeedUpdate(state, relabelled.encode(), "bob"), state));
        SeedEnvelope right = SeedUpdates.seal(current, chip.sensorId(), CipherSuite.AES128, next, new SecureRandom());
        assertInstanceOf(SensorEvent.SeedUpdateReceived.class, keys.completeSeedUpdate(state, right.encode(), "bob").event());
    }

    @Test
    void revocationOrdersTheSensorToDestroyItsSeedAndRefusesEverythingAfterwards() throws Exception {
        byte[] envelope = fleet.transportEnvelope(chip); // the chip destroys its seed below
        SensorRecord state = provisioned();
        assertNull(keys.encrypt(state, new byte[] {1}).event());
        assertTrue(seeds.isOpen());
        Outcome revoke = keys.revoke(state, "stolen", "alice");
        assertEquals(new SensorEvent.Revoked("stolen", NOW, "alice", state.seed()), revoke.event(),
                "the revoked seed is kept sealed to deliver the REVOKE");
        state = persisted(state, revoke);
        assertFalse(seeds.isOpen(), "wiped once the revocation is durable");
        Done done = assertInstanceOf(Done.class, revoke.reply().apply(state));
        assertInstanceOf(CommandOrder.Revoke.class, chip.accept(MicroCertificate.decode(done.certificate()), NOW));
        SensorRecord revoked = state;
        assertEquals(RefusalCode.REVOKED, refusal(keys.revoke(revoked, null, "a"), revoked));
        assertEquals(RefusalCode.REVOKED, refusal(keys.encrypt(revoked, new byte[] {1}), revoked));
        assertEquals(RefusalCode.REVOKED, refusal(keys.rewrap(revoked), revoked));
        assertEquals(RefusalCode.REVOKED, refusal(keys.startSeedUpdate(revoked, "a"), revoked));
        assertEquals(RefusalCode.REVOKED, refusal(keys.provision(revoked, envelope, "a"), revoked));
        assertEquals("REVOKED", assertInstanceOf(Done.class, keys.status(revoked)).status().status());
    }

    @Test
    void anUnknownSensorIsRefusedEveryOperationOnASeed() {
        SensorRecord empty = SensorRecord.empty(chip.sensorId());
        assertEquals(RefusalCode.UNKNOWN_SENSOR, refusal(keys.revoke(empty, null, "a"), empty));
        assertEquals(RefusalCode.UNKNOWN_SENSOR, refusal(keys.encrypt(empty, new byte[] {1}), empty));
        assertEquals(RefusalCode.UNKNOWN_SENSOR, refusal(keys.rewrap(empty), empty));
        assertEquals(RefusalCode.UNKNOWN_SENSOR, refusal(keys.startSeedUpdate(empty, "a"), empty));
        assertEquals(RefusalCode.UNKNOWN_SENSOR, refusal(keys.completeSeedUpdate(empty, new byte[] {1}, "a"), empty));
        assertEquals(RefusalCode.UNKNOWN_SENSOR, assertInstanceOf(Refused.class, keys.status(empty)).error());
    }

    @Test
    void encryptionAndARewrapUnderTheCurrentVersionPersistNothing() throws Exception {
        SensorRecord state = provisioned();
        byte[] payload = {4, 2};
        Outcome enc = keys.encrypt(state, payload);
        assertNull(enc.event());
        Done done = assertInstanceOf(Done.class, enc.reply().apply(state));
        assertArrayEquals(payload, chip.decrypt(MicroCertificate.decode(done.certificate()), NOW));
        Outcome rewrap = keys.rewrap(state);
        assertNull(rewrap.event(), "already under the card's current K_store version");
        assertFalse(assertInstanceOf(Rewrapped.class, rewrap.reply().apply(state)).changed());
    }
}
