package org.microcert.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.FactoryTransportKey;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.card.SoftwareCard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DEV ONLY ({@code --dev-card DIR}): a throwaway software card made with the key ceremony API on
 * first start and reused afterwards. Its random passwords lie next to it in owner-only files, which
 * is exactly what production must never do. The directory also gets K_trans exported for a factory
 * station (the simulator): {@code factory-transport.key} and its password {@code factory-transport.password}.
 */
final class DevCard {

    private static final Logger LOG = LoggerFactory.getLogger(DevCard.class);
    static final String KEYSTORE = "dev-card.bcfks";
    static final String PASSWORD = "dev-card.password";
    static final String TRANSPORT = "factory-transport.key";
    static final String TRANSPORT_PASSWORD = "factory-transport.password";

    private DevCard() {}

    static EncryptionCard openOrCreate(Path dir) {
        Path keystore = dir.resolve(KEYSTORE);
        Path passwordFile = dir.resolve(PASSWORD);
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
                password = NodeCard.readSecret(passwordFile);
                LOG.warn("DEV CARD in {} (passwords stored next to the keys): never use in production", dir);
            }
            return SoftwareCard.open(keystore, password, dir.resolve("dev-card.state"));
        } catch (IOException e) {
            throw new NodeCard.CardSetupException("cannot set up the dev card in " + dir + ": " + e.getMessage());
        } catch (CardException e) {
            throw new NodeCard.CardSetupException("cannot open the dev card in " + dir + ": " + e.getMessage());
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
