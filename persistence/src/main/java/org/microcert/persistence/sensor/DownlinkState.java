package org.microcert.persistence.sensor;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.microcert.persistence.card.SealedSeed;

/**
 * What the center keeps to reach a sensor that is asleep or loses messages (docs/cluster.md,
 * "Downlink queue"): the seeds the sensor offered for its pending update ({@code candidates}, each
 * opened from an UPDATE envelope under the current seed, accepted beside it until a certificate
 * under one of them proves which the sensor holds), and, after a revocation, the revoked seed kept
 * sealed only to tag the REVOKE command again for each poll ({@code revocationSeed}). Folded from
 * {@link SensorEvent}s by {@link SensorRecord#apply}; part of the snapshot.
 *
 * @param candidates oldest first, at most {@link #MAX_CANDIDATES}; empty when no update is pending or
 *     none was offered yet; kept after a revocation that is being delivered (the sensor may use one)
 * @param revocationSeed null unless a revocation is still being delivered
 */
public record DownlinkState(List<SeedCandidate> candidates, SealedSeed revocationSeed) implements CborSerializable {

    /**
     * A sensor offers a new candidate only after losing the previous one (a reboot before the
     * center's answer, or an answer it never got). None is ever dropped while the update is pending:
     * the chip switches to a seed once the center answered its upload, so dropping that seed would
     * strand it. Beyond this many, further offers are refused (the chip stays on its current seed).
     */
    public static final int MAX_CANDIDATES = 8;

    public static final DownlinkState EMPTY = new DownlinkState(List.of(), null);

    /**
     * One offered seed. {@code envelopeDigest}: SHA-256 of the UPDATE envelope in hex, so a
     * duplicated upload changes nothing. {@code recordDigest}: the card's digest of {@code seed}.
     */
    public record SeedCandidate(SealedSeed seed, String recordDigest, String envelopeDigest, Instant receivedAt)
            implements CborSerializable {
        public SeedCandidate {
            Objects.requireNonNull(seed, "seed");
            Objects.requireNonNull(envelopeDigest, "envelopeDigest");
        }
    }

    public DownlinkState {
        candidates = candidates == null ? List.of() : List.copyOf(candidates);
    }

    /** Whether an upload with this digest was already taken. */
    public boolean hasCandidate(String envelopeDigest) {
        return candidates.stream().anyMatch(c -> c.envelopeDigest().equals(envelopeDigest));
    }

    /** The state after {@code event}; {@code after} is the key state the event led to. */
    DownlinkState next(SensorEvent event, SensorRecord after) {
        if (event instanceof SensorEvent.SeedUpdateReceived e) {
            if (hasCandidate(e.envelopeDigest()) || candidates.size() >= MAX_CANDIDATES) {
                return this; // the writer refuses these; a journal holding one anyway changes nothing
            }
            List<SeedCandidate> next = new ArrayList<>(candidates);
            next.add(new SeedCandidate(e.seed(), e.recordDigest(), e.envelopeDigest(), e.at()));
            return new DownlinkState(next, revocationSeed);
        } else if (event instanceof SensorEvent.Revoked e) {
            // the sensor may already use an offered seed: the REVOKE is tagged under whichever its poll proves
            return new DownlinkState(e.deliverySeed() == null ? List.of() : candidates, e.deliverySeed());
        } else if (event instanceof SensorEvent.RevocationDeliveryEnded) {
            return EMPTY;
        } else if (after.status() != SensorRecord.Status.UPDATE_PENDING && revocationSeed == null
                && !candidates.isEmpty()) {
            return new DownlinkState(List.of(), revocationSeed); // updated, cancelled: the other candidates go
        }
        return this;
    }
}
