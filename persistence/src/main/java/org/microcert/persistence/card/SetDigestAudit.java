package org.microcert.persistence.card;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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
 * Added, removed and rolled-back records are genuine records in the wrong place. With the set digest
 * alone ({@link #compare(EncryptionCard, SetDigest, Iterable)}) they are narrowed to a bucket
 * (1/{@value SetDigest#BUCKETS} of the sensors) whose sensors are listed as candidates. With the
 * cards' {@link CardReferences} ({@link #compare(EncryptionCard, SetDigest, CardReferences, Iterable, Map)})
 * every finding names its exact sensor, and a genuine record newer than what the cards confirmed
 * (a crash between persisting an event and the {@code record*} call) is {@link Kind#UNCONFIRMED}
 * rather than tampering.
 */
public final class SetDigestAudit {

    /** What kind of difference a finding is. */
    public enum Kind {
        ALTERED, ADDED, REMOVED, ROLLED_BACK,
        /**
         * Not tampering: a genuine record newer than what the cards confirmed, or a revocation the
         * cards were not told about; what a crash between persisting an event and the card's
         * {@code record*} call leaves. An operator confirms it ({@link EncryptionCard#resetTo} after
         * investigating) or the sensor's next change is confirmed normally.
         */
        UNCONFIRMED
    }

    /**
     * One difference. {@code sensor} is present for {@link Kind#ALTERED}; {@code records} is the
     * number of records added or removed (1 otherwise); {@code candidates} are the sensors read in
     * the bucket (empty when {@code sensor} is known); {@code detail} says what the cards hold
     * against what was read, when the references tell.
     */
    public record Finding(Kind kind, int bucket, Optional<SensorId> sensor, long records, List<SensorId> candidates,
                          String detail) {
        public Finding {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(sensor, "sensor");
            Objects.requireNonNull(detail, "detail");
            candidates = List.copyOf(candidates);
        }

        public Finding(Kind kind, int bucket, Optional<SensorId> sensor, long records, List<SensorId> candidates) {
            this(kind, bucket, sensor, records, candidates, "");
        }

        /** A finding about one known sensor. */
        static Finding exact(Kind kind, SensorId sensor, String detail) {
            return new Finding(kind, SetDigest.bucketOf(sensor), Optional.of(sensor), 1, List.of(), detail);
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

    /** True when {@code references} add up to {@code expected}: the audit can then name every sensor exactly. */
    public static boolean exact(SetDigest expected, CardReferences references) {
        return references.setDigest().equals(expected);
    }

    /**
     * Compares sensor by sensor with the cards' references when they add up to {@code expected}
     * ({@link #exact}); otherwise (references missing or reset by digest only) falls back to
     * {@link #compare(EncryptionCard, SetDigest, Iterable) buckets}.
     *
     * @param references the cards' references (every node's {@link CardReferences#combine combined})
     * @param records    the current record of every sensor that has one, at most one per sensor
     * @param revokedAt  sensors the journal shows revoked, with the seed version they were revoked at
     * @return the findings in sensor order
     */
    public static List<Finding> compare(EncryptionCard card, SetDigest expected, CardReferences references,
                                        Iterable<SealedSeed> records, Map<SensorId, Integer> revokedAt) {
        if (!exact(expected, references)) {
            return compare(card, expected, records);
        }
        Map<SensorId, SealedSeed> current = new TreeMap<>();
        records.forEach(r -> current.put(r.sensorId(), r));
        Set<SensorId> sensors = new TreeSet<>(current.keySet());
        sensors.addAll(references.sensors());
        List<Finding> findings = new ArrayList<>();
        for (SensorId sensor : sensors) {
            SealedSeed read = current.get(sensor);
            Optional<Finding> f = read == null ? withoutRecord(sensor, references, revokedAt.get(sensor))
                    : withRecord(card, read, references);
            f.ifPresent(findings::add);
        }
        return findings;
    }

    private static Optional<Finding> withRecord(EncryptionCard card, SealedSeed read, CardReferences references) {
        SensorId sensor = read.sensorId();
        RecordDigest digest = card.digest(read);
        Optional<CardReferences.Reference> expected = references.current(sensor);
        if (expected.isPresent() && expected.get().digest().equals(digest)) {
            return Optional.empty();
        }
        if (!authentic(card, read)) {
            return Optional.of(Finding.exact(Kind.ALTERED, sensor, "the record fails authentication"));
        }
        List<CardReferences.Reference> refs = references.of(sensor);
        String got = "the journal holds " + version(read.seedVersion(), read.keyVersion());
        String holds = expected.map(e -> ", the cards hold " + version(e.seedVersion(), e.keyVersion()))
                .orElse(", the cards hold no current record");
        Optional<CardReferences.Reference> seen = refs.stream().filter(r -> r.digest().equals(digest)).findFirst();
        if (seen.isEmpty()) {
            boolean newer = refs.stream().noneMatch(r -> !isNewer(read, r));
            return Optional.of(newer
                    ? Finding.exact(Kind.UNCONFIRMED, sensor, got + holds + ": a genuine newer record the cards were never told about")
                    : Finding.exact(Kind.ROLLED_BACK, sensor, got + holds + ": a genuine record older than the cards' own"));
        }
        if (seen.get().count() == 1) { // confirmed as stored, but another change of this sensor was missed
            return Optional.of(Finding.exact(Kind.UNCONFIRMED, sensor, got + ": the cards missed an earlier change of this sensor"));
        }
        if (refs.stream().allMatch(r -> r.count() == 0)) {
            return Optional.of(Finding.exact(Kind.ADDED, sensor, got + ", which the cards saw replaced or revoked: the sensor has no current record"));
        }
        return Optional.of(Finding.exact(Kind.ROLLED_BACK, sensor, got + holds + ": a record the cards saw replaced"));
    }

    private static Optional<Finding> withoutRecord(SensorId sensor, CardReferences references, Integer revokedAt) {
        List<CardReferences.Reference> live = references.of(sensor).stream().filter(r -> r.count() != 0).toList();
        if (live.isEmpty()) {
            return Optional.empty();
        }
        Optional<CardReferences.Reference> expected = references.current(sensor);
        if (revokedAt != null && expected.isPresent() && expected.get().seedVersion() == revokedAt) {
            return Optional.of(Finding.exact(Kind.UNCONFIRMED, sensor, "the journal shows seed version " + revokedAt
                    + " revoked, the cards were not told"));
        }
        return Optional.of(Finding.exact(Kind.REMOVED, sensor, "the journal holds no record"
                + expected.map(e -> ", the cards hold " + version(e.seedVersion(), e.keyVersion())).orElse("")));
    }

    private static boolean isNewer(SealedSeed read, CardReferences.Reference than) {
        return read.seedVersion() > than.seedVersion()
                || (read.seedVersion() == than.seedVersion() && read.keyVersion() > than.keyVersion());
    }

    private static String version(int seedVersion, int keyVersion) {
        return "seed version " + seedVersion + " (key version " + keyVersion + ")";
    }
}
