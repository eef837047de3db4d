package org.microcert.simulator.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The fault lab's checker (docs/faultlab.md): the safety properties over the client's history and
 * the journal, and the liveness report. Safety (each violation listed, any one fails the run):
 * <ul>
 *   <li>{@code doubleAccepts}: a certificate answered ACCEPTED more than once (by any gateways);</li>
 *   <li>{@code lostProvisionings}: a sensor whose provisioning was acknowledged answered
 *       UNKNOWN_SENSOR to a certificate sent after the acknowledgement;</li>
 *   <li>{@code revokedAccepted}: a certificate of a sensor accepted although it was sent after the
 *       sensor's revocation had been acknowledged (a lost revocation shows here too);</li>
 *   <li>{@code twoWriters}: a persistence id whose journal has two rows of one sequence number, or
 *       whose writers interleave (A wrote, then B, then A again): two incarnations of the entity
 *       wrote at once.</li>
 * </ul>
 * Liveness (reported, not judged): per second, pairs sent, pairs accepted once, pairs refused (no
 * accept, some rejection: good certificates refused) and unanswered (no verdict at all), by gateway
 * the answered and unanswered requests and the seconds not ready; per sensor the time it was
 * unavailable (from its first pair without an accept to its next accepted pair).
 */
public final class LabChecker {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LabChecker() {}

    /** The checks' result: {@code passed} and the report (JSON). */
    public record Result(boolean passed, ObjectNode report) {}

    /**
     * @param journal each sensor's journal rows, or null when the journal was not read
     */
    public static Result check(List<History> history, Map<String, List<JournalRows.Event>> journal) {
        ObjectNode report = JSON.createObjectNode();
        ObjectNode safety = report.putObject("safety");
        int violations = 0;
        violations += doubleAccepts(history, safety.putArray("doubleAccepts"));
        violations += lostProvisionings(history, safety.putArray("lostProvisionings"));
        violations += revokedAccepted(history, safety.putArray("revokedAccepted"));
        if (journal != null) {
            violations += twoWriters(journal, safety.putArray("twoWriters"));
            safety.put("journalSensorsRead", journal.size());
        } else {
            safety.putNull("twoWriters");
        }
        report.put("passed", violations == 0);
        report.put("violations", violations);
        liveness(history, report.putObject("liveness"));
        return new Result(violations == 0, report);
    }

    /** The sensors the history names (for the journal read). */
    public static Set<String> sensors(List<History> history) {
        Set<String> out = new LinkedHashSet<>();
        for (History h : history) {
            if (h.op().equals("import") && (h.result().equals("PROVISIONED") || h.result().equals("ALREADY_PROVISIONED"))) {
                out.add(h.sensor());
            }
        }
        return out;
    }

    private static int doubleAccepts(List<History> history, ArrayNode out) {
        Map<String, List<History>> accepts = new HashMap<>();
        for (History h : history) {
            if (h.cert() != null && h.accepted()) {
                accepts.computeIfAbsent(h.cert(), c -> new ArrayList<>()).add(h);
            }
        }
        int n = 0;
        for (List<History> a : accepts.values()) {
            if (a.size() > 1) {
                n++;
                ObjectNode v = out.addObject().put("sensor", a.get(0).sensor()).put("certificate", a.get(0).cert());
                ArrayNode by = v.putArray("acceptedBy");
                a.forEach(h -> by.addObject().put("gateway", h.gw()).put("sentAt", h.t()).put("answeredAt", h.end()));
            }
        }
        return n;
    }

    private static int lostProvisionings(List<History> history, ArrayNode out) {
        Map<String, Long> acked = new HashMap<>();
        for (History h : history) {
            if (h.op().equals("import") && (h.result().equals("PROVISIONED") || h.result().equals("ALREADY_PROVISIONED"))) {
                acked.merge(h.sensor(), h.end(), Math::min);
            }
        }
        Set<String> reported = new LinkedHashSet<>();
        for (History h : history) {
            Long at = h.sensor() == null ? null : acked.get(h.sensor());
            if (at != null && h.t() > at && h.rejected("UNKNOWN_SENSOR") && reported.add(h.sensor())) {
                out.addObject().put("sensor", h.sensor()).put("acknowledgedAt", at).put("unknownAt", h.t())
                        .put("gateway", h.gw()).put("op", h.op());
            }
        }
        return reported.size();
    }

