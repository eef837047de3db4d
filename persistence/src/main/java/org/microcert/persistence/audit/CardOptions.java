package org.microcert.persistence.audit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.Supplier;
import org.microcert.persistence.card.CardReferences;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.CardSpec;
import org.microcert.persistence.card.SetDigest;
import org.microcert.protocol.Secret;

/**
 * The card options of the audit, backup and restore commands: {@code --card-keystore FILE
 * --card-password-env VAR} (software card) or {@code --pkcs11 CONFIG --pin-env VAR [--key-version N]},
 * and {@code --card-state FILE} (the card's state file). {@code --state-files A,B,...} names the
 * state files of every node of the center, whose set digests add up to the expected one. Secrets
 * are read from the named environment variables, never from the command line.
 */
public final class CardOptions {

    /** The option names this class reads. */
    public static final Set<String> OPTIONS = Set.of("--card-keystore", "--card-password-env", "--pkcs11", "--pin-env",
            "--key-version", "--card-state", "--state-files");

    private CardOptions() {
    }

    /**
     * Opens the card the options name, reading secrets through {@code environment} (normally {@code System::getenv}).
     *
     * @throws IllegalArgumentException naming a missing option or variable, or a malformed {@code --state-files}
     */
    public static EncryptionCard open(Map<String, String> options, Function<String, String> environment) {
        Path state = Path.of(required(options, "--card-state"));
        stateFiles(options); // a usage error now, before the card opens or Cassandra is contacted
        CardSpec spec;
        String secretOption;
        if (options.containsKey("--card-keystore")) {
            spec = CardSpec.software(Path.of(options.get("--card-keystore")), state, 0);
            secretOption = "--card-password-env";
        } else if (options.containsKey("--pkcs11")) {
            spec = CardSpec.pkcs11(Path.of(options.get("--pkcs11")), state, keyVersion(options));
            secretOption = "--pin-env";
        } else {
            throw new IllegalArgumentException("name a card: --card-keystore FILE --card-password-env VAR, or --pkcs11 CONFIG --pin-env VAR");
        }
        try (Secret secret = secret(options, secretOption, environment)) {
            return spec.open(secret);
        }
    }

    private static int keyVersion(Map<String, String> options) {
        try {
            return Integer.parseInt(options.getOrDefault("--key-version", "0"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--key-version needs a number");
        }
    }

    /** The digest the cards expect: the named nodes' state files combined, else this card's own. */
    public static SetDigest expectedDigest(EncryptionCard card, Map<String, String> options) {
        return combined(options, card::setDigest, card::readStateFile, SetDigest::combine);
    }

    /** The cards' references, read like {@link #expectedDigest}: the named nodes' combined, else this card's own. */
    public static CardReferences expectedReferences(EncryptionCard card, Map<String, String> options) {
        return combined(options, card::references, card::readReferences, CardReferences::combine);
    }

    private static <T> T combined(Map<String, String> options, Supplier<T> own, Function<Path, T> read, BinaryOperator<T> combine) {
        List<Path> files = stateFiles(options);
        if (files.isEmpty()) {
            return own.get();
        }
        return files.stream().map(read).reduce(combine).orElseThrow(); // not empty: checked above
    }

    /** The files {@code --state-files} names (empty when absent); refuses an empty name anywhere in the list. */
    private static List<Path> stateFiles(Map<String, String> options) {
        String files = options.get("--state-files");
        if (files == null) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        for (String name : files.split(",", -1)) {
            if (name.isBlank()) {
                throw new IllegalArgumentException("--state-files needs state file names separated by commas, got '"
                        + files + "'");
            }
            out.add(Path.of(name.trim()));
        }
        return out;
    }

    private static String required(Map<String, String> options, String name) {
        String v = options.get(name);
        if (v == null) {
            throw new IllegalArgumentException("missing " + name);
        }
        return v;
    }

    private static Secret secret(Map<String, String> options, String name, Function<String, String> environment) {
        String variable = required(options, name);
        return Secret.fromEnvironment(environment, variable).orElseThrow(() ->
                new IllegalArgumentException("environment variable " + variable + " (" + name + ") is not set"));
    }
}
