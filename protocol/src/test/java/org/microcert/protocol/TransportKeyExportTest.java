package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.microcert.protocol.TransportKeyExport.RefusedException.Reason;

class TransportKeyExportTest {

    static final SecureRandom RANDOM = new SecureRandom();

    static Reason refused(byte[] export, String password) {
        try (Secret s = Secret.ofChars(password.toCharArray())) {
            TransportKeyExport.RefusedException e = assertThrows(TransportKeyExport.RefusedException.class,
                    () -> TransportKeyExport.open(export, s));
            assertFalse(e.getMessage().contains(password), e.getMessage());
            return e.reason();
        }
    }

    @Test
    void opensWhatItSealsAndRefusesAWrongPasswordAnAlteredByteAndAForeignFile() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        byte[] export;
        try (Secret pw = Secret.ofChars("factory-pw".toCharArray())) {
            export = TransportKeyExport.seal(key, pw, TransportKeyExport.MIN_ITERATIONS, RANDOM);
            assertEquals(TransportKeyExport.FILE_BYTES, export.length);
            assertArrayEquals(key, TransportKeyExport.open(export, pw));
        }
        assertEquals(Reason.WRONG_PASSWORD, refused(export, "other-pw"));
        for (int i : new int[] {9, 12, 30, 40, 85}) { // iterations, salt, nonce, ciphertext, tag
            byte[] altered = export.clone();
            altered[i] ^= 1;
            assertEquals(Reason.WRONG_PASSWORD, refused(altered, "factory-pw")); // the header is associated data
        }
        assertEquals(Reason.NOT_AN_EXPORT, refused(Arrays.copyOf(export, 85), "factory-pw"));
        byte[] weak = export.clone();
        weak[6] = 0; weak[7] = 0; weak[8] = 0; weak[9] = 1;
        assertEquals(Reason.TOO_FEW_ITERATIONS, refused(weak, "factory-pw"));
    }
}
