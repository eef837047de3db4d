package org.microcert.simulator.fleet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.microcert.protocol.Secret;
import org.microcert.simulator.gateway.GatewayException;

/**
 * Reads the factory station's copy of K_trans: the export file of the key ceremony
 * ({@code ops/bin/key-ceremony export-transport}, format documented in docs/encryption-card.md and
 * in the persistence module's {@code FactoryTransportKey}): magic "MCTK", format 1, KDF 1 =
 * PBKDF2-HMAC-SHA-256 with a u32 iteration count, 16-byte salt, 12-byte nonce, then AES-256-GCM of
 * the 32 key bytes with bytes 0..37 as associated data. Only JDK primitives: a station needs none of
 * the center's code. The raw key exists only in memory while the fleet's envelopes are sealed.
 */
public final class TransportKeyFile {

    /** Environment variable holding the export's password (when no password file is given). */
    public static final String PASSWORD_ENV = "MICROCERT_TRANSPORT_KEY_PASSWORD";

    static final int HEADER_BYTES = 38;
    static final int FILE_BYTES = HEADER_BYTES + 32 + 16;
    static final int MIN_ITERATIONS = 100_000;
    private static final byte[] MAGIC = "MCTK".getBytes(StandardCharsets.US_ASCII);

    private TransportKeyFile() {}

    /**
     * @return the 32 raw bytes of K_trans; the caller wipes them
     * @throws GatewayException (a set-up error) naming what is wrong with the file or the password
     */
    public static byte[] load(Path file, Path passwordFile) {
        try (Secret password = password(passwordFile)) {
            return password.withChars(pw -> decrypt(file, pw));
        }
    }

    static byte[] decrypt(Path file, char[] password) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new GatewayException("no transport key file at " + file
                    + " (make one with: ops/bin/key-ceremony export-transport)");
        } catch (IOException e) {
            throw new GatewayException("cannot read the transport key file " + file + ": " + e.getMessage());
        }
        if (all.length != FILE_BYTES || !Arrays.equals(all, 0, 4, MAGIC, 0, 4) || all[4] != 1 || all[5] != 1) {
            throw new GatewayException(file + " is not a MicroCert transport key export");
        }
        int iterations = ByteBuffer.wrap(all).getInt(6);
        if (iterations < MIN_ITERATIONS) {
            throw new GatewayException(file + " uses too few KDF iterations (" + iterations + ")");
        }
        byte[] salt = Arrays.copyOfRange(all, 10, 26);
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
        byte[] kek = null;
        try {
            kek = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"),
                    new GCMParameterSpec(128, Arrays.copyOfRange(all, 26, HEADER_BYTES)));
            c.updateAAD(all, 0, HEADER_BYTES);
            return c.doFinal(all, HEADER_BYTES, all.length - HEADER_BYTES);
        } catch (AEADBadTagException e) {
            throw new GatewayException("the transport key file " + file + " refused the password (or was altered)");
        } catch (GeneralSecurityException e) {
            throw new GatewayException("cannot decrypt the transport key file " + file + ": " + e.getClass().getSimpleName());
        } finally {
            spec.clearPassword();
            if (kek != null) {
                Arrays.fill(kek, (byte) 0);
            }
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
