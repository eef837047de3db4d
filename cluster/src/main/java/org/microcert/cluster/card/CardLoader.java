package org.microcert.cluster.card;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.FactoryTransportKey;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.card.Pkcs11Card;
import org.microcert.persistence.card.Pkcs11Config;
import org.microcert.persistence.card.SoftwareCard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the node's encryption card ({@code microcert.card}): a software card from a BCFKS keystore
 * whose password comes from a file or the {@code MICROCERT_CARD_PASSWORD} environment variable; a
 * PKCS#11 card (an HSM) whose PIN comes from the environment variable {@code pkcs11.pin-env} names;
 * secrets never from a flag (visible in {@code ps}) and never logged; or, for development only, a
 * throwaway card ({@link #openOrCreateDev}).
 */
public final class CardLoader {

    public static final String PASSWORD_ENV = "MICROCERT_CARD_PASSWORD";

    /** The card cannot be opened; the message names what is missing, never a secret. */
    public static final class CardSetupException extends RuntimeException {
        CardSetupException(String message) {
            super(message);
        }
    }

    private CardLoader() {}

    public static EncryptionCard open(Config card, Map<String, String> env) {
        String keystore = card.getString("keystore");
        String pkcs11 = card.getString("pkcs11.config");
        if (!keystore.isBlank() && !pkcs11.isBlank()) {
            throw new CardSetupException("two cards configured: set either --card-keystore (microcert.card.keystore) "
                    + "or --pkcs11 (microcert.card.pkcs11.config), not both");
        }
        if (!pkcs11.isBlank()) {
            return openPkcs11(card, Path.of(pkcs11), env);
        }
        if (keystore.isBlank()) {
            String dev = card.getString("dev-directory");
            if (!dev.isBlank()) {
                return openOrCreateDev(Path.of(dev));
            }
            throw new CardSetupException("no encryption card: set --card-keystore (and its password in "
                    + PASSWORD_ENV + " or --card-password-file), --pkcs11 CONFIG (and its PIN in the variable --pin-env"
                    + " names), or --dev-card DIR for a throwaway development card");
        }
        Path ks = Path.of(keystore);
        Path stateFile = stateFile(card, ks);
        char[] password = password(card.getString("password-file"), env);
        try {
            return SoftwareCard.open(ks, password, stateFile);
        } catch (CardException e) {
            throw new CardSetupException("cannot open the card " + ks + ": " + e.getMessage());
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /** The card on a PKCS#11 token: every key operation runs in the token, the PIN comes from the environment. */
    private static EncryptionCard openPkcs11(Config card, Path config, Map<String, String> env) {
        Path stateFile = stateFile(card, config);
        String variable = card.getString("pkcs11.pin-env");
        String fromEnv = variable.isBlank() ? null : env.get(variable);
        if (fromEnv == null || fromEnv.isEmpty()) {
            throw new CardSetupException("no PIN for the PKCS#11 card " + config + ": set the environment variable "
                    + (variable.isBlank() ? "that --pin-env (microcert.card.pkcs11.pin-env) names" : variable));
        }
        char[] pin = fromEnv.toCharArray();
        try {
            return Pkcs11Card.open(Pkcs11Config.load(config), pin, stateFile, 0);
        } catch (CardException e) {
            // The card's messages name the library, slot or file, never the PIN.
            throw new CardSetupException("cannot open the PKCS#11 card " + config + ": " + e.getMessage());
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    /** {@code microcert.card.state-file}, else {@code <card file>.state}. */
    private static Path stateFile(Config card, Path cardFile) {
        String state = card.getString("state-file");
        return state.isBlank() ? Path.of(cardFile + ".state") : Path.of(state);
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

    private static final Logger LOG = LoggerFactory.getLogger(CardLoader.class);
    static final String DEV_KEYSTORE = "dev-card.bcfks";
    static final String DEV_PASSWORD = "dev-card.password";
    static final String TRANSPORT = "factory-transport.key";
    static final String TRANSPORT_PASSWORD = "factory-transport.password";

    /**
     * DEV ONLY ({@code --dev-card DIR}): a throwaway software card made with the key ceremony API on
     * first start and reused afterwards. Its random passwords lie next to it in owner-only files, which
     * is exactly what production must never do. The directory also gets K_trans exported for a factory
     * station (the simulator): {@value #TRANSPORT} and its password {@value #TRANSPORT_PASSWORD}.
     */
    static EncryptionCard openOrCreateDev(Path dir) {
        Path keystore = dir.resolve(DEV_KEYSTORE);
        Path passwordFile = dir.resolve(DEV_PASSWORD);
        char[] password = null;
        try {
            if (!Files.exists(keystore)) {
                Files.createDirectories(dir);
                password = randomSecret();
                writeOwnerOnly(passwordFile, password);
                KeyCeremony.create(keystore, password);
                char[] exportPassword = randomSecret();
                writeOwnerOnly(dir.resolve(TRANSPORT_PASSWORD), exportPassword);
                KeyCeremony.exportTransport(keystore, password, dir.resolve(TRANSPORT), exportPassword,
                        FactoryTransportKey.MIN_ITERATIONS);
                Arrays.fill(exportPassword, '\0');
                LOG.warn("DEV CARD created in {} (fresh keys, passwords stored next to them): never use in production",
                        dir);
            } else {
                password = readSecret(passwordFile);
                LOG.warn("DEV CARD in {} (passwords stored next to the keys): never use in production", dir);
            }
            return SoftwareCard.open(keystore, password, dir.resolve("dev-card.state"));
        } catch (IOException e) {
            throw new CardSetupException("cannot set up the dev card in " + dir + ": " + e.getMessage());
        } catch (CardException e) {
            throw new CardSetupException("cannot open the dev card in " + dir + ": " + e.getMessage());
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    private static char[] randomSecret() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        char[] out = HexFormat.of().formatHex(b).toCharArray();
        Arrays.fill(b, (byte) 0);
        return out;
    }

    private static void writeOwnerOnly(Path file, char[] secret) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        byte[] bytes = new String(secret).getBytes(StandardCharsets.UTF_8);
        try {
            Files.write(file, bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }
}
