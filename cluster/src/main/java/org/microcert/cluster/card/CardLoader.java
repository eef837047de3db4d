package org.microcert.cluster.card;

import com.typesafe.config.Config;
import java.io.IOException;
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
import org.microcert.persistence.card.CardSpec;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.protocol.Secret;
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
        if (keystore.isBlank() && pkcs11.isBlank()) {
            String dev = card.getString("dev-directory");
            if (!dev.isBlank()) {
                return openOrCreateDev(Path.of(dev));
            }
            throw new CardSetupException("no encryption card: set --card-keystore (and its password in "
                    + PASSWORD_ENV + " or --card-password-file), --pkcs11 CONFIG (and its PIN in the variable --pin-env"
                    + " names), or --dev-card DIR for a throwaway development card");
        }
        String state = card.getString("state-file");
        Path stateFile = state.isBlank() ? null : Path.of(state);
        int keyVersion = card.getInt("key-version");
        CardSpec spec = pkcs11.isBlank() ? CardSpec.software(Path.of(keystore), stateFile, keyVersion)
                : CardSpec.pkcs11(Path.of(pkcs11), stateFile, keyVersion);
        try (Secret secret = spec.pkcs11() ? pin(spec, card.getString("pkcs11.pin-env"), env)
                : password(card.getString("password-file"), env)) {
            EncryptionCard opened = spec.open(secret);
            // What an operator checks during a rotation: which version this node seals under.
            LOG.info("card: {}, sealing under K_store v{} (holds {})", spec.describe(), opened.currentKeyVersion(),
                    opened.keyVersions());
            return opened;
        } catch (CardException e) {
            // The card's messages name the keystore, library, slot or file, never the secret.
            throw new CardSetupException("cannot open " + spec.describe() + ": " + e.getMessage());
        }
    }

    /** The PKCS#11 user PIN, from the environment variable {@code microcert.card.pkcs11.pin-env} names. */
    private static Secret pin(CardSpec spec, String variable, Map<String, String> env) {
        return Secret.fromEnvironment(env::get, variable).orElseThrow(() -> new CardSetupException("no PIN for "
                + spec.describe() + ": set the environment variable "
                + (variable.isBlank() ? "that --pin-env (microcert.card.pkcs11.pin-env) names" : variable)));
    }

    private static Secret password(String file, Map<String, String> env) {
        if (!file.isBlank()) {
            try {
                return readSecret(Path.of(file));
            } catch (IOException e) {
                throw new CardSetupException("cannot read the card password file " + file);
            }
        }
        return Secret.fromEnvironment(env::get, PASSWORD_ENV).orElseThrow(() ->
                new CardSetupException("no card password: set " + PASSWORD_ENV + " or --card-password-file"));
    }

    /** Reads a secret file, without the trailing newline editors add; wipes the raw bytes. */
    static Secret readSecret(Path file) throws IOException {
        return Secret.fromFileContent(Files.readAllBytes(file));
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
        try (Secret password = Files.exists(keystore) ? readSecret(passwordFile) : createDev(dir, keystore, passwordFile)) {
            if (Files.exists(keystore)) {
                LOG.warn("DEV CARD in {} (passwords stored next to the keys): never use in production", dir);
            }
            return CardSpec.software(keystore, dir.resolve("dev-card.state"), 0).open(password);
        } catch (IOException e) {
            throw new CardSetupException("cannot set up the dev card in " + dir + ": " + e.getMessage());
        } catch (CardException e) {
            throw new CardSetupException("cannot open the dev card in " + dir + ": " + e.getMessage());
        }
    }

    /** A new dev card in {@code dir} with K_trans exported next to it; returns its password. */
    private static Secret createDev(Path dir, Path keystore, Path passwordFile) throws IOException {
        Files.createDirectories(dir);
        Secret password = randomSecret();
        try (Secret exportPassword = randomSecret()) {
            writeOwnerOnly(passwordFile, password);
            password.withChars(pw -> KeyCeremony.create(keystore, pw));
            writeOwnerOnly(dir.resolve(TRANSPORT_PASSWORD), exportPassword);
            password.withChars(pw -> exportPassword.withChars(export -> {
                KeyCeremony.exportTransport(keystore, pw, dir.resolve(TRANSPORT), export, FactoryTransportKey.MIN_ITERATIONS);
                return null;
            }));
        } catch (IOException | RuntimeException e) {
            password.close();
            throw e;
        }
        LOG.warn("DEV CARD created in {} (fresh keys, passwords stored next to them): never use in production", dir);
        return password;
    }

    /** 24 random bytes as 48 hex digits (printable, so it can live in a file an operator may read). */
    private static Secret randomSecret() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        char[] hex = HexFormat.of().formatHex(b).toCharArray();
        try {
            return Secret.ofChars(hex);
        } finally {
            Arrays.fill(b, (byte) 0);
            Arrays.fill(hex, '\0');
        }
    }

    private static void writeOwnerOnly(Path file, Secret secret) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        byte[] bytes = secret.bytes();
        try {
            Files.write(file, bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }
}
