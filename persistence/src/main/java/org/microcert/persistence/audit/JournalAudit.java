package org.microcert.persistence.audit;

import java.util.ArrayList;
import java.util.List;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.card.SetDigest;
import org.microcert.persistence.card.SetDigestAudit;
import org.microcert.persistence.sensor.SensorRecord;

/**
 * The tamper audit of the paper, journal side: rebuilds every sensor's current sealed seed from
 * the journal ({@link JournalScan}), recomputes the card's set digest over them and compares it
 * with the digest the cards accumulated ({@link SetDigestAudit}): records altered, removed, added
 * or rolled back. Adds what only the journal shows: unreadable events, sequence gaps, records of
 * another sensor, snapshots that disagree with their events, and stored record digests that are
 * not the card's digest of the record.
 */
public final class JournalAudit {

    /** The audit's outcome; {@link #clean()} when nothing was found. */
    public record Report(int sensors, int sealedRecords, long eventRows, SetDigest expected, SetDigest recomputed,
                         List<SetDigestAudit.Finding> findings, List<JournalScan.Problem> problems,
                         List<String> digestMismatches) {
        public boolean clean() {
            return findings.isEmpty() && problems.isEmpty() && digestMismatches.isEmpty();
        }

        /** Human-readable lines, one per finding. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            out.add("sensors read: " + sensors + ", sealed records: " + sealedRecords + ", event rows: " + eventRows);
            out.add("set digest expected: " + expected + ", recomputed: " + recomputed);
            for (SetDigestAudit.Finding f : findings) {
                out.add(f.kind() + " in bucket " + f.bucket() + f.sensor().map(s -> ": sensor " + s).orElse("")
                        + (f.kind() == SetDigestAudit.Kind.ALTERED ? "" : " (" + f.records() + " record(s); sensors read in"
                        + " that bucket: " + f.candidates() + ")"));
            }
            problems.forEach(p -> out.add(p.toString()));
            digestMismatches.forEach(s -> out.add("STORED_DIGEST_MISMATCH sensor " + s));
            out.add(clean() ? "audit: clean" : "audit: " + (findings.size() + problems.size() + digestMismatches.size())
                    + " finding(s)");
            return out;
        }
    }

    private JournalAudit() {
    }

    /**
     * @param expected the set digest of the center's cards (every node's accumulator {@link SetDigest#combine combined})
     */
    public static Report audit(EncryptionCard card, SetDigest expected, JournalScan.Result scan) {
        List<SealedSeed> records = new ArrayList<>();
        List<String> digestMismatches = new ArrayList<>();
        SetDigest.Builder recomputed = new SetDigest.Builder();
        for (JournalScan.SensorState s : scan.sensors().values()) {
            SensorRecord r = s.record();
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
        List<SetDigestAudit.Finding> findings = SetDigestAudit.compare(card, expected, records);
        return new Report(scan.sensors().size(), records.size(), scan.eventRows(), expected, recomputed.build(),
                findings, scan.problems(), digestMismatches);
    }
}
