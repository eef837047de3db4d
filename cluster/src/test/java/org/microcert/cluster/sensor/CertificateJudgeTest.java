package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.replay.ReplayGuard;
import org.microcert.cluster.sensor.CertificateJudge.Judgement;
import org.microcert.cluster.sensor.CertificateJudge.Reservation;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CertificateType;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;
import org.slf4j.LoggerFactory;

/** Judging a certificate without an actor: the checks in order, the replay decision, the reservation asked for. */
class CertificateJudgeTest {

    static final Instant NOW = Instant.parse("2026-11-25T18:00:00Z");
    static final long T = NOW.getEpochSecond();

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static SoftwareCard card;

    SensorChip chip;
    SensorRecord state;
    OpenSeed seeds;
    CertificateJudge judge;
    ReplayGuard guard;

    @BeforeAll
    static void openCard() {
        fleet = new TestFleet(dir.resolve("card"));
        card = fleet.openCard("judge");
    }

    @AfterAll
    static void closeCard() {
        card.close();
    }

    /** The state of a sensor provisioned with {@code chip}'s seed on {@code card}. */
    static SensorRecord provisioned(SensorChip chip, EncryptionCard card) throws Exception {
        var sealed = card.provision(SeedEnvelope.decode(fleet.transportEnvelope(chip)));
        return SensorRecord.empty(chip.sensorId())
                .apply(new SensorEvent.Provisioned(sealed, card.digest(sealed).toString(), NOW, "alice"));
    }

    @BeforeEach
    void sensor() throws Exception {
        chip = TestFleet.chip(0x7001L, NOW);
        state = provisioned(chip, card);
        seeds = new OpenSeed(card, new SeedCache(16, java.time.Duration.ofMinutes(2), System::nanoTime));
        judge = judge(seeds);
        guard = new ReplayGuard(0, 120, 10, 16);
    }

    CertificateJudge judge(OpenSeed seeds) {
        return new CertificateJudge(chip.sensorId(), new CertificateVerifier(Duration.ofSeconds(120)), seeds,
                LoggerFactory.getLogger(CertificateJudgeTest.class));
    }

    Judgement auth(byte[] cert, long reservedUntil, Instant now) {
        return judge.judge(state, cert, null, CertificateType.AUTH, guard, reservedUntil, now);
    }

    @Test
    void aValidCertificateIsAcceptedAndAsksForAReservationOnlyBeyondTheDurableOne() throws Exception {
        Judgement first = auth(chip.authenticate(NOW).encode(), 0, NOW);
        assertTrue(first.verdict().accepted());
        assertEquals(1, first.verdict().seedVersion());
        assertEquals(T, first.verdict().timestamp());
        assertEquals(T, first.verdict().serverTime());
        // beyond the durable reservation: the answer must wait for the write
        assertEquals(new Reservation(T + 10, true, false), first.reservation());
        Judgement second = auth(chip.authenticate(NOW).encode(), T + 10, NOW);
        assertTrue(second.verdict().accepted());
        assertNull(second.reservation(), "inside the durable reservation: nothing to write");
        assertTrue(seeds.isOpen(), "kept open for the next certificate");
    }

    @Test
    void aSensorAtAPaceHasItsReservationRenewedBehindTheAnswer() throws Exception {
        assertEquals(new Reservation(T + 10, true, false), auth(chip.authenticate(NOW).encode(), 0, NOW).reservation());
        for (int t = 3; t <= 6; t += 3) { // every 3 s: the next still falls inside T + 10
            Instant at = NOW.plusSeconds(t);
            assertNull(auth(chip.authenticate(at).encode(), T + 10, at).reservation(), "at +" + t);
        }
        Instant at = NOW.plusSeconds(9); // the next, at +12, would wait: renewed now, behind this answer
        Judgement renewing = auth(chip.authenticate(at).encode(), T + 10, at);
        assertTrue(renewing.verdict().accepted());
        assertEquals(new Reservation(T + 19, false, true), renewing.reservation());
    }

