package org.microcert.protocol;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * UPDATE envelopes: a new seed sent by the sensor under a key derived from its whole current seed,
 * so that one leaked K_trans does not expose every later seed.
 *
 * <p>K_upd = leftmost 16 bytes of H(0x00000001 || Z || FixedInfo), the SP 800-56C one-step KDF
 * with the suite's hash H (SHA-256 or SM3), where Z is the current seed's serialised form
 * ({@link KeySeed#toBytes()}, 983 bytes) and FixedInfo is the ASCII label
 * {@code "MicroCert seed update"} followed by the envelope's 15-byte header. The seed is then
 * sealed with the suite's GCM (AES-128-GCM or SM4-GCM), random 12-byte nonce, header as associated data.
 */
public final class SeedUpdates {

    private static final byte[] LABEL = "MicroCert seed update".getBytes(StandardCharsets.US_ASCII);

    private SeedUpdates() {
    }

    /**
     * Seals {@code next} for the center. The device side.
     *
     * @throws IllegalArgumentException unless {@code next.version() == current.version() + 1}
     */
    public static SeedEnvelope seal(KeySeed current, SensorId sensorId, CipherSuite suite, KeySeed next,
                                    SecureRandom random) {
        if (next.version() != current.version() + 1) {
            throw new IllegalArgumentException("the next seed must have version " + (current.version() + 1));
        }
        byte[] nonce = new byte[SeedEnvelope.NONCE_LENGTH];
        random.nextBytes(nonce);
        byte[] header = SeedEnvelope.header(SeedEnvelope.Kind.UPDATE, sensorId, next.version(), suite);
        GCMModeCipher gcm = gcm(true, current, suite, header, nonce);
        return new SeedEnvelope(SeedEnvelope.Kind.UPDATE, sensorId, next.version(), suite, nonce,
                SeedEnvelope.seal(gcm, next));
    }

    /**
     * Opens an UPDATE envelope with the sensor's current seed. The caller destroys both seeds when
     * done with them.
     *
     * @throws VerificationException WRONG_TYPE for a TRANSPORT envelope, WRONG_SEED_VERSION unless
     *                               the envelope carries version {@code current.version() + 1},
     *                               BAD_TAG if it was not sealed under this seed for this header
     */
    public static KeySeed open(KeySeed current, SeedEnvelope envelope) throws VerificationException {
        if (envelope.kind() != SeedEnvelope.Kind.UPDATE) {
            throw new VerificationException(RejectReason.WRONG_TYPE, "expected an UPDATE envelope, got " + envelope.kind());
        }
        if (envelope.seedVersion() != current.version() + 1) {
            throw new VerificationException(RejectReason.WRONG_SEED_VERSION, "update carries seed version "
                    + envelope.seedVersion() + ", expected " + (current.version() + 1));
        }
        GCMModeCipher gcm = gcm(false, current, envelope.suite(), envelope.associatedData(), envelope.nonce());
        return envelope.seedFromPlaintext(envelope.open(gcm));
    }

    private static GCMModeCipher gcm(boolean encrypt, KeySeed current, CipherSuite suite, byte[] header, byte[] nonce) {
        byte[] key = updateKey(current, suite, header);
        try {
            GCMModeCipher gcm = GCMBlockCipher.newInstance(suite.newBlockCipher());
            gcm.init(encrypt, new AEADParameters(new KeyParameter(key), 128, nonce, header));
            return gcm;
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** K_upd for an envelope header (package-private for the test vectors). */
    static byte[] updateKey(KeySeed current, CipherSuite suite, byte[] header) {
        Digest h = suite.newDigest();
        byte[] z = current.toBytes();
        byte[] out = new byte[CipherSuite.DIGEST_LENGTH];
        try {
            h.update(new byte[] {0, 0, 0, 1}, 0, 4);
            h.update(z, 0, z.length);
            h.update(LABEL, 0, LABEL.length);
            h.update(header, 0, header.length);
            h.doFinal(out, 0);
            return Arrays.copyOf(out, 16);
        } finally {
            Arrays.fill(z, (byte) 0);
            Arrays.fill(out, (byte) 0);
        }
    }
}
