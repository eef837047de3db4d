package org.microcert.persistence.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The key life cycle a sensor's events drive. */
class SensorRecordTest {

    private final SensorRecord provisioned = SensorRecord.empty(SensorFixtures.SENSOR)
            .apply(new SensorEvent.Provisioned(SensorFixtures.sealed(1, 1, (byte) 1), "d1", SensorFixtures.AT, "factory"));

    @Test
    void provisioningGivesAnActiveSensorWithSeedVersion1() {
        assertEquals(SensorRecord.Status.ACTIVE, provisioned.status());
        assertEquals(1, provisioned.seedVersion());
        assertTrue(provisioned.hasSeed());
        assertEquals("d1", provisioned.recordDigest());
    }

    @Test
    void seedUpdateIsPendingUntilConfirmedThenReplacesTheSeed() {
        SensorRecord pending = provisioned.apply(new SensorEvent.SeedUpdateStarted(2, SensorFixtures.AT, "op"));
        assertEquals(SensorRecord.Status.UPDATE_PENDING, pending.status());
        assertEquals(2, pending.pendingSeedVersion());
        assertEquals(1, pending.seedVersion(), "the old seed stays in use until the sensor confirms");

        SensorRecord updated = pending.apply(new SensorEvent.SeedUpdated(SensorFixtures.sealed(2, 1, (byte) 2), "d2",
                SensorFixtures.AT, "sensor"));
        assertEquals(SensorRecord.Status.ACTIVE, updated.status());
        assertEquals(2, updated.seedVersion());
        assertEquals(0, updated.pendingSeedVersion());
        assertEquals(1, updated.seedUpdates());
    }

    @Test
    void replayReservationNeverMovesBackwards() {
        SensorRecord r = provisioned.apply(new SensorEvent.ReplayReservationExtended(2_000))
                .apply(new SensorEvent.ReplayReservationExtended(1_000));
        assertEquals(2_000, r.replayReservedUntilEpochSecond());
    }

    @Test
    void aReleaseSetsTheReservationToWhatWasAccepted() {
        SensorRecord r = provisioned.apply(new SensorEvent.ReplayReservationExtended(2_000))
                .apply(new SensorEvent.ReplayReservationReleased(1_990, null));
        assertEquals(1_990, r.replayReservedUntilEpochSecond());
        assertEquals(2_500, r.apply(new SensorEvent.ReplayReservationExtended(2_500)).replayReservedUntilEpochSecond());
    }

    @Test
    void theRandomsOfAReleasedSecondLastUntilTheNextReservationAndSurviveOtherEvents() {
        SensorRecord r = provisioned.apply(new SensorEvent.ReplayReservationExtended(2_000))
                .apply(new SensorEvent.ReplayReservationReleased(1_990, java.util.List.of(7L, -3L)));
        assertEquals(java.util.List.of(7L, -3L), r.replayRandomsAtReserved());
        SensorRecord later = r.apply(new SensorEvent.SeedUpdateStarted(2, SensorFixtures.AT, "op"))
                .apply(new SensorEvent.SeedRewrapped(SensorFixtures.sealed(1, 2, (byte) 3), "d3"));
        assertEquals(java.util.List.of(7L, -3L), later.replayRandomsAtReserved(), "not replay events: the list stays");
        // after a reservation every certificate of its second may have been accepted: none are listed
        assertNull(later.apply(new SensorEvent.ReplayReservationExtended(2_100)).replayRandomsAtReserved());
        assertNull(provisioned.replayRandomsAtReserved(), "never released: the whole second is refused");
    }

    @Test
    void joiningTheReplayLedgerKeepsTheFloorAndLastsUntilARelease() {
        SensorRecord r = provisioned.apply(new SensorEvent.ReplayReservationReleased(1_990, java.util.List.of(7L)))
                .apply(new SensorEvent.ReplayLedgerJoined("s1", 2_050));
        assertEquals("s1", r.replayLedgerSession());
        assertEquals(2_050, r.replayReservedUntilEpochSecond(), "a floor recovered from an earlier session stays");
        assertNull(r.replayRandomsAtReserved(), "the session may cover all of that second");
        SensorRecord extended = r.apply(new SensorEvent.ReplayReservationExtended(2_100));
        assertEquals("s1", extended.replayLedgerSession(), "an own reservation beside the session's");
        assertEquals(2_050, provisioned.apply(new SensorEvent.ReplayReservationExtended(2_050))
                .apply(new SensorEvent.ReplayLedgerJoined("s1", 1_000)).replayReservedUntilEpochSecond(),
                "never lowered by a join");
        SensorRecord released = extended.apply(new SensorEvent.ReplayReservationReleased(2_060, null));
        assertNull(released.replayLedgerSession());
        assertEquals(2_060, released.replayReservedUntilEpochSecond());
    }

    @Test
    void revocationDropsTheSeedAndKeepsTheReason() {
        SensorRecord revoked = provisioned.apply(new SensorEvent.Revoked("stolen", SensorFixtures.AT, "op"));
        assertEquals(SensorRecord.Status.REVOKED, revoked.status());
        assertFalse(revoked.hasSeed());
        assertNull(revoked.seed());
        assertEquals("stolen", revoked.revocationReason());
        assertEquals(1, revoked.seedVersion());
    }

    @Test
    void rewrapChangesTheKeyVersionNotTheSeedVersionOrStatus() {
        SensorRecord rewrapped = provisioned.apply(new SensorEvent.SeedRewrapped(SensorFixtures.sealed(1, 2, (byte) 3), "d3"));
        assertEquals(2, rewrapped.seed().keyVersion());
        assertEquals(1, rewrapped.seedVersion());
        assertEquals(SensorRecord.Status.ACTIVE, rewrapped.status());
        assertEquals(1, rewrapped.rewraps());
    }

    @Test
    void restoreReplacesTheWholeState() {
        SensorRecord backup = SensorFixtures.record();
        assertSame(backup, SensorRecord.empty(SensorFixtures.SENSOR).apply(new SensorEvent.Restored(backup)));
    }
}
