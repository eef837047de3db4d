package org.microcert.simulator.fleet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.microcert.protocol.Secret;
import org.microcert.protocol.TransportKeyExport;
import org.microcert.simulator.gateway.GatewayException;

/**
 * Reads the factory station's copy of K_trans: the export file of the key ceremony
 * ({@code ops/bin/key-ceremony export-transport}), through the protocol module's
 * {@link TransportKeyExport} (format in docs/encryption-card.md). The raw key exists only in
 * memory while the fleet's envelopes are sealed.
 */
public final class TransportKeyFile {

    /** Environment variable holding the export's password (when no password file is given). */
    public static final String PASSWORD_ENV = "MICROCERT_TRANSPORT_KEY_PASSWORD";

    private TransportKeyFile() {}

    /**
     * @return the 32 raw bytes of K_trans; the caller wipes them
     * @throws GatewayException (a set-up error) naming what is wrong with the file or the password
     */
    public static byte[] load(Path file, Path passwordFile) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new GatewayException("no transport key file at " + file
                    + " (make one with: ops/bin/key-ceremony export-transport)");
        } catch (IOException e) {
            throw new GatewayException("cannot read the transport key file " + file + ": " + e.getMessage());
        }
        try (Secret password = password(passwordFile)) {
            return TransportKeyExport.open(all, password);
        } catch (TransportKeyExport.RefusedException e) {
            throw new GatewayException("the transport key file " + file + " " + e.getMessage());
        }
    }

    private static Secret password(Path passwordFile) {
        if (passwordFile != null) {
            try {
                return Secret.fromFileContent(Files.readAllBytes(passwordFile));
            } catch (IOException e) {
                throw new GatewayException("cannot read the transport key password file " + passwordFile);
            }
        }
        return Secret.fromEnvironment(System::getenv, PASSWORD_ENV).orElseThrow(() -> new GatewayException(
                "the transport key's password is missing: set " + PASSWORD_ENV + " or use --transport-key-password-file"));
    }
}
