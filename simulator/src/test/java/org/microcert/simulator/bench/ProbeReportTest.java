package org.microcert.simulator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProbeReportTest {

    private static MachineProbe.Reading reading(double cpuMicros, double hashMegabytesPerSecond) {
        return new MachineProbe.Reading(1000, 1000, 2.0, 0, Map.of("hello", cpuMicros / 1000), Double.NaN,
                hashMegabytesPerSecond);
    }

    /** The probe's JSON and printed verdict for fixed readings: each figure's flag, and the CAUTION names what moved. */
    @Test
    void probeVerdictNamesTheFigureThatMoved() {
        record Case(double cpuAfter, double hashAfter, boolean cpu, boolean hash, String said) {}
        for (Case c : List.of(
                new Case(500, 510, true, false, "CAUTION, only the baseline's CPU per request moved by more than 20%"),
                new Case(410, 375, false, true, "CAUTION, only one core's hash speed moved by more than 20%"),
                new Case(500, 375, true, true, "CAUTION, both the CPU per request and the hash speed moved"),
                new Case(440, 550, false, false, "the machine held steady"))) {
            java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
            JsonNode n = ProbeReport.json(1000, java.time.Duration.ofSeconds(10), null, reading(400, 500),
                    reading(c.cpuAfter(), c.hashAfter()), new java.io.PrintStream(printed, true, StandardCharsets.UTF_8));
            String line = printed.toString(StandardCharsets.UTF_8);
            assertEquals(c.cpu(), n.path("cpuDrifted").asBoolean(!c.cpu()), c + " " + n);
            assertEquals(c.hash(), n.path("hashDrifted").asBoolean(!c.hash()), c + " " + n);
            assertEquals(c.cpu() || c.hash(), n.path("drifted").asBoolean(!(c.cpu() || c.hash())), c + " " + n);
            assertTrue(line.contains(c.said()), c + " " + line);
            assertTrue(n.path("warmUp").isMissingNode(), n.toString());
        }
        // no CPU figure (the baseline not watched): no change reported, no CPU flag, the hash still judged
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        MachineProbe.Reading unwatched = new MachineProbe.Reading(1000, 1000, 2.0, 0, Map.of(), Double.NaN, 500);
        JsonNode n = ProbeReport.json(1000, java.time.Duration.ofSeconds(10), reading(900, 500), unwatched, unwatched,
                new java.io.PrintStream(printed, true, StandardCharsets.UTF_8));
        assertTrue(n.path("cpuPerRequestChange").isMissingNode(), n.toString());
        assertFalse(n.path("cpuDrifted").asBoolean(true) || n.path("drifted").asBoolean(true), n.toString());
        assertEquals(900, n.path("warmUp").path("cpuMicrosPerRequest").asDouble(), 1e-9, n.toString());
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("no CPU per request figure"), printed.toString());
    }
}
