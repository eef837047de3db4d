package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Rewrapped;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.card.SetDigest;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;

/** The sensor entity's device and key-management commands, events and state. */
class SensorEntityTest extends SensorEntityFixture {

    @Test
    void provisionedSensorAuthenticatesAndShowsActiveStatus() throws Exception {
        Done done = provision();
        assertEquals("ACTIVE", done.status().status());
        assertEquals(1, done.status().seedVersion());
        assertEquals("AES128", done.status().suite());
        Verdict v = authenticate(auth());
        assertTrue(v.accepted(), () -> "rejected: " + v.reason() + " " + v.message());
        assertEquals(1, v.seedVersion());
        Done status = (Done) kit.<OperatorReply>runCommand(SensorMessages.GetStatus::new).reply();
        assertEquals(1, status.status().accepted());
        assertNull(status.certificate());
    }

    @Test
    void unknownSensorIsRefusedEverything() throws Exception {
        assertEquals(VerdictReason.UNKNOWN_SENSOR, authenticate(auth()).reason());
        Refused r = (Refused) kit.<OperatorReply>runCommand(SensorMessages.GetStatus::new).reply();
        assertEquals(RefusalCode.UNKNOWN_SENSOR, r.error());
        assertEquals(RefusalCode.UNKNOWN_SENSOR, ((Refused) kit.<OperatorReply>runCommand(
                x -> new SensorMessages.Revoke(null, "alice", x)).reply()).error());
    }

    @Test
    void replayedCertificateIsRejected() throws Exception {
        provision();
        MicroCertificate cert = auth();
        assertTrue(authenticate(cert).accepted());
        Verdict again = authenticate(cert);
        assertFalse(again.accepted());
        assertEquals(VerdictReason.REPLAY, again.reason());
    }

    @Test
    void aBatchItemIsJudgedLikeASingleCertificateAndAnsweredWithItsIndex() throws Exception {
        provision();
        byte[] cert = certBytes();
        var first = kit.<SensorMessages.BatchItemVerdict>runCommand(r -> new SensorMessages.AuthenticateInBatch(cert, 41, r));
        assertEquals(41, first.reply().index());
        assertTrue(first.reply().verdict().accepted(), () -> "rejected: " + first.reply().verdict().reason());
        // the batch path shares the replay guard and the reservation with the single path
        assertInstanceOf(SensorEvent.ReplayReservationExtended.class, first.event());
        assertEquals(VerdictReason.REPLAY, authenticate(MicroCertificate.decode(cert)).reason());
        var again = kit.<SensorMessages.BatchItemVerdict>runCommand(r -> new SensorMessages.AuthenticateInBatch(cert, 7, r));
        assertEquals(7, again.reply().index());
        assertEquals(VerdictReason.REPLAY, again.reply().verdict().reason());
        byte[] forged = certBytes();
        forged[forged.length - 1] ^= 1;
        assertEquals(VerdictReason.BAD_TAG, kit.<SensorMessages.BatchItemVerdict>runCommand(
                r -> new SensorMessages.AuthenticateInBatch(forged, 0, r)).reply().verdict().reason());
    }

