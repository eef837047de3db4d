package org.microcert.protocol;

import java.security.MessageDigest;
import java.util.Arrays;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The tag and AEAD computations shared by the device ({@link SensorChip}) and the center
 * ({@link CertificateVerifier}, {@link CenterIssuer}). Randomness and clocks are the callers'; this
 * class is deterministic, which is what the test vectors exercise.
 */
final class Certificates {

    private Certificates() {
    }

    /** A MAC-tagged certificate (AUTH, SIGN, COMMAND). {@code body} is the COMMAND order or empty. */
    static MicroCertificate tagged(KeySeed seed, CertificateType type, CipherSuite suite, SensorId sensor,
                                   long timestamp, long random, byte[] body, byte[] signedData)
            throws SeedExpiredException {
        Engines e = Engines.of(suite);
        byte[] tag = new byte[suite.tagLength()];
        computeTag(e, seed, type, sensor, timestamp, random, body,
                type == CertificateType.SIGN ? e.digest(signedData) : null);
        System.arraycopy(e.mac, 0, tag, 0, tag.length);
        Engines.wipe(e.mac);
        return new MicroCertificate(type, suite, sensor, timestamp, random, body, tag);
    }

    /**
     * Recomputes and compares the tag in constant time. {@code signedDigest}: for SIGN the
     * {@link CipherSuite#DIGEST_LENGTH}-byte digest of the signed data ({@link Engines#digest}), else unused.
     */
    static boolean tagMatches(KeySeed seed, MicroCertificate cert, byte[] signedDigest) throws SeedExpiredException {
        Engines e = Engines.of(cert.suite());
        computeTag(e, seed, cert.type(), cert.sensorId(), cert.timestamp(), cert.random(), cert.bodyUnsafe(),
                signedDigest);
        byte[] expected = e.expectedTag;
        System.arraycopy(e.mac, 0, expected, 0, expected.length);
        Engines.wipe(e.mac);
        boolean equal = MessageDigest.isEqual(expected, cert.tagUnsafe());
        Engines.wipe(expected);
        return equal;
    }

    /** e.mac = CMAC_K(header || body-or-digest) with K = CSK(type's purpose). */
    private static void computeTag(Engines e, KeySeed seed, CertificateType type, SensorId sensor, long timestamp,
                                   long random, byte[] body, byte[] signedDigest) throws SeedExpiredException {
        byte[] in = e.macInput;
        MicroCertificate.writeHeader(type, e.suite, sensor, timestamp, random, in);
        int len = MicroCertificate.HEADER_LENGTH;
        if (type == CertificateType.SIGN) {
            System.arraycopy(signedDigest, 0, in, len, CipherSuite.DIGEST_LENGTH);
            len += CipherSuite.DIGEST_LENGTH;
        } else {
            System.arraycopy(body, 0, in, len, body.length);
            len += body.length;
        }
        try {
            CskDerivation.deriveInto(e, seed, type.purpose(), sensor, timestamp, random, e.key);
            e.cmac(e.key, in, 0, len, e.mac);
        } finally {
            Engines.wipe(e.key);
        }
    }

    /** An ENC_UP or ENC_DOWN certificate carrying {@code plaintext} under GCM with K_enc. */
    static MicroCertificate encrypted(KeySeed seed, CertificateType type, CipherSuite suite, SensorId sensor,
                                      long timestamp, long random, byte[] plaintext) throws SeedExpiredException {
        if (plaintext.length > MicroCertificate.MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload above " + MicroCertificate.MAX_PAYLOAD + " bytes");
        }
        byte[] header = new byte[MicroCertificate.HEADER_LENGTH];
        MicroCertificate.writeHeader(type, suite, sensor, timestamp, random, header);
        GCMModeCipher gcm = gcm(true, seed, type, suite, sensor, timestamp, random, header);
        byte[] out = new byte[gcm.getOutputSize(plaintext.length)];
        int n = gcm.processBytes(plaintext, 0, plaintext.length, out, 0);
        try {
            gcm.doFinal(out, n);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("GCM encryption cannot fail", e);
        }
        int ctLength = out.length - CipherSuite.AEAD_TAG_LENGTH;
        return new MicroCertificate(type, suite, sensor, timestamp, random, Arrays.copyOf(out, ctLength),
                Arrays.copyOfRange(out, ctLength, out.length));
    }

    /** The plaintext of an ENC_* certificate, or empty-handed with BAD_TAG. */
    static byte[] decrypted(KeySeed seed, MicroCertificate cert) throws SeedExpiredException, VerificationException {
        GCMModeCipher gcm = gcm(false, seed, cert.type(), cert.suite(), cert.sensorId(), cert.timestamp(),
                cert.random(), cert.header());
        byte[] ct = cert.bodyUnsafe();
        byte[] tag = cert.tagUnsafe();
        byte[] out = new byte[ct.length];
        try {
            int n = gcm.processBytes(ct, 0, ct.length, out, 0);
            n += gcm.processBytes(tag, 0, tag.length, out, n);
            gcm.doFinal(out, n);
            return out;
        } catch (InvalidCipherTextException e) {
            Engines.wipe(out);
            throw new VerificationException(RejectReason.BAD_TAG, cert.type() + " payload failed authentication");
        }
    }

    private static GCMModeCipher gcm(boolean encrypt, KeySeed seed, CertificateType type, CipherSuite suite,
                                     SensorId sensor, long timestamp, long random, byte[] header)
            throws SeedExpiredException {
        byte[] nonce = new byte[12];
        Bytes.putLong(nonce, 0, random);
        Bytes.putInt(nonce, 8, (int) timestamp);
        byte[] key = CskDerivation.derive(seed, suite, type.purpose(), sensor, timestamp, random);
        try {
            GCMModeCipher gcm = GCMBlockCipher.newInstance(suite.newBlockCipher());
            gcm.init(encrypt, new AEADParameters(new KeyParameter(key), CipherSuite.AEAD_TAG_LENGTH * 8, nonce, header));
            return gcm;
        } finally {
            Engines.wipe(key);
        }
    }
}
