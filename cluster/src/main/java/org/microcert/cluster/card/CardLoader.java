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
import org.microcert.persistence.card.SoftwareCard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the node's encryption card ({@code microcert.card}): a software card from a BCFKS keystore
 * whose password comes from a file or the {@code MICROCERT_CARD_PASSWORD} environment variable,
 * never from a flag (visible in {@code ps}) and never logged; or, for development only, a throwaway
 * card ({@link #openOrCreateDev}).
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
        if (keystore.isBlank()) {
            String dev = card.getString("dev-directory");
            if (!dev.isBlank()) {
                return openOrCreateDev(Path.of(dev));
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