    private static int revokedAccepted(List<History> history, ArrayNode out) {
        Map<String, Long> revoked = new HashMap<>();
        for (History h : history) {
            if (h.op().equals("revoke") && h.result().equals("REVOKED")) {
                revoked.merge(h.sensor(), h.end(), Math::min);
            }
        }
        int n = 0;
        for (History h : history) {
            Long at = h.sensor() == null ? null : revoked.get(h.sensor());
            if (at != null && h.cert() != null && h.t() > at && h.accepted()) {
                n++;
                out.addObject().put("sensor", h.sensor()).put("revocationAcknowledgedAt", at).put("acceptedSentAt", h.t())
                        .put("gateway", h.gw()).put("op", h.op());
            }
        }
        return n;
    }

    private static int twoWriters(Map<String, List<JournalRows.Event>> journal, ArrayNode out) {
        int n = 0;
        for (Map.Entry<String, List<JournalRows.Event>> e : journal.entrySet()) {
            String problem = writerProblem(e.getValue());
            if (problem != null) {
                n++;
                out.addObject().put("persistenceId", "Sensor|" + e.getKey()).put("problem", problem);
            }
        }
        return n;
    }

    /** Why these rows show two writers at once, or null: a duplicate sequence number, or A, B, A. */
    static String writerProblem(List<JournalRows.Event> rows) {
        List<JournalRows.Event> sorted = new ArrayList<>(rows);
        sorted.sort((a, b) -> Long.compare(a.sequenceNr(), b.sequenceNr()));
        Set<String> finished = new LinkedHashSet<>();
        String current = null;
        for (int i = 0; i < sorted.size(); i++) {
            JournalRows.Event ev = sorted.get(i);
            if (i > 0 && sorted.get(i - 1).sequenceNr() == ev.sequenceNr()) {
                return "sequence number " + ev.sequenceNr() + " written twice (writers " + sorted.get(i - 1).writer()
                        + ", " + ev.writer() + ")";
            }
            if (!ev.writer().equals(current)) {
                if (finished.contains(ev.writer())) {
                    return "writer " + ev.writer() + " wrote again at sequence number " + ev.sequenceNr()
                            + " after writer " + current + " (interleaved)";
                }
                if (current != null) {
                    finished.add(current);
                }
                current = ev.writer();
            }
        }
        return null;
    }

    // ---- liveness -----------------------------------------------------------------------------

