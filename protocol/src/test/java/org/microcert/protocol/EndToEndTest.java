package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SM3Digest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The whole protocol between a {@link SensorChip} and the center's classes, in both suites. */
class EndToEndTest {

    private static final Instant NOW = Instant.parse("2026-11-25T18:00:00Z");
    private static final SensorId ID = SensorId.parse("00000000cafe0001");
    private final CertificateVerifier verifier = new CertificateVerifier(Duration.ofSeconds(60));
    private final CenterIssuer issuer = new CenterIssuer();
    private final byte[] kTrans = new byte[32];

    private record Pair(SensorChip chip, KeySeed centerSeed) {
    }

    /** Manufacture a chip and provision its seed to the center through the TRANSPORT envelope. */
    private Pair provisioned(CipherSuite suite) throws Exception {
        KeySeed.newDrbg().nextBytes(kTrans);
        SensorChip chip = SensorChip.manufacture(ID, suite, NOW);
        SeedEnvelope env = SeedEnvelope.decode(chip.transportEnvelope(kTrans).encode());
        assertEquals(SeedEnvelope.Kind.TRANSPORT, env.kind());
        KeySeed seed = SeedEnvelope.openTransport(new SecretKeySpec(kTrans, "AES"), env);
        assertEquals(1, seed.version());
        assertEquals(2026, seed.epochYear());
        return new Pair(chip, seed);
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void authCertificateFromTheChipVerifiesAtTheCenter(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        byte[] wire = p.chip.authenticate(NOW).encode();
        assertEquals(32, wire.length);
        MicroCertificate cert = verifier.verifyAuth(p.centerSeed, wire, NOW.plusSeconds(30));
        assertEquals(ID, cert.sensorId());
        assertEquals(NOW.getEpochSecond(), cert.timestamp());
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void everyFlippedBitOfAnAuthCertificateIsRejected(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        byte[] wire = p.chip.authenticate(NOW).encode();
        for (int bit = 0; bit < wire.length * 8; bit++) {
            byte[] bad = wire.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            VerificationException e = assertThrows(VerificationException.class,
                    () -> verifier.verifyAuth(p.centerSeed, bad, NOW));
            assertFalse(e.getMessage().isEmpty());
        }
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void timestampsOutsideTheSkewWindowAreRejected(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        MicroCertificate cert = p.chip.authenticate(NOW);
        assertReason(RejectReason.STALE_TIMESTAMP, () -> verifier.verifyAuth(p.centerSeed, cert, NOW.plusSeconds(61)));
        assertReason(RejectReason.FUTURE_TIMESTAMP, () -> verifier.verifyAuth(p.centerSeed, cert, NOW.minusSeconds(61)));
        verifier.verifyAuth(p.centerSeed, cert, NOW.plusSeconds(60));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void anotherSensorsSeedGivesBadTag(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        KeySeed other = KeySeed.generate(KeySeed.newDrbg(), 1, 2026);
        assertReason(RejectReason.BAD_TAG, () -> verifier.verifyAuth(other, p.chip.authenticate(NOW), NOW));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void signatureCoversTheData(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        byte[] data = "temperature=21.5".getBytes(StandardCharsets.UTF_8);
        MicroCertificate cert = p.chip.sign(data, NOW);
        assertEquals(32, cert.encode().length);
        verifier.verifySign(p.centerSeed, cert.encode(), data, NOW);
        byte[] changed = "temperature=31.5".getBytes(StandardCharsets.UTF_8);
        assertReason(RejectReason.BAD_TAG, () -> verifier.verifySign(p.centerSeed, cert, changed, NOW));
        assertReason(RejectReason.WRONG_TYPE, () -> verifier.verifyAuth(p.centerSeed, cert, NOW));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void signatureVerifiesOverTheDataDigestAlone(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        byte[] data = new byte[300 * 1024];
        new Random(7).nextBytes(data);
        MicroCertificate cert = p.chip.sign(data, NOW);
        byte[] digest = CertificateVerifier.signDigest(suite, data);
        // the suite's digest, computed independently: SHA-256 (JDK) or SM3 (Bouncy Castle)
        byte[] expected;
        if (suite == CipherSuite.AES128) {
            expected = MessageDigest.getInstance("SHA-256").digest(data);
        } else {
            SM3Digest sm3 = new SM3Digest();
            sm3.update(data, 0, data.length);
            expected = new byte[32];
            sm3.doFinal(expected, 0);
        }
        assertArrayEquals(expected, digest);
        verifier.verifySignDigest(p.centerSeed, cert, digest, NOW);

        byte[] wrong = digest.clone();
        wrong[31] ^= 1;
        assertReason(RejectReason.BAD_TAG, () -> verifier.verifySignDigest(p.centerSeed, cert, wrong, NOW));
        CipherSuite other = suite == CipherSuite.AES128 ? CipherSuite.SM4 : CipherSuite.AES128;
        assertReason(RejectReason.BAD_TAG, () -> verifier.verifySignDigest(p.centerSeed, cert,
                CertificateVerifier.signDigest(other, data), NOW));
        assertReason(RejectReason.MALFORMED, () -> verifier.verifySignDigest(p.centerSeed, cert, new byte[31], NOW));
        assertReason(RejectReason.MALFORMED, () -> verifier.verifySignDigest(p.centerSeed, cert, null, NOW));
        assertReason(RejectReason.WRONG_TYPE, () -> verifier.verifySignDigest(p.centerSeed,
                p.chip.authenticate(NOW), digest, NOW));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void payloadsTravelEncryptedBothWays(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        byte[] up = "reading 42".getBytes(StandardCharsets.UTF_8);
        MicroCertificate enc = MicroCertificate.decode(p.chip.encrypt(up, NOW).encode());
        assertArrayEquals(up, verifier.decryptPayload(p.centerSeed, enc, NOW));
        byte[] tampered = enc.encode();
        tampered[MicroCertificate.HEADER_LENGTH] ^= 1;
        assertReason(RejectReason.BAD_TAG, () -> verifier.decryptPayload(p.centerSeed, tampered, NOW));

        byte[] down = "set interval 60".getBytes(StandardCharsets.UTF_8);
        MicroCertificate downCert = issuer.encryptPayload(p.centerSeed, suite, ID, down, NOW);
        assertArrayEquals(down, p.chip.decrypt(MicroCertificate.decode(downCert.encode()), NOW));
        assertReason(RejectReason.REPLAY, () -> p.chip.decrypt(downCert, NOW.plusSeconds(1)));
        // the chip's own uplink cannot be reflected back to it as a downlink
        assertReason(RejectReason.WRONG_TYPE, () -> p.chip.decrypt(enc, NOW));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void onlyAVerifiedDownlinkIsRememberedAndAReplayLeavesTheChipAsItWas(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        byte[] down = "open valve 3".getBytes(StandardCharsets.UTF_8);
        byte[] genuine = issuer.encryptPayload(p.centerSeed, suite, ID, down, NOW).encode();
        byte[] forged = genuine.clone(); // same timestamp and random, altered payload
        forged[MicroCertificate.HEADER_LENGTH] ^= 1;

        assertReason(RejectReason.BAD_TAG, () -> p.chip.decrypt(MicroCertificate.decode(forged), NOW));
        assertArrayEquals(down, p.chip.decrypt(MicroCertificate.decode(genuine), NOW), "the forgery was not remembered");
        assertReason(RejectReason.REPLAY, () -> p.chip.decrypt(MicroCertificate.decode(genuine), NOW.plusSeconds(1)));
        // the tag is checked before the replay: a forgery of an accepted certificate is still BAD_TAG
        assertReason(RejectReason.BAD_TAG, () -> p.chip.decrypt(MicroCertificate.decode(forged), NOW.plusSeconds(1)));
        byte[] next = "close valve 3".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(next, p.chip.decrypt(issuer.encryptPayload(p.centerSeed, suite, ID, next, NOW), NOW.plusSeconds(2)),
                "a refused replay changes nothing");
        assertEquals(1, p.chip.seedVersion());
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void seedUpdateOrderedByTheCenterReachesTheCenterUnderTheOldSeed(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        MicroCertificate order = issuer.issueCommand(p.centerSeed, suite, ID, new CommandOrder.SeedUpdate(2), NOW);
        assertEquals(37, order.encode().length);
        assertEquals(new CommandOrder.SeedUpdate(2), p.chip.accept(MicroCertificate.decode(order.encode()), NOW));
        SeedEnvelope env = SeedEnvelope.decode(p.chip.pendingUpdate().orElseThrow().encode());
        assertEquals(SeedEnvelope.Kind.UPDATE, env.kind());
        // the same order again is a replay
        assertReason(RejectReason.REPLAY, () -> p.chip.accept(order, NOW));
        KeySeed next = SeedUpdates.open(p.centerSeed, env);
        assertEquals(2, next.version());
        p.chip.activatePendingSeed();
        assertEquals(2, p.chip.seedVersion());
        verifier.verifyAuth(next, p.chip.authenticate(NOW), NOW);
        assertReason(RejectReason.BAD_TAG, () -> verifier.verifyAuth(p.centerSeed, p.chip.authenticate(NOW), NOW));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void updateEnvelopesCannotBeOpenedWithAnotherSeedOrMovedToAnotherVersion(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        SeedEnvelope env = p.chip.prepareSeedUpdate(NOW);
        KeySeed stranger = KeySeed.generate(KeySeed.newDrbg(), 1, 2026);
        assertReason(RejectReason.BAD_TAG, () -> SeedUpdates.open(stranger, env));
        byte[] moved = env.encode();
        moved[3] ^= 1; // sensor id
        assertReason(RejectReason.BAD_TAG, () -> SeedUpdates.open(p.centerSeed, SeedEnvelope.decode(moved)));
        KeySeed v2 = KeySeed.generate(KeySeed.newDrbg(), 2, 2026);
        assertReason(RejectReason.WRONG_SEED_VERSION, () -> SeedUpdates.open(v2, env));
        assertReason(RejectReason.WRONG_TYPE, () -> SeedUpdates.open(p.centerSeed, p.chip.transportEnvelope(kTrans)));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void transportEnvelopeIsBoundToItsHeaderAndKey(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        byte[] wire = p.chip.transportEnvelope(kTrans).encode();
        byte[] moved = wire.clone();
        moved[14] ^= 2; // seed version 1 -> 3
        assertReason(RejectReason.BAD_TAG,
                () -> SeedEnvelope.openTransport(new SecretKeySpec(kTrans, "AES"), SeedEnvelope.decode(moved)));
        byte[] otherKey = kTrans.clone();
        otherKey[0] ^= 1;
        assertReason(RejectReason.BAD_TAG,
                () -> SeedEnvelope.openTransport(new SecretKeySpec(otherKey, "AES"), SeedEnvelope.decode(wire)));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void commandsFromCenterNodesWithSkewedClocksAreAcceptedInAnyOrder(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        MicroCertificate later = issuer.issueCommand(p.centerSeed, suite, ID, new CommandOrder.SeedUpdate(2), NOW);
        MicroCertificate earlier = issuer.issueCommand(p.centerSeed, suite, ID, new CommandOrder.SeedUpdate(2),
                NOW.minusSeconds(5));
        p.chip.accept(later, NOW);
        p.chip.accept(earlier, NOW);
        assertReason(RejectReason.REPLAY, () -> p.chip.accept(earlier, NOW));
        assertTrue(p.chip.pendingUpdate().isPresent());
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void revokeOrderKillsTheChip(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        MicroCertificate wrongVersion = issuer.issueCommand(p.centerSeed, suite, ID, new CommandOrder.Revoke(7), NOW);
        assertReason(RejectReason.WRONG_SEED_VERSION, () -> p.chip.accept(wrongVersion, NOW));
        MicroCertificate revoke = issuer.issueCommand(p.centerSeed, suite, ID, new CommandOrder.Revoke(1), NOW);
        assertInstanceOf(CommandOrder.Revoke.class, p.chip.accept(revoke, NOW));
        assertTrue(p.chip.isRevoked());
        assertThrows(IllegalStateException.class, () -> p.chip.authenticate(NOW));
        assertReason(RejectReason.REVOKED, () -> p.chip.accept(revoke, NOW));
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void commandsForAnotherSensorOrForgedAreRefused(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        SensorId other = SensorId.parse("00000000cafe0002");
        assertReason(RejectReason.WRONG_SENSOR, () -> p.chip.accept(
                issuer.issueCommand(p.centerSeed, suite, other, new CommandOrder.Revoke(1), NOW), NOW));
        KeySeed stranger = KeySeed.generate(KeySeed.newDrbg(), 1, 2026);
        assertReason(RejectReason.BAD_TAG, () -> p.chip.accept(
                issuer.issueCommand(stranger, suite, ID, new CommandOrder.Revoke(1), NOW), NOW));
        assertFalse(p.chip.isRevoked());
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void aSeedExpiresAfterItsFiveYears(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        Instant lastDay = Instant.parse("2030-12-31T23:59:59Z");
        verifier.verifyAuth(p.centerSeed, p.chip.authenticate(lastDay), lastDay);
        Instant after = Instant.parse("2031-01-01T00:00:00Z");
        SeedExpiredException e = assertThrows(SeedExpiredException.class, () -> p.chip.authenticate(after));
        assertEquals(2031, e.year());
    }

    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void aVerifierCanRefuseASuite(CipherSuite suite) throws Exception {
        Pair p = provisioned(suite);
        Set<CipherSuite> others = java.util.EnumSet.complementOf(java.util.EnumSet.of(suite));
        CertificateVerifier picky = new CertificateVerifier(Duration.ofSeconds(60), others);
        assertReason(RejectReason.UNSUPPORTED_SUITE, () -> picky.verifyAuth(p.centerSeed, p.chip.authenticate(NOW), NOW));
    }

    interface Call {
        void run() throws Exception;
    }

    static void assertReason(RejectReason reason, Call call) {
        VerificationException e = assertThrows(VerificationException.class, call::run);
        assertEquals(reason, e.reason(), e.getMessage());
    }
}