    @Test
    void forgedStaleAndFutureCertificatesAreRejectedWithTheirReason() throws Exception {
        provision();
        byte[] forged = auth().encode();
        forged[forged.length - 1] ^= 1;
        assertEquals(VerdictReason.BAD_TAG, kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(forged, r)).reply().reason());
        MicroCertificate old = chip.authenticate(clock.instant().minusSeconds(121));
        assertEquals(VerdictReason.STALE_TIMESTAMP, authenticate(old).reason());
        MicroCertificate future = chip.authenticate(clock.instant().plusSeconds(121));
        Verdict v = authenticate(future);
        assertEquals(VerdictReason.FUTURE_TIMESTAMP, v.reason());
        assertEquals(START.getEpochSecond(), v.serverTime());
        MicroCertificate sign = chip.sign(new byte[] {1}, clock.instant());
        assertEquals(VerdictReason.WRONG_TYPE, authenticate(sign).reason());
        Done status = (Done) kit.<OperatorReply>runCommand(SensorMessages.GetStatus::new).reply();
        assertEquals(4, status.status().rejected());
        assertEquals(0, status.status().accepted());
    }

    @Test
    void tooManyCertificatesWithinTheSkewWindowAreRateLimited() throws Exception {
        provision();
        for (int i = 0; i < 16; i++) {
            assertTrue(authenticate(auth()).accepted());
        }
        assertEquals(VerdictReason.RATE_LIMITED, authenticate(auth()).reason());
        clock.advanceSeconds(121);
        assertTrue(authenticate(auth()).accepted(), "pairs older than the skew window are forgotten");
    }

    @Test
    void signatureVerifiesOnlyOverTheSignedData() throws Exception {
        provision();
        byte[] data = "reading=21.5C".getBytes(StandardCharsets.UTF_8);
        MicroCertificate sign = chip.sign(data, clock.instant());
        Verdict wrong = kit.<Verdict>runCommand(r -> new SensorMessages.VerifySignature(sign.encode(),
                digest("reading=99.9C".getBytes(StandardCharsets.UTF_8)), r)).reply();
        assertEquals(VerdictReason.BAD_TAG, wrong.reason());
        // anything but a 32-byte digest (here: the data itself) is refused, not judged
        Verdict raw = kit.<Verdict>runCommand(r -> new SensorMessages.VerifySignature(sign.encode(), data, r)).reply();
        assertEquals(VerdictReason.MALFORMED, raw.reason());
        Verdict ok = kit.<Verdict>runCommand(r -> new SensorMessages.VerifySignature(sign.encode(), digest(data), r)).reply();
        assertTrue(ok.accepted(), () -> "rejected: " + ok.reason() + " " + ok.message());
    }

    @Test
    void payloadsDecryptFromAndEncryptToTheSensor() throws Exception {
        provision();
        byte[] up = "hello center".getBytes(StandardCharsets.UTF_8);
        MicroCertificate enc = chip.encrypt(up, clock.instant());
        Verdict v = kit.<Verdict>runCommand(r -> new SensorMessages.Decrypt(enc.encode(), r)).reply();
        assertTrue(v.accepted());
        assertArrayEquals(up, v.plaintext());
        assertEquals(VerdictReason.REPLAY, kit.<Verdict>runCommand(r -> new SensorMessages.Decrypt(enc.encode(), r)).reply().reason());

        byte[] down = "hello sensor".getBytes(StandardCharsets.UTF_8);
        Done done = (Done) kit.<OperatorReply>runCommand(r -> new SensorMessages.Encrypt(down, r)).reply();
        assertArrayEquals(down, chip.decrypt(MicroCertificate.decode(done.certificate()), clock.instant()));
    }

    @Test
    void revokeAnswersACommandTheSensorObeysAndRefusesEverythingAfterwards() throws Exception {
        provision();
        var result = kit.<OperatorReply>runCommand(r -> new SensorMessages.Revoke("stolen", "alice", r));
        SensorEvent.Revoked event = result.eventOfType(SensorEvent.Revoked.class);
        assertEquals("alice", event.actor());
        Done done = (Done) result.reply();
        assertEquals("REVOKED", done.status().status());
        MicroCertificate authBefore = auth();
        CommandOrder order = chip.accept(MicroCertificate.decode(done.certificate()), clock.instant());
        assertInstanceOf(CommandOrder.Revoke.class, order);
        assertTrue(chip.isRevoked());

        assertEquals(VerdictReason.REVOKED, authenticate(authBefore).reason());
        assertEquals(RefusalCode.REVOKED, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Encrypt(new byte[] {1}, r)).reply()).error());
        assertEquals(RefusalCode.REVOKED, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Revoke(null, "alice", r)).reply()).error());
        assertEquals(RefusalCode.REVOKED, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Provision(fleet.transportEnvelope(TestFleet.chip(SENSOR, START)), "a", r))
                .reply()).error());
        assertEquals("REVOKED", ((Done) kit.<OperatorReply>runCommand(SensorMessages.GetStatus::new).reply())
                .status().status(), "status still answers");
        kit.restart();
        assertEquals(VerdictReason.REVOKED, authenticate(authBefore).reason(), "revocation survives a restart");
    }

    @Test
    void rewrapMovesTheSeedToTheCurrentKeyVersionOnceAndTheSensorStillAuthenticates() throws Exception {
        // A center whose card holds K_store v1 and v2: the sensor is provisioned by a node pinned to v1,
        // then a node on v2 rewraps it.
        Path keystore = dir.resolve("rotation").resolve("card.bcfks");
        java.nio.file.Files.createDirectories(keystore.getParent());
        byte[] transport = KeyCeremony.createWithTransportKey(keystore, TestFleet.PASSWORD.clone());
        assertEquals(2, KeyCeremony.rotate(keystore, TestFleet.PASSWORD.clone(), java.util.List.of()));
        SensorChip chip = TestFleet.chip(SENSOR + 1, START);
        SensorId id = chip.sensorId();
        PersistenceId pid = PersistenceId.of("Sensor", id.toString());
        try (SoftwareCard v1 = SoftwareCard.open(keystore, TestFleet.PASSWORD.clone(), keystore.resolveSibling("v1.state"), 1);
             SoftwareCard v2 = SoftwareCard.open(keystore, TestFleet.PASSWORD.clone(), keystore.resolveSibling("v2.state"))) {
            assertEquals(2, v2.currentKeyVersion());
            // One entity; the node's card is swapped under it (a restart of the node with the new card).
            java.util.concurrent.atomic.AtomicReference<EncryptionCard> nodeCard = new java.util.concurrent.atomic.AtomicReference<>(v1);
            EncryptionCard swappable = (EncryptionCard) java.lang.reflect.Proxy.newProxyInstance(
                    EncryptionCard.class.getClassLoader(), new Class<?>[] {EncryptionCard.class}, (proxy, method, args) -> {
                        try {
                            return method.invoke(nodeCard.get(), args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            kit = EventSourcedBehaviorTestKit.create(testKit.system(), SensorEntities.create(id, pid, swappable, settings(true)));
            byte[] envelope = chip.transportEnvelope(transport).encode();
            Done provisioned = (Done) kit.<OperatorReply>runCommand(r -> new SensorMessages.Provision(envelope, "alice", r)).reply();
            assertEquals(1, provisioned.status().keyVersion());
            var sealedBefore = kit.getState().seed();

            nodeCard.set(v2);
            kit.restart();
            var result = kit.<OperatorReply>runCommand(r -> new SensorMessages.RewrapSeed("olga", r));
            SensorEvent.SeedRewrapped event = result.eventOfType(SensorEvent.SeedRewrapped.class);
            assertEquals(2, event.seed().keyVersion());
            assertEquals(v2.digest(event.seed()).toString(), event.recordDigest());
            Rewrapped reply = assertInstanceOf(Rewrapped.class, result.reply());
            assertTrue(reply.changed());
            assertEquals(1, reply.previousKeyVersion());
            assertEquals(2, reply.status().keyVersion());
            assertEquals(1, result.state().rewraps());
            // The nodes' accumulators add up to the set digest of what is stored now: only the v2 record.
            assertEquals(new SetDigest.Builder().add(id, v2.digest(event.seed())).build(),
                    v1.setDigest().combine(v2.setDigest()));
            assertFalse(new SetDigest.Builder().add(id, v2.digest(sealedBefore)).build()
                    .equals(v1.setDigest().combine(v2.setDigest())));

            var again = kit.<OperatorReply>runCommand(r -> new SensorMessages.RewrapSeed("olga", r));
            assertTrue(again.hasNoEvents(), "already under the current version: no event");
            assertFalse(((Rewrapped) again.reply()).changed());

            kit.restart();
            assertEquals(2, kit.getState().seed().keyVersion(), "the rewrap survives a restart");
            MicroCertificate cert = chip.authenticate(clock.instant());
            Verdict v = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert.encode(), r)).reply();
            assertTrue(v.accepted(), String.valueOf(v));

            nodeCard.set(v1);
            var notDowngraded = kit.<OperatorReply>runCommand(r -> new SensorMessages.RewrapSeed("olga", r));
            assertTrue(notDowngraded.hasNoEvents(), "a node pinned to v1 never moves a v2 record back");
            assertEquals(2, ((Rewrapped) notDowngraded.reply()).status().keyVersion());

            kit.<OperatorReply>runCommand(r -> new SensorMessages.Revoke("stolen", "alice", r));
            assertEquals(RefusalCode.REVOKED, ((Refused) kit.<OperatorReply>runCommand(
                    r -> new SensorMessages.RewrapSeed("olga", r)).reply()).error());
        }
        kit = entity(settings(true));
        assertEquals(RefusalCode.UNKNOWN_SENSOR, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.RewrapSeed("olga", r)).reply()).error());
    }

    @Test
    void seedUpdateMovesTheSensorToItsNewSeed() throws Exception {
        provision();
        MicroCertificate oldSeedCert = auth();
        Done started = (Done) kit.<OperatorReply>runCommand(r -> new SensorMessages.StartSeedUpdate("bob", r)).reply();
        assertEquals("UPDATE_PENDING", started.status().status());
        assertEquals(2, started.status().pendingSeedVersion());
        assertInstanceOf(CommandOrder.SeedUpdate.class,
                chip.accept(MicroCertificate.decode(started.certificate()), clock.instant()));
        byte[] envelope = chip.pendingUpdate().orElseThrow().encode();

        var complete = kit.<OperatorReply>runCommand(r -> new SensorMessages.CompleteSeedUpdate(envelope, "bob", r));
        Done done = (Done) complete.reply();
        assertEquals("UPDATE_PENDING", done.status().status(), "the new seed waits for the sensor to prove it");
        assertEquals(1, done.status().seedVersion());
        assertEquals(2, complete.eventOfType(SensorEvent.SeedUpdateReceived.class).seed().seedVersion());
        chip.activatePendingSeed();

        byte[] underNewSeed = auth().encode();
        var proof = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(underNewSeed, r));
        assertTrue(proof.reply().accepted());
        assertEquals(2, proof.reply().seedVersion());
        assertEquals(2, proof.eventOfType(SensorEvent.SeedUpdated.class).seed().seedVersion());
        assertEquals(VerdictReason.BAD_TAG, authenticate(oldSeedCert).reason(), "the old seed no longer verifies");
        assertTrue(authenticate(auth()).accepted());
        kit.restart();
        clock.advanceSeconds(11);
        assertTrue(authenticate(auth()).accepted(), "the new seed is what recovery restores");
    }

    @Test
    void seedUpdateRefusesEnvelopesItDidNotAskFor() throws Exception {
        provision();
        byte[] early = chip.prepareSeedUpdate(clock.instant()).encode();
        assertEquals(RefusalCode.NO_UPDATE_PENDING, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.CompleteSeedUpdate(early, "bob", r)).reply()).error());
        kit.<OperatorReply>runCommand(r -> new SensorMessages.StartSeedUpdate("bob", r));
        Done again = (Done) kit.<OperatorReply>runCommand(r -> new SensorMessages.StartSeedUpdate("bob", r)).reply();
        assertEquals(2, again.status().pendingSeedVersion(), "a repeated start re-issues the same version");
        byte[] transport = fleet.transportEnvelope(chip);
        assertEquals(RefusalCode.BAD_ENVELOPE, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.CompleteSeedUpdate(transport, "bob", r)).reply()).error());
        byte[] tampered = chip.prepareSeedUpdate(clock.instant()).encode();
        tampered[tampered.length - 1] ^= 1;
        assertEquals(RefusalCode.BAD_ENVELOPE, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.CompleteSeedUpdate(tampered, "bob", r)).reply()).error());
    }

    @Test
    void provisioningRefusesASecondSeedAndEnvelopesForOtherSensorsOrKeys() throws Exception {
        byte[] other = fleet.transportEnvelope(TestFleet.chip(SENSOR + 1, START));
        assertEquals(RefusalCode.BAD_ENVELOPE, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Provision(other, "alice", r)).reply()).error());
        TestFleet otherCenter = new TestFleet(dir.resolve("other-center"));
        byte[] wrongKey = otherCenter.transportEnvelope(chip);
        assertEquals(RefusalCode.BAD_ENVELOPE, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Provision(wrongKey, "alice", r)).reply()).error());
        provision();
        assertEquals(RefusalCode.ALREADY_PROVISIONED, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Provision(fleet.transportEnvelope(chip), "alice", r)).reply()).error());
    }

    @Test
    void entityWorksWithTheSeedOpenedPerRequest() throws Exception {
        kit = entity(settings(false));
        provision();
        assertTrue(authenticate(auth()).accepted());
        MicroCertificate cert = auth();
        assertTrue(authenticate(cert).accepted());
        assertEquals(VerdictReason.REPLAY, authenticate(cert).reason());
    }
}
