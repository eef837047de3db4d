package org.microcert.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * The factory export of K_trans ("MCTK"): the 32 key bytes wrapped under a password, made by the
 * key ceremony and read by the factory station that loads K_trans into sensor chips. The one
 * reader and writer of the format; the callers do the file I/O. {@value #FILE_BYTES} bytes,
 * big-endian:
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
 * JDK primitives only.
 */
public final class TransportKeyExport {

    public static final int MIN_ITERATIONS = 100_000;
    public static final int DEFAULT_ITERATIONS = 600_000;
    public static final int FILE_BYTES = 38 + 32 + 16;
    private static final int HEADER_BYTES = 38;
    private static final byte[] MAGIC = "MCTK".getBytes(StandardCharsets.US_ASCII);

    /** Why an export was refused; the message never holds the password or the key. */
    public static final class RefusedException extends RuntimeException {
        /** What was wrong. */
        public enum Reason { NOT_AN_EXPORT, TOO_FEW_ITERATIONS, WRONG_PASSWORD }

        private final Reason reason;

        RefusedException(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    private TransportKeyExport() {
    }

    /**
     * Opens an export.
     *
     * @return the 32 bytes of K_trans; the caller wipes them
     * @throws RefusedException {@code NOT_AN_EXPORT} (length, magic, format or KDF),
     *         {@code TOO_FEW_ITERATIONS}, {@code WRONG_PASSWORD} (or the bytes were altered)
     */
    public static byte[] open(byte[] export, Secret password) {
        if (export.length != FILE_BYTES || !Arrays.equals(export, 0, 4, MAGIC, 0, 4) || export[4] != 1 || export[5] != 1) {
            throw new RefusedException(RefusedException.Reason.NOT_AN_EXPORT, "is not a MicroCert transport key export");
        }
        int iterations = ByteBuffer.wrap(export).getInt(6);
        if (iterations < MIN_ITERATIONS) {
            throw new RefusedException(RefusedException.Reason.TOO_FEW_ITERATIONS,
                    "uses too few KDF iterations (" + Integer.toUnsignedString(iterations) + ")");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, kek(password, Arrays.copyOfRange(export, 10, 26), iterations),
                    new GCMParameterSpec(128, Arrays.copyOfRange(export, 26, HEADER_BYTES)));
            c.updateAAD(export, 0, HEADER_BYTES);
            return c.doFinal(export, HEADER_BYTES, export.length - HEADER_BYTES);
        } catch (AEADBadTagException e) {
            throw new RefusedException(RefusedException.Reason.WRONG_PASSWORD, "refused the password (or was altered)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks AES-GCM or PBKDF2: " + e.getClass().getSimpleName());
        }
    }

    /**
     * Makes an export of {@code transportKey} (32 bytes; stays the caller's to wipe).
     *
     * @throws IllegalArgumentException an empty password or fewer than {@value #MIN_ITERATIONS} iterations
     */
    public static byte[] seal(byte[] transportKey, Secret password, int iterations, SecureRandom random) {
        if (password.isEmpty()) {
            throw new IllegalArgumentException("the export password is empty");
        }
        if (iterations < MIN_ITERATIONS) {
            throw new IllegalArgumentException("at least " + MIN_ITERATIONS + " KDF iterations are required");
        }
        byte[] salt = new byte[16];
        byte[] nonce = new byte[12];
        random.nextBytes(salt);
        random.nextBytes(nonce);
        ByteBuffer out = ByteBuffer.allocate(FILE_BYTES);
        out.put(MAGIC).put((byte) 1).put((byte) 1).putInt(iterations).put(salt).put(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, kek(password, salt, iterations), new GCMParameterSpec(128, nonce));
            c.updateAAD(out.array(), 0, HEADER_BYTES);
            out.put(c.doFinal(transportKey));
            return out.array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks AES-GCM or PBKDF2: " + e.getClass().getSimpleName());
        }
    }

    private static SecretKeySpec kek(Secret password, byte[] salt, int iterations) {
        return password.withChars(chars -> {
            PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, 256);
            byte[] k = null;
            try {
                k = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
                return new SecretKeySpec(k, "AES");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK lacks PBKDF2WithHmacSHA256");
            } finally {
                spec.clearPassword();
                if (k != null) {
                    Arrays.fill(k, (byte) 0);
                }
            }
        });
    }
}
