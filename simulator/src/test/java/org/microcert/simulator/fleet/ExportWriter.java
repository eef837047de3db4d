package org.microcert.simulator.fleet;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/** Test helper: writes a K_trans export in the documented "MCTK" format, written apart from protocol's TransportKeyExport so the reader is checked against the format, not against itself. */
public final class ExportWriter {

    private ExportWriter() {}

    public static void write(Path file, byte[] kTrans, char[] password) throws Exception {
        SecureRandom rnd = new SecureRandom();
        byte[] salt = new byte[16];
        byte[] nonce = new byte[12];
        rnd.nextBytes(salt);
        rnd.nextBytes(nonce);
        int iterations = 100_000;
        ByteBuffer out = ByteBuffer.allocate(38 + 48);
        out.put("MCTK".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 1).putInt(iterations).put(salt)
                .put(nonce);
        byte[] kek = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(password, salt, iterations, 256)).getEncoded();
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, nonce));
        c.updateAAD(out.array(), 0, 38);
        out.put(c.doFinal(kTrans));
        Files.write(file, out.array());
    }
}
