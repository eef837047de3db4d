package org.microcert.cluster;

import java.nio.file.Path;
import org.microcert.persistence.card.EncryptionCard;

/** DEV ONLY: a throwaway software card made on first start (pending the card module's ceremony API). */
final class DevCard {

    private DevCard() {}

    static EncryptionCard openOrCreate(Path directory) {
        throw new NodeCard.CardSetupException("--dev-card is not available yet (waiting for the key ceremony API)");
    }
}
