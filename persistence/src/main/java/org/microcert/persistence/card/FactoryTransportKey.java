package org.microcert.persistence.card;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * K_trans wrapped for the factory station that loads it into sensor chips: a password-protected
 * file made by the key ceremony ({@code key-ceremony export-transport}), read by the station (the
 * simulator) with {@link #load}. Format ({@value #FILE_BYTES} bytes, big-endian):
 * <pre>
 *  0   4  magic "MCTK"
 *  4   1  format 0x01
 *  5   1  KDF 0x01 = PBKDF2-HMAC-SHA-256, 256-bit output
 *  6   4  iterations (u32, at least {@value #MIN_ITERATIONS})
 * 10  16  salt
 * 26  12  nonce
 * 38  48  AES-256-GCM(key = PBKDF2(password as UTF-8, salt, iterations), nonce,
 *         associated data = bytes 0..37) of the 32 bytes of K_trans, then the 16-byte tag
 * </pre>
 * Uses only the JDK, so a station can read it without the rest of MicroCert.
 */
public final class FactoryTransportKey {

    public static final int MIN_ITERATIONS = 100_000;
    public static final int DEFAULT_ITERATIONS = 600_000;
    static final int FILE_BYTES = 38 + 32 + 16;
    private static final byte[] MAGIC = "MCTK".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_BYTES = 38;

    private FactoryTransportKey() {
    }

    /**
     * Reads K_trans from an export file. The caller wipes the returned array once the key is loaded.
     *
     * @throws CardException {@code NOT_FOUND} (no file), {@code INVALID_ARGUMENT} (not an export
     *         file), {@code WRONG_SECRET} (wrong password, or the file was altered)
     */
    public static byte[] load(Path file, char[] password) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CardException(CardException.Reason.NOT_FOUND, "no transport key file at " + file);
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot read transport key file " + file, e);
        }
        ByteBuffer buf = ByteBuffer.wrap(all);
        if (all.length != FILE_BYTES || !Arrays.equals(all, 0, 4, MAGIC, 0, 4) || all[4] != 1 || all[5] != 1) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, file + " is not a MicroCert transport key file");
        }
        int iterations = buf.getInt(6);
        if (iterations < MIN_ITERATIONS) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, file + " uses too few KDF iterations");
        }
        byte[] salt = Arrays.copyOfRange(all, 10, 26);
        byte[] nonce = Arrays.copyOfRange(all, 26, 38);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, deriveKey(password, salt, iterations), new GCMParameterSpec(128, nonce));
            c.updateAAD(all, 0, HEADER_BYTES);
            return c.doFinal(all, HEADER_BYTES, all.length - HEADER_BYTES);
        } catch (AEADBadTagException e) {
            throw new CardException(CardException.Reason.WRONG_SECRET,
                    "transport key file " + file + " refused the password (or was altered)");
        } catch (GeneralSecurityException e) {
            throw new CardException(CardException.Reason.IO, "cannot decrypt transport key file " + file, e);
        }
    }

    /** Writes an export file; refuses to replace an existing file. */
    static void write(Path file, byte[] transportKey, char[] password, int iterations, SecureRandom random) {
        if (password.length == 0) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, "the export password is empty");
        }
        if (iterations < MIN_ITERATIONS) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT,
                    "at least " + MIN_ITERATIONS + " KDF iterations are required");
        }
        byte[] salt = new byte[16];
        byte[] nonce = new byte[12];
        random.nextBytes(salt);
        random.nextBytes(nonce);
        ByteBuffer out = ByteBuffer.allocate(FILE_BYTES);
        out.put(MAGIC).put((byte) 1).put((byte) 1).putInt(iterations).put(salt).put(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, deriveKey(password, salt, iterations), new GCMParameterSpec(128, nonce));
            c.updateAAD(out.array(), 0, HEADER_BYTES);
            out.put(c.doFinal(transportKey));
            Files.write(file, out.array(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (FileAlreadyExistsException e) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT, file + " already exists; not replacing it");
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot write transport key file " + file, e);
        } catch (GeneralSecurityException e) {
            throw new CardException(CardException.Reason.IO, "cannot encrypt the transport key", e);
        }
    }

    private static SecretKeySpec deriveKey(char[] password, byte[] salt, int iterations)
            throws GeneralSecurityException {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
        try {
            byte[] k = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            try {
                return new SecretKeySpec(k, "AES");
            } finally {
                Arrays.fill(k, (byte) 0);
            }
        } finally {
            spec.clearPassword();
        }
    }
}
