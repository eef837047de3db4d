package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The device side of the downlink: obeying polled commands, re-offering a pending seed, switching on the answer. */
class SensorDownlinkTest {

    private static final Instant NOW = Instant.parse("2026-11-25T18:00:00Z");
    private static final SensorId ID = SensorId.parse("00000000cafe0002");
    private final CenterIssuer center = new CenterIssuer();
    private final CertificateVerifier verifier = new CertificateVerifier(Duration.ofSeconds(300));

    @Test
    void aRepeatedOrderReOffersTheSameSeedAndOnlyTheAnsweredUploadSwitchesTheChip() throws Exception {
        byte[] kTrans = new byte[32];
        KeySeed.newDrbg().nextBytes(kTrans);
        SensorChip chip = SensorChip.manufacture(ID, CipherSuite.AES128, NOW);
        KeySeed v1 = SeedEnvelope.openTransport(new SecretKeySpec(kTrans, "AES"),
                SeedEnvelope.decode(chip.transportEnvelope(kTrans).encode()));
        SensorDownlink device = new SensorDownlink(chip);

        byte[] order = center.issueCommand(v1, CipherSuite.AES128, ID, new CommandOrder.SeedUpdate(2), NOW).encode();
        SensorDownlink.Obeyed first = device.obey(List.of(order, order, new byte[] {1}), NOW);
        assertEquals(List.of(new CommandOrder.SeedUpdate(2)), first.orders());
        assertEquals(RejectReason.REPLAY, first.rejected().get(0).reason());
        assertEquals(RejectReason.MALFORMED, first.rejected().get(1).reason());
        SeedEnvelope offered = first.upload().orElseThrow();

        // the upload's answer was lost: the next wake brings the order again, tagged anew
        byte[] again = center.issueCommand(v1, CipherSuite.AES128, ID, new CommandOrder.SeedUpdate(2),
                NOW.plusSeconds(3600)).encode();
        SensorDownlink.Obeyed second = device.obey(List.of(again), NOW.plusSeconds(3600));
        assertEquals(List.of(new CommandOrder.SeedUpdate(2)), second.orders());
        assertTrue(java.util.Arrays.equals(offered.encode(), second.upload().orElseThrow().encode()),
                "the same envelope, not a new seed");
        verifier.verifyAuth(v1, device.pollCertificate(NOW.plusSeconds(3601)), NOW.plusSeconds(3601));

        SeedEnvelope stranger = SeedUpdates.seal(v1, ID, CipherSuite.AES128,
                KeySeed.generate(KeySeed.newDrbg(), 2, 2026), KeySeed.newDrbg());
        assertFalse(device.uploadAnswered(stranger), "an answer to another upload switches nothing");
        assertEquals(1, chip.seedVersion());
        assertTrue(device.uploadAnswered(offered));
        assertEquals(2, chip.seedVersion());
        KeySeed v2 = SeedUpdates.open(v1, offered);
        verifier.verifyAuth(v2, device.pollCertificate(NOW.plusSeconds(3602)), NOW.plusSeconds(3602));

        byte[] revoke = center.issueCommand(v2, CipherSuite.AES128, ID, new CommandOrder.Revoke(2),
                NOW.plusSeconds(7200)).encode();
        SensorDownlink.Obeyed last = device.obey(List.of(revoke, again), NOW.plusSeconds(7200));
        assertEquals(List.of(new CommandOrder.Revoke(2)), last.orders());
        assertTrue(chip.isRevoked());
        assertTrue(last.upload().isEmpty());
    }
}
