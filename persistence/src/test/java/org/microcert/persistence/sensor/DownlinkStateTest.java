package org.microcert.persistence.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.microcert.persistence.card.SealedSeed;

/** How the downlink state folds: offered seeds of a pending update, a revocation being delivered. */
class DownlinkStateTest {

    private static final java.time.Instant AT = SensorFixtures.AT;

    private static SensorRecord pending() {
        return SensorFixtures.record().apply(new SensorEvent.SeedUpdateStarted(2, AT, "operator"));
    }

    private static SensorEvent.SeedUpdateReceived offer(byte fill) {
        return new SensorEvent.SeedUpdateReceived(SensorFixtures.sealed(2, 1, fill), SensorFixtures.DIGEST,
                String.format("%064x", fill), AT, "sensor");
    }

    @Test
    void offeredSeedsAreKeptBesideTheCurrentOneAndADuplicateChangesNothing() {
        SensorRecord r = pending().apply(offer((byte) 1));
        SensorRecord again = r.apply(offer((byte) 1));
        assertEquals(r, again);
        assertEquals(SensorRecord.Status.UPDATE_PENDING, r.status());
        assertEquals(1, r.seedVersion(), "the current seed stays until the sensor proves the new one");
        assertEquals(1, r.downlink().candidates().size());
    }

    @Test
    void noOfferIsEverDroppedWhileTheUpdateIsPendingAndOffersBeyondTheLimitAreIgnored() {
        SensorRecord r = pending();
        for (int i = 1; i <= DownlinkState.MAX_CANDIDATES + 1; i++) {
            r = r.apply(offer((byte) i));
        }
        List<DownlinkState.SeedCandidate> c = r.downlink().candidates();
        assertEquals(DownlinkState.MAX_CANDIDATES, c.size());
        assertEquals(String.format("%064x", 1), c.get(0).envelopeDigest());
        assertEquals(String.format("%064x", DownlinkState.MAX_CANDIDATES), c.get(c.size() - 1).envelopeDigest());
    }

    @Test
    void completingOrCancellingTheUpdateDropsEveryOffer() {
        SensorRecord offered = pending().apply(offer((byte) 1)).apply(offer((byte) 2));
        SealedSeed chosen = offered.downlink().candidates().get(1).seed();
        SensorRecord updated = offered.apply(new SensorEvent.SeedUpdated(chosen, SensorFixtures.DIGEST, AT, "sensor"));
        assertEquals(List.of(), updated.downlink().candidates());
        assertEquals(2, updated.seedVersion());
        SensorRecord cancelled = offered.apply(new SensorEvent.SeedUpdateCancelled(AT, "operator"));
        assertEquals(List.of(), cancelled.downlink().candidates());
        assertEquals(SensorRecord.Status.ACTIVE, cancelled.status());
        assertEquals(0, cancelled.pendingSeedVersion());
        assertEquals(1, cancelled.seedVersion());
    }

    @Test
    void aRevocationKeepsItsSeedForDeliveryUntilItEnds() {
        SealedSeed seed = SensorFixtures.record().seed();
        SensorRecord revoked = pending().apply(offer((byte) 1))
                .apply(new SensorEvent.Revoked("stolen", AT, "operator", seed));
        assertNull(revoked.seed());
        assertEquals(seed, revoked.downlink().revocationSeed());
        assertEquals(1, revoked.downlink().candidates().size(), "the sensor may already use the offered seed");
        SensorRecord ended = revoked.apply(new SensorEvent.RevocationDeliveryEnded(false, AT, "operator"));
        assertEquals(DownlinkState.EMPTY, ended.downlink());
        assertEquals(SensorRecord.Status.REVOKED, ended.status());
    }

    @Test
    void aRevocationWrittenBeforeTheQueueDeliversNothing() {
        SensorRecord revoked = SensorFixtures.record().apply(new SensorEvent.Revoked("stolen", AT, "operator"));
        assertEquals(DownlinkState.EMPTY, revoked.downlink());
    }
}
