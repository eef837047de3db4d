package org.microcert.persistence.audit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.microcert.persistence.card.CardReferences;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.card.SetDigest;
import org.microcert.persistence.card.SetDigestAudit;
import org.microcert.persistence.sensor.SensorRecord;

/**
 * The tamper audit of the paper, journal side: rebuilds every sensor's current sealed seed from
 * the journal ({@link JournalScan}), recomputes the card's set digest over them and compares it
 * with the digest the cards accumulated ({@link SetDigestAudit}): records altered, removed, added
 * or rolled back, each named exactly when the cards' {@link CardReferences} are given and complete.
 * Adds what only the journal shows: unreadable events, sequence gaps, records of
 * another sensor, snapshots that disagree with their events, and stored record digests that are
 * not the card's digest of the record.
 */
public final class JournalAudit {

    /** The audit's outcome; {@link #clean()} when nothing was found. */
    public record Report(int sensors, int sealedRecords, long eventRows, SetDigest expected, SetDigest recomputed,
                         List<SetDigestAudit.Finding> findings, List<JournalScan.Problem> problems,
                         List<String> digestMismatches, boolean exact) {
        public boolean clean() {
            return findings.isEmpty() && problems.isEmpty() && digestMismatches.isEmpty();
        }

        /** True when something other than {@link SetDigestAudit.Kind#UNCONFIRMED} records was found. */
        public boolean tampered() {
            return !problems.isEmpty() || !digestMismatches.isEmpty()
                    || findings.stream().anyMatch(f -> f.kind() != SetDigestAudit.Kind.UNCONFIRMED);
        }

        /** Human-readable lines, one per finding. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            out.add("sensors read: " + sensors + ", sealed records: " + sealedRecords + ", event rows: " + eventRows);
            out.add("set digest expected: " + expected + ", recomputed: " + recomputed);
            out.add(exact ? "card references: complete, findings name exact sensors"
                    : "card references: missing or incomplete (a state file of format 1, or a digest reset); findings narrowed to buckets");
            for (SetDigestAudit.Finding f : findings) {
                if (exact || f.kind() == SetDigestAudit.Kind.ALTERED) {
                    out.add(f.kind() + " sensor " + f.sensor().orElseThrow() + (f.detail().isEmpty() ? "" : ": " + f.detail()));
                } else {
                    out.add(f.kind() + " in bucket " + f.bucket() + " (" + f.records() + " record(s); sensors read in"
                            + " that bucket: " + f.candidates() + ")");
                }
            }
            problems.forEach(p -> out.add(p.toString()));
            digestMismatches.forEach(s -> out.add("STORED_DIGEST_MISMATCH sensor " + s));
            int n = findings.size() + problems.size() + digestMismatches.size();
            out.add(clean() ? "audit: clean" : tampered() ? "audit: " + n + " finding(s)"
                    : "audit: no tampering; " + n + " record(s) not confirmed to the cards (a crash between persisting and confirming)");
            return out;
        }
    }

    private JournalAudit() {
    }

    /**
     * @param expected the set digest of the center's cards (every node's accumulator {@link SetDigest#combine combined})
     */
    public static Report audit(EncryptionCard card, SetDigest expected, JournalScan.Result scan) {
        return audit(card, expected, null, scan);
    }

    /**
     * @param references the cards' references (every node's {@link CardReferences#combine combined}), or
     *        null: with them, findings name exact sensors when they add up to {@code expected}
     */
    public static Report audit(EncryptionCard card, SetDigest expected, CardReferences references, JournalScan.Result scan) {
        List<SealedSeed> records = new ArrayList<>();
        List<String> digestMismatches = new ArrayList<>();
        SetDigest.Builder recomputed = new SetDigest.Builder();
        Map<org.microcert.protocol.SensorId, Integer> revokedAt = new HashMap<>();
        for (JournalScan.SensorState s : scan.sensors().values()) {
            SensorRecord r = s.record();
            if (r.status() == SensorRecord.Status.REVOKED) {
                revokedAt.put(r.sensorId(), r.seedVersion());
            }
            if (!r.hasSeed()) {
                continue;
            }
            records.add(r.seed());
            String digest = card.digest(r.seed()).toString();
            recomputed.add(r.sensorId(), card.digest(r.seed()));
            if (r.recordDigest() != null && !java.security.MessageDigest.isEqual(
                    digest.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    r.recordDigest().getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
                digestMismatches.add(r.sensorId().toString());
            }
        }
        boolean exact = references != null && SetDigestAudit.exact(expected, references);
        List<SetDigestAudit.Finding> findings = exact
                ? SetDigestAudit.compare(card, expected, references, records, revokedAt)
                : SetDigestAudit.compare(card, expected, records);
        return new Report(scan.sensors().size(), records.size(), scan.eventRows(), expected, recomputed.build(),
                findings, scan.problems(), digestMismatches, exact);
    }
}
