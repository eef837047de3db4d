package org.microcert.persistence.card;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.microcert.protocol.SensorId;

/**
 * Compares the set digest a card accumulated with the records an audit read back (from the journal
 * or a backup) and names what differs. Per mismatched bucket:
 * <ul>
 *   <li>a record that fails {@link EncryptionCard#authenticate} is {@link Kind#ALTERED} (exact sensor);</li>
 *   <li>more records than the card counted: {@link Kind#ADDED} (e.g. a revoked record put back);</li>
 *   <li>fewer: {@link Kind#REMOVED};</li>
 *   <li>the same number, all genuine, yet a different sum: {@link Kind#ROLLED_BACK} (a genuine older
 *       record in place of the current one, or records swapped).</li>
 * </ul>
 * Added, removed and rolled-back records are genuine records in the wrong place, so the digest
 * narrows them to a bucket (1/{@value SetDigest#BUCKETS} of the sensors) and the report lists that
 * bucket's sensors as candidates; a backup or the journal history pins down which one.
 */
public final class SetDigestAudit {

    /** What kind of difference a finding is. */
    public enum Kind { ALTERED, ADDED, REMOVED, ROLLED_BACK }

    /**
     * One difference. {@code sensor} is present for {@link Kind#ALTERED}; {@code records} is the
     * number of records added or removed (1 otherwise); {@code candidates} are the sensors read in
     * the bucket.
     */
    public record Finding(Kind kind, int bucket, Optional<SensorId> sensor, long records, List<SensorId> candidates) {
        public Finding {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(sensor, "sensor");
            candidates = List.copyOf(candidates);
        }
    }

    private SetDigestAudit() {
    }

    /**
     * @param card     a card of the center (it holds the integrity key and K_store)
     * @param expected the card-side set digest (all nodes' accumulators {@link SetDigest#combine combined})
     * @param records  the current record of every sensor as read back; iterated twice
     * @return the findings, in bucket order; empty when the records match the digest
     */
    public static List<Finding> compare(EncryptionCard card, SetDigest expected, Iterable<SealedSeed> records) {
        SetDigest.Builder read = new SetDigest.Builder();
        for (SealedSeed r : records) {
            read.add(r.sensorId(), card.digest(r));
        }
        List<SetDigest.BucketDifference> diffs = read.build().differences(expected);
        if (diffs.isEmpty()) {
            return List.of();
        }
        Map<Integer, List<SealedSeed>> inBucket = new HashMap<>();
        for (SetDigest.BucketDifference d : diffs) {
            inBucket.put(d.bucket(), new ArrayList<>());
        }
        for (SealedSeed r : records) {
            List<SealedSeed> list = inBucket.get(SetDigest.bucketOf(r.sensorId()));
            if (list != null) {
                list.add(r);
            }
        }
        List<Finding> findings = new ArrayList<>();
        for (SetDigest.BucketDifference d : diffs) {
            List<SealedSeed> bucket = inBucket.get(d.bucket());
            List<SensorId> candidates = bucket.stream().map(SealedSeed::sensorId).toList();
            boolean altered = false;
            for (SealedSeed r : bucket) {
                if (!authentic(card, r)) {
                    altered = true;
                    findings.add(new Finding(Kind.ALTERED, d.bucket(), Optional.of(r.sensorId()), 1, List.of()));
                }
            }
            if (d.countDelta() > 0) {
                findings.add(new Finding(Kind.ADDED, d.bucket(), Optional.empty(), d.countDelta(), candidates));
            } else if (d.countDelta() < 0) {
                findings.add(new Finding(Kind.REMOVED, d.bucket(), Optional.empty(), -d.countDelta(), candidates));
            } else if (!altered) {
                findings.add(new Finding(Kind.ROLLED_BACK, d.bucket(), Optional.empty(), 1, candidates));
            }
        }
        return findings;
    }

    private static boolean authentic(EncryptionCard card, SealedSeed r) {
        try {
            card.authenticate(r);
            return true;
        } catch (CardException e) {
            if (e.reason() == CardException.Reason.RECORD_REJECTED
                    || e.reason() == CardException.Reason.UNKNOWN_KEY_VERSION) {
                return false;
            }
            throw e;
        }
    }
}
