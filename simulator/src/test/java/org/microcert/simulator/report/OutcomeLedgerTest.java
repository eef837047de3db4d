package org.microcert.simulator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.Verdict;

class OutcomeLedgerTest {

    @Test
    void countsExpectedAgainstActualPerKind() {
        OutcomeLedger ledger = new OutcomeLedger();
        ledger.record(TrafficKind.AUTHENTICATE, Verdict.ACCEPTED);
        ledger.record(TrafficKind.AUTHENTICATE, Verdict.ACCEPTED);
        ledger.record(TrafficKind.AUTHENTICATE, Verdict.rejected("BAD_TAG"));
        ledger.record(TrafficKind.AUTHENTICATE, Verdict.failed("timeout"));
        ledger.record(TrafficKind.SKEWED_CLOCK, Verdict.rejected("STALE_TIMESTAMP"));
        ledger.record(TrafficKind.SKEWED_CLOCK, Verdict.rejected("FUTURE_TIMESTAMP"));
        ledger.record(TrafficKind.SKEWED_CLOCK, Verdict.rejected("BAD_TAG"));
        ledger.record(TrafficKind.REVOKED_SENSOR, Verdict.ACCEPTED);

        Map<String, OutcomeLedger.KindOutcome> byKind = ledger.snapshot().stream()
                .collect(Collectors.toMap(OutcomeLedger.KindOutcome::kind, o -> o));
        assertEquals(3, byKind.size()); // kinds never sent are left out

        OutcomeLedger.KindOutcome auth = byKind.get("authenticate");
        assertEquals(4, auth.items());
        assertEquals(2, auth.accepted());
        assertEquals(1, auth.wrong());
        assertEquals(1, auth.failed());
        assertEquals(Map.of("timeout", 1L), auth.failedByError());

        OutcomeLedger.KindOutcome skew = byKind.get("skewed-clock");
        assertEquals(0, skew.wrong());
        assertEquals(1, skew.unexpectedReason()); // rejected, but not for its clock
        assertEquals("reject", skew.expected());

        assertEquals(1, byKind.get("revoked-sensor").wrong());
        assertEquals(2, ledger.wrongOutcomes());
        assertEquals(1, ledger.failures());
    }
}