    private static void liveness(List<History> history, ObjectNode out) {
        long start = Long.MAX_VALUE;
        Map<Long, List<History>> pairs = new TreeMap<>();
        for (History h : history) {
            if (h.op().equals("auth")) {
                start = Math.min(start, h.t());
                pairs.computeIfAbsent(h.pair(), p -> new ArrayList<>()).add(h);
            }
        }
        if (pairs.isEmpty()) {
            out.put("pairs", 0);
            return;
        }
        long t0 = start;
        out.put("startedAt", t0);
        // a sensor's pairs sent once its revocation was asked for are expected refusals, not good ones
        Map<String, Long> revoking = new HashMap<>();
        for (History h : history) {
            if (h.op().equals("revoke")) {
                revoking.merge(h.sensor(), h.t(), Math::min);
            }
        }
        TreeMap<Long, long[]> perSecond = new TreeMap<>(); // sent, acceptedOnce, refused, unanswered
        Map<String, Long> refusedBy = new TreeMap<>();
        long accepted = 0;
        long refused = 0;
        long unanswered = 0;
        // per sensor: the pairs in send order, to measure how long it went without an accept
        Map<String, TreeMap<Long, Boolean>> bySensor = new HashMap<>();
        long ofRevoked = 0;
        for (List<History> p : pairs.values()) {
            long sent = p.stream().mapToLong(History::t).min().orElse(t0);
            Long revokedAt = revoking.get(p.get(0).sensor());
            if (revokedAt != null && sent >= revokedAt) {
                ofRevoked++;
                continue;
            }
            long sec = (sent - t0) / 1000;
            long[] s = perSecond.computeIfAbsent(sec, k -> new long[4]);
            s[0]++;
            boolean ok = p.stream().anyMatch(History::accepted);
            if (ok) {
                accepted++;
                s[1]++;
            } else if (p.stream().anyMatch(h -> h.result().equals("REJECTED"))) {
                refused++;
                s[2]++;
                p.stream().filter(h -> h.result().equals("REJECTED")).forEach(h -> refusedBy.merge(h.reason(), 1L, Long::sum));
            } else {
                unanswered++;
                s[3]++;
            }
            bySensor.computeIfAbsent(p.get(0).sensor(), k -> new TreeMap<>()).put(sent, ok);
        }
        out.put("pairs", pairs.size() - ofRevoked).put("pairsOfRevokedSensors", ofRevoked).put("pairsAcceptedOnce", accepted).put("pairsRefused", refused)
                .put("pairsUnanswered", unanswered);
        out.set("refusalsOfGoodCertificates", JSON.valueToTree(refusedBy));
        // sensor unavailability
        long totalMs = 0;
        long maxMs = 0;
        String maxSensor = null;
        int sensorsHit = 0;
        for (Map.Entry<String, TreeMap<Long, Boolean>> e : bySensor.entrySet()) {
            long down = -1;
            long sum = 0;
            long last = 0;
            for (Map.Entry<Long, Boolean> p : e.getValue().entrySet()) {
                last = p.getKey();
                if (!p.getValue() && down < 0) {
                    down = p.getKey();
                } else if (p.getValue() && down >= 0) {
                    sum += p.getKey() - down;
                    down = -1;
                }
            }
            if (down >= 0) {
                sum += Math.max(1, last - down); // never served again before the traffic ended
            }
            if (sum > 0) {
                sensorsHit++;
            }
            totalMs += sum;
            if (sum > maxMs) {
                maxMs = sum;
                maxSensor = e.getKey();
            }
        }
        out.put("sensorsEverUnavailable", sensorsHit).put("sensorsWithPairs", bySensor.size())
                .put("sensorSecondsUnavailable", totalMs / 1000.0).put("longestUnavailableSeconds", maxMs / 1000.0);
        if (maxSensor != null) {
            out.put("longestUnavailableSensor", maxSensor);
        }
        // by gateway: answered / unanswered requests, seconds not ready
        Map<Integer, long[]> byGateway = new TreeMap<>();
        for (History h : history) {
            if (h.op().equals("auth")) {
                long[] g = byGateway.computeIfAbsent(h.gw(), k -> new long[4]);
                g[h.result().equals("FAILED") ? 1 : 0]++;
                if (h.accepted()) {
                    g[3]++;
                }
            } else if (h.op().equals("health") && h.t() >= t0 && !h.result().equals("READY")) {
                byGateway.computeIfAbsent(h.gw(), k -> new long[4])[2]++;
            }
        }
        ObjectNode gws = out.putObject("byGateway");
        byGateway.forEach((g, c) -> gws.putObject(String.valueOf(g)).put("answered", c[0]).put("unanswered", c[1])
                .put("accepted", c[3]).put("secondsNotReady", c[2]));
        ArrayNode seconds = out.putArray("perSecond");
        Map<Long, long[]> filled = new LinkedHashMap<>();
        perSecond.forEach(filled::put);
        filled.forEach((sec, s) -> seconds.addObject().put("t", sec).put("pairs", s[0]).put("acceptedOnce", s[1])
                .put("refused", s[2]).put("unanswered", s[3]));
    }
}