    @Test
    void aReplayIsRejectedByTheGuardWithTheCentersReason() throws Exception {
        byte[] cert = chip.authenticate(NOW).encode();
        assertTrue(auth(cert, 0, NOW).verdict().accepted());
        Judgement again = auth(cert, T + 10, NOW);
        assertEquals(VerdictReason.REPLAY, again.verdict().reason());
        assertNull(again.reservation());
        ReplayGuard recovered = new ReplayGuard(T + 10, 120, 10, 16);
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, judge.judge(state, chip.authenticate(NOW).encode(), null,
                CertificateType.AUTH, recovered, T + 10, NOW).verdict().reason());
    }

    @Test
    void certificatesFailingABasicCheckAreRejectedWithoutTakingAPlaceInTheWindow() throws Exception {
        SensorChip other = TestFleet.chip(0x7002L, NOW);
        byte[] forged = chip.authenticate(NOW).encode();
        forged[forged.length - 1] ^= 1;
        assertEquals(VerdictReason.MALFORMED, auth(new byte[] {1, 2, 3}, 0, NOW).verdict().reason());
        assertEquals(VerdictReason.WRONG_SENSOR, auth(other.authenticate(NOW).encode(), 0, NOW).verdict().reason());
        assertEquals(VerdictReason.WRONG_TYPE, auth(chip.sign(new byte[] {1}, NOW).encode(), 0, NOW).verdict().reason());
        assertEquals(VerdictReason.BAD_TAG, auth(forged, 0, NOW).verdict().reason());
        assertEquals(VerdictReason.STALE_TIMESTAMP, auth(chip.authenticate(NOW.minusSeconds(121)).encode(), 0, NOW)
                .verdict().reason());
        assertEquals(0, guard.tracked(), "only a certificate whose tag verified reaches the guard");
        Judgement unknown = judge.judge(SensorRecord.empty(chip.sensorId()), chip.authenticate(NOW).encode(), null,
                CertificateType.AUTH, guard, 0, NOW);
        assertEquals(VerdictReason.UNKNOWN_SENSOR, unknown.verdict().reason());
        SensorRecord revoked = state.apply(new SensorEvent.Revoked("stolen", NOW, "alice"));
        assertEquals(VerdictReason.REVOKED, judge.judge(revoked, chip.authenticate(NOW).encode(), null,
                CertificateType.AUTH, guard, 0, NOW).verdict().reason());
    }

    @Test
    void signAndEncUpAreJudgedWithTheirData() throws Exception {
        byte[] data = "reading=21.5C".getBytes(StandardCharsets.UTF_8);
        byte[] sign = chip.sign(data, NOW).encode();
        assertEquals(VerdictReason.BAD_TAG, judge.judge(state, sign, CertificateVerifier.signDigest(CipherSuite.AES128,
                new byte[] {9}), CertificateType.SIGN, guard, 0, NOW).verdict().reason());
        assertTrue(judge.judge(state, sign, CertificateVerifier.signDigest(CipherSuite.AES128, data),
                CertificateType.SIGN, guard, 0, NOW).verdict().accepted());
        Judgement up = judge.judge(state, chip.encrypt(data, NOW).encode(), null, CertificateType.ENC_UP, guard,
                T + 10, NOW);
        assertArrayEquals(data, up.verdict().plaintext());
    }

    @Test
    void aRecordTheCardCannotOpenIsAnInternalRejectionThatNamesNoSecret() throws Exception {
        EncryptionCard broken = (EncryptionCard) java.lang.reflect.Proxy.newProxyInstance(
                EncryptionCard.class.getClassLoader(), new Class<?>[] {EncryptionCard.class}, (proxy, method, args) -> {
                    throw new CardException(CardException.Reason.RECORD_REJECTED, "record of sensor failed authentication");
                });
        judge = judge(new OpenSeed(broken, new SeedCache(16, java.time.Duration.ofMinutes(2), System::nanoTime)));
        Judgement j = auth(chip.authenticate(NOW).encode(), 0, NOW);
        assertFalse(j.verdict().accepted());
        assertEquals(VerdictReason.INTERNAL, j.verdict().reason());
        assertEquals("the sensor's key record cannot be used", j.verdict().message());
        assertEquals(0, guard.tracked());
    }

    @Test
    void withoutKeepSeedOpenNoSeedStaysInMemory() throws Exception {
        OpenSeed perRequest = new OpenSeed(card, SeedCache.off());
        judge = judge(perRequest);
        assertTrue(auth(chip.authenticate(NOW).encode(), 0, NOW).verdict().accepted());
        assertFalse(perRequest.isOpen());
    }
}
