package org.microcert.cluster.sensor;

import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.protocol.KeySeed;

/**
 * A sensor's seed in clear, opened by the card. With {@code keep-seed-open} the opened seed stays in
 * the node's {@link SeedCache} (with the CMAC key schedule of its year row), so a certificate costs
 * a CSK derivation, not a card round trip (a PKCS#11 token is far slower than a CMAC), until the
 * cache wipes it (bound, idle time) or the entity lets it go ({@link #wipe()}: passivation, stop,
 * restart after a journal failure, revocation, a new seed). Without it every {@link #acquire} opens
 * the seed and {@link #release} wipes it right after. Confined to its entity's actor.
 */
final class OpenSeed {

    private final EncryptionCard card;
    private final SeedCache cache;
    private SeedCache.Entry kept;

    OpenSeed(EncryptionCard card, SeedCache cache) {
        this.card = card;
        this.cache = cache;
    }

    /**
     * The seed of {@code sealed}: the kept one, else opened now. Hand it back to {@link #release}.
     *
     * @throws org.microcert.persistence.card.CardException when the card cannot open the record
     */
    KeySeed acquire(SealedSeed sealed) {
        if (kept != null) {
            KeySeed seed = cache.use(kept);
            if (seed != null) {
                return seed;
            }
            kept = null; // the cache wiped it: open again
        }
        KeySeed seed = card.open(sealed);
        cache.opened();
        if (cache.keeps()) {
            kept = cache.admit(seed.keepYearKeySchedule());
        }
        return seed;
    }

    /** Hands the kept seed back to the cache, or wipes a seed opened for one request. Null is ignored. */
    void release(KeySeed seed) {
        if (seed == null) {
            return;
        }
        if (kept != null && seed == kept.seed()) {
            cache.handBack(kept);
        } else {
            seed.destroy();
        }
    }

    /**
     * Opens {@code sealed} for one use, never kept (seeds other than the current one: offered or
     * revoked); the caller destroys it.
     */
    KeySeed openOnce(SealedSeed sealed) {
        return card.open(sealed);
    }

    /** Wipes the kept seed, if any: the next {@link #acquire} opens the record again. */
    void wipe() {
        if (kept != null) {
            cache.remove(kept);
            kept = null;
        }
    }

    /** Whether this entity's seed is kept in clear now. */
    boolean isOpen() {
        return kept != null && !kept.seed().isDestroyed();
    }
}
