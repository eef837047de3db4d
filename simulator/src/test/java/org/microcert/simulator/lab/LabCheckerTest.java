package org.microcert.simulator.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checker's verdicts on small histories written the way the lab client writes them. */
class LabCheckerTest {

    private static History imported(String sensor, long at) {
        return new History("import", at - 5, at, 1, sensor, null, -1, "PROVISIONED", null);
    }

    private static History auth(long pair, int gw, String sensor, String cert, long t, String result, String reason) {
        return new History("auth", t, t + 10, gw, sensor, cert, pair, result, reason);
    }

    /** A history round-tripped through the file format, as the checker gets it. */
    private static List<History> roundTrip(Path dir, List<History> h) throws Exception {
        Path f = dir.resolve("history.jsonl");
        try (History.Writer w = new History.Writer(f)) {
            h.forEach(w::write);
        }
        return History.read(f);
    }

    @Test
    void aCertificateAcceptedOnceAndRefusedReplayElsewherePasses(@TempDir Path dir) throws Exception {
        List<History> h = roundTrip(dir, List.of(imported("a1", 100),
                auth(0, 3, "a1", "c0", 1000, "ACCEPTED", null), auth(0, 1, "a1", "c0", 1000, "REJECTED", "REPLAY"),
                auth(1, 3, "a1", "c1", 2000, "FAILED", "timeout"), auth(1, 1, "a1", "c1", 2000, "ACCEPTED", null)));
        LabChecker.Result r = LabChecker.check(h, Map.of("a1", List.of(new JournalRows.Event(1, "w1"))));
        assertTrue(r.passed(), r.report().toString());
        assertEquals(2, r.report().path("liveness").path("pairsAcceptedOnce").asLong());
    }

    @Test
    void aCertificateAcceptedByTwoGatewaysIsADoubleAccept(@TempDir Path dir) throws Exception {
        List<History> h = roundTrip(dir, List.of(imported("a1", 100),
                auth(0, 3, "a1", "c0", 1000, "ACCEPTED", null), auth(0, 1, "a1", "c0", 1001, "ACCEPTED", null)));
        LabChecker.Result r = LabChecker.check(h, null);
        assertFalse(r.passed());
        assertEquals(1, r.report().path("safety").path("doubleAccepts").size());
        assertEquals("a1", r.report().path("safety").path("doubleAccepts").path(0).path("sensor").asText());
    }

    @Test
    void unknownSensorAfterTheAcknowledgementIsALostProvisioningButNotBefore(@TempDir Path dir) throws Exception {
        List<History> before = List.of(auth(0, 1, "a1", "c0", 50, "REJECTED", "UNKNOWN_SENSOR"), imported("a1", 100));
        assertTrue(LabChecker.check(roundTrip(dir, before), null).passed());
        List<History> after = new ArrayList<>(before);
        after.add(new History("read", 5000, 5010, 2, "a1", "c9", -1, "REJECTED", "UNKNOWN_SENSOR"));
        LabChecker.Result r = LabChecker.check(roundTrip(dir, after), null);
        assertFalse(r.passed());
        assertEquals(1, r.report().path("safety").path("lostProvisionings").size());
    }

    @Test
    void aCertificateSentAfterTheRevocationWasAcknowledgedMustNotBeAccepted(@TempDir Path dir) throws Exception {
        History revoked = new History("revoke", 900, 1000, 2, "a1", null, -1, "REVOKED", null);
        // sent while the revocation was under way: either answer is allowed
        List<History> during = List.of(imported("a1", 100), revoked, auth(0, 1, "a1", "c0", 950, "ACCEPTED", null));
        assertTrue(LabChecker.check(roundTrip(dir, during), null).passed());
        List<History> after = List.of(imported("a1", 100), revoked, auth(0, 1, "a1", "c1", 1001, "ACCEPTED", null));
        LabChecker.Result r = LabChecker.check(roundTrip(dir, after), null);
        assertFalse(r.passed());
        assertEquals(1, r.report().path("safety").path("revokedAccepted").size());
    }

    @Test
    void pairsOfASensorBeingRevokedAreNotGoodCertificatesRefused(@TempDir Path dir) throws Exception {
        List<History> h = roundTrip(dir, List.of(imported("a1", 100),
                auth(0, 1, "a1", "c0", 500, "ACCEPTED", null), auth(0, 2, "a1", "c0", 500, "REJECTED", "REPLAY"),
                new History("revoke", 900, 1000, 2, "a1", null, -1, "REVOKED", null),
                auth(1, 1, "a1", "c1", 1500, "REJECTED", "REVOKED"), auth(1, 2, "a1", "c1", 1500, "REJECTED", "REVOKED")));
        var l = LabChecker.check(h, null).report().path("liveness");
        assertEquals(1, l.path("pairs").asLong());
        assertEquals(1, l.path("pairsOfRevokedSensors").asLong());
        assertEquals(0, l.path("pairsRefused").asLong());
        assertEquals(0, l.path("sensorsEverUnavailable").asLong());
    }

    @Test
    void journalWritersAreJudgedBySequenceNumber() {
        assertNull(LabChecker.writerProblem(List.of(new JournalRows.Event(1, "a"), new JournalRows.Event(2, "a"),
                new JournalRows.Event(3, "b"), new JournalRows.Event(4, "c"))), "one incarnation after another");
        assertTrue(LabChecker.writerProblem(List.of(new JournalRows.Event(1, "a"), new JournalRows.Event(2, "b"),
                new JournalRows.Event(3, "a"))).contains("interleaved"));
        assertTrue(LabChecker.writerProblem(List.of(new JournalRows.Event(1, "a"), new JournalRows.Event(2, "a"),
                new JournalRows.Event(2, "b"))).contains("written twice"));
    }

    @Test
    void aLineThatIsNotARecordIsNamed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("h.jsonl");
        Files.writeString(f, "{\"op\":\"auth\",\"t\":1,\"result\":\"ACCEPTED\"}\n{\"op\":\"auth\"}\n");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> History.read(f));
        assertTrue(e.getMessage().endsWith("line 2 is not a history record (op, t, result)"), e.getMessage());
    }

    @Test
    void unavailabilityRunsFromTheFirstPairWithoutAnAcceptToTheNextAccepted(@TempDir Path dir) throws Exception {
        List<History> h = roundTrip(dir, List.of(imported("a1", 100),
                auth(0, 1, "a1", "c0", 1000, "ACCEPTED", null), auth(0, 2, "a1", "c0", 1000, "REJECTED", "REPLAY"),
                auth(1, 1, "a1", "c1", 2000, "FAILED", "timeout"), auth(1, 2, "a1", "c1", 2000, "FAILED", "connect"),
                auth(2, 1, "a1", "c2", 3000, "REJECTED", "REPLAY_WINDOW_RESET"), auth(2, 2, "a1", "c2", 3000, "FAILED", "x"),
                auth(3, 1, "a1", "c3", 6500, "ACCEPTED", null), auth(3, 2, "a1", "c3", 6500, "REJECTED", "REPLAY")));
        var l = LabChecker.check(h, null).report().path("liveness");
        assertEquals(4.5, l.path("longestUnavailableSeconds").asDouble());
        assertEquals(1, l.path("pairsUnanswered").asLong());
        assertEquals(1, l.path("pairsRefused").asLong());
        assertEquals(1, l.path("refusalsOfGoodCertificates").path("REPLAY_WINDOW_RESET").asLong());
    }
}
