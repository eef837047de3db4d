package org.microcert.persistence.card;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.microcert.protocol.SensorId;

/**
 * The per-sensor references a card keeps next to its {@link SetDigest}: for every record it was told
 * about, the sensor, seed version, key version, record digest and net count (+1 stored, -1 replaced
 * or revoked, 0 once both happened: the card still remembers that it saw the record). Read from the
 * card's MAC-protected reference log ({@link EncryptionCard#readReferences}), so only a card of the
 * center can make them. Node references {@link #combine combine} by adding counts, like set digests.
 * The audit uses them to name the exact sensor of a record added, removed or rolled back. Immutable;
 * not secret.
 */
public final class CardReferences {

    /** One record the card was told about and its net count. */
    public record Reference(int seedVersion, int keyVersion, RecordDigest digest, long count) {
    }

    private static final CardReferences EMPTY = new CardReferences(Map.of());

    private final Map<SensorId, List<Reference>> bySensor;

    private CardReferences(Map<SensorId, List<Reference>> bySensor) {
        this.bySensor = bySensor;
    }

    /** No references: a new card. */
    public static CardReferences empty() {
        return EMPTY;
    }

    /** Every sensor the card has a reference for (including those whose records were all revoked). */
    public Set<SensorId> sensors() {
        return Collections.unmodifiableSet(bySensor.keySet());
    }

    /** The number of references (records the card saw, over all sensors). */
    public long size() {
        return bySensor.values().stream().mapToLong(List::size).sum();
    }

    /** The references of one sensor, empty when the card never heard of it. */
    public List<Reference> of(SensorId sensor) {
        return bySensor.getOrDefault(sensor, List.of());
    }

    /**
     * The record the card holds as current for {@code sensor}: the only one with count 1 while
     * every other count is 0. Empty when there is none or the counts are not of that form.
     */
    public Optional<Reference> current(SensorId sensor) {
        Reference current = null;
        for (Reference r : of(sensor)) {
            if (r.count() == 1 && current == null) {
                current = r;
            } else if (r.count() != 0) {
                return Optional.empty();
            }
        }
        return Optional.ofNullable(current);
    }

    /** The references of several nodes together (counts add up). */
    public CardReferences combine(CardReferences other) {
        Builder b = new Builder();
        b.addAll(this);
        b.addAll(other);
        return b.build();
    }

    /** The set digest these references give; equals the card's own when they are complete. */
    public SetDigest setDigest() {
        SetDigest.Builder d = new SetDigest.Builder();
        bySensor.forEach((sensor, refs) -> {
            for (Reference r : refs) {
                for (long i = 0; i < Math.abs(r.count()); i++) {
                    if (r.count() > 0) {
                        d.add(sensor, r.digest());
                    } else {
                        d.remove(sensor, r.digest());
                    }
                }
            }
        });
        return d.build();
    }

    /**
     * What a compaction keeps: every reference with a non-zero count, and per sensor the newest record
     * it saw replaced or revoked when that is newer than every live one. Older superseded records
     * may go: a record put back that is older than what the card keeps is still not newer, so the
     * audit still calls it rolled back or added, never unconfirmed.
     */
    Builder compacted() {
        Builder b = new Builder();
        bySensor.forEach((sensor, refs) -> {
            Reference newestGone = null;
            for (Reference r : refs) {
                if (r.count() != 0) {
                    b.add(sensor, r.seedVersion(), r.keyVersion(), r.digest(), r.count());
                } else if (newestGone == null || newer(r, newestGone)) {
                    newestGone = r;
                }
            }
            if (newestGone != null) {
                Reference gone = newestGone;
                if (refs.stream().noneMatch(r -> r.count() != 0 && newer(r, gone))) {
                    b.add(sensor, gone.seedVersion(), gone.keyVersion(), gone.digest(), 0);
                }
            }
        });
        return b;
    }

    private static boolean newer(Reference a, Reference b) {
        return a.seedVersion() > b.seedVersion() || (a.seedVersion() == b.seedVersion() && a.keyVersion() > b.keyVersion());
    }

    @Override
    public String toString() {
        return "CardReferences[sensors=" + bySensor.size() + "]";
    }

    /** Accumulates references; not thread-safe. */
    static final class Builder {
        private final Map<SensorId, List<Reference>> bySensor = new HashMap<>();

        Builder add(SensorId sensor, int seedVersion, int keyVersion, RecordDigest digest, long delta) {
            List<Reference> refs = bySensor.computeIfAbsent(sensor, k -> new ArrayList<>(2));
            for (int i = 0; i < refs.size(); i++) {
                Reference r = refs.get(i);
                if (r.digest().equals(digest)) {
                    refs.set(i, new Reference(r.seedVersion(), r.keyVersion(), digest, r.count() + delta));
                    return this;
                }
            }
            refs.add(new Reference(seedVersion, keyVersion, digest, delta));
            return this;
        }

        Builder addAll(CardReferences other) {
            other.bySensor.forEach((sensor, refs) -> refs.forEach(r ->
                    add(sensor, r.seedVersion(), r.keyVersion(), r.digest(), r.count())));
            return this;
        }

        /** Every reference, for writing a log. */
        Map<SensorId, List<Reference>> entries() {
            return bySensor;
        }

        long size() {
            return bySensor.values().stream().mapToLong(List::size).sum();
        }

        CardReferences build() {
            Map<SensorId, List<Reference>> copy = new HashMap<>(bySensor.size() * 2);
            bySensor.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            return new CardReferences(copy);
        }
    }
}
