package org.microcert.cluster.sensor;

import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.protocol.KeySeed;

/**
 * A sensor's seed in clear, opened by the card. With {@code keep-seed-open} the first opening stays
 * in memory (with the CMAC key schedule of its year row) while the entity is active, so each
 * certificate costs a CSK derivation, not a card round trip (a PKCS#11 token is far slower than a
 * CMAC); the entity {@link #wipe()}s it when it passivates, stops, restarts after a journal failure,
 * is revoked or moves to a new seed. Without it every {@link #acquire} opens the seed and
 * {@link #release} wipes it right after. Confined to its entity's actor: not thread-safe.
 */
final class OpenSeed {

    private final EncryptionCard card;
    private final boolean keepOpen;
    private KeySeed open;

    OpenSeed(EncryptionCard card, boolean keepOpen) {
        this.card = card;
        this.keepOpen = keepOpen;
    }

    /**
     * The seed of {@code sealed}: the kept one, else opened now. Hand it back to {@link #release}.
     *
     * @throws org.microcert.persistence.card.CardException when the card cannot open the record
     */
    KeySeed acquire(SealedSeed sealed) {
        if (open != null) {
            return open;
        }
        KeySeed seed = card.open(sealed);
        if (keepOpen) {
            open = seed.keepYearKeySchedule();
        }
        return seed;
    }

    /** Wipes a seed opened for one request; the kept one stays. Null is ignored. */
    void release(KeySeed seed) {
        if (seed != null && seed != open) {
            seed.destroy();
        }
    }

    /** Wipes the kept seed, if any: the next {@link #acquire} opens the record again. */
    void wipe() {
        if (open != null) {
            open.destroy();
            open = null;
        }
    }

    /** Whether a seed is kept in clear now. */
    boolean isOpen() {
        return open != null;
    }
}
