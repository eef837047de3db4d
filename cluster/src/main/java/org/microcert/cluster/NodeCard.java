package org.microcert.cluster;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SoftwareCard;

/**
 * Opens the node's encryption card ({@code microcert.card}): a software card from a BCFKS keystore
 * whose password comes from a file or the {@code MICROCERT_CARD_PASSWORD} environment variable,
 * never from a flag (visible in {@code ps}) and never logged.
 */
final class NodeCard {

    static final String PASSWORD_ENV = "MICROCERT_CARD_PASSWORD";

    /** The card cannot be opened; the message names what is missing, never a secret. */
    static final class CardSetupException extends RuntimeException {
        CardSetupException(String message) {
            super(message);
        }
    }

    private NodeCard() {}

    static EncryptionCard open(Config card, Map<String, String> env) {
        String keystore = card.getString("keystore");
        if (keystore.isBlank()) {
            String dev = card.getString("dev-directory");
            if (!dev.isBlank()) {
                return DevCard.openOrCreate(Path.of(dev));
            }
            throw new CardSetupException("no encryption card: set --card-keystore (and its password in "
                    + PASSWORD_ENV + " or --card-password-file), or --dev-card DIR for a throwaway development card");
        }
        Path ks = Path.of(keystore);
        String state = card.getString("state-file");
        Path stateFile = state.isBlank() ? Path.of(keystore + ".state") : Path.of(state);
        char[] password = password(card.getString("password-file"), env);
        try {
            return SoftwareCard.open(ks, password, stateFile);
        } catch (CardException e) {
            throw new CardSetupException("cannot open the card " + ks + ": " + e.getMessage());
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static char[] password(String file, Map<String, String> env) {
        if (!file.isBlank()) {
            try {
                return readSecret(Path.of(file));
            } catch (IOException e) {
                throw new CardSetupException("cannot read the card password file " + file);
            }
        }
        String fromEnv = env.get(PASSWORD_ENV);
        if (fromEnv == null || fromEnv.isEmpty()) {
            throw new CardSetupException("no card password: set " + PASSWORD_ENV + " or --card-password-file");
        }
        return fromEnv.toCharArray();
    }

    /** Reads a secret file, stripping the trailing newline editors add; wipes the raw bytes. */
    static char[] readSecret(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return new String(bytes, StandardCharsets.UTF_8).strip().toCharArray();
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }
}
