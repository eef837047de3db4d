package org.microcert.protocol;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * A key seed in transit from a sensor to the center. Wire form ({@value #ENCODED_LENGTH} bytes,
 * big-endian):
 * <pre>
 *  0   1  format (0x01)
 *  1   1  kind: 0x01 TRANSPORT, 0x02 UPDATE
 *  2   1  suite byte
 *  3   8  sensor id
 * 11   4  seed version (u32, >= 1) of the seed inside
 * 15  12  nonce
 * 27 999  ciphertext: the seed's serialised form (983 bytes) followed by the 16-byte GCM tag
 * </pre>
 * Bytes 0..14 are the header and the AEAD associated data, so an envelope cannot be replayed for
 * another sensor, version, suite or kind.
 * <ul>
 *   <li>{@link Kind#TRANSPORT}: first provisioning. AES-256-GCM under K_trans (32 bytes, loaded
 *       into the chip by the factory station) whatever the suite, so a PKCS#11 encryption card can
 *       open it: {@code Cipher "AES/GCM/NoPadding"}, {@code GCMParameterSpec(128, nonce())},
 *       {@code updateAAD(associatedData())}, {@code doFinal(ciphertext())}, then
 *       {@link #seedFromPlaintext(byte[])}. {@link #openTransport(Key, SeedEnvelope)} does exactly this.</li>
 *   <li>{@link Kind#UPDATE}: later seeds, under a key derived from the whole current seed (see
 *       {@link SeedUpdates}), so a leaked K_trans does not expose them.</li>
 * </ul>
 */
public final class SeedEnvelope {

    /** Why the seed travels. */
    public enum Kind {
        TRANSPORT(0x01), UPDATE(0x02);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        /** The kind byte on the wire. */
        public int code() {
            return code;
        }
    }

    public static final byte FORMAT = 0x01;
    public static final int HEADER_LENGTH = 15;
    public static final int NONCE_LENGTH = 12;
    public static final int CIPHERTEXT_LENGTH = KeySeed.ENCODED_LENGTH + CipherSuite.AEAD_TAG_LENGTH;
    public static final int ENCODED_LENGTH = HEADER_LENGTH + NONCE_LENGTH + CIPHERTEXT_LENGTH;
    /** Length of K_trans: an AES-256 key. */
    public static final int TRANSPORT_KEY_LENGTH = 32;

    private final Kind kind;
    private final SensorId sensorId;
    private final int seedVersion;
    private final CipherSuite suite;
    private final byte[] nonce;
    private final byte[] ciphertext;

    /**
     * @throws IllegalArgumentException if the version is below 1 or a length is wrong
     */
    public SeedEnvelope(Kind kind, SensorId sensorId, int seedVersion, CipherSuite suite, byte[] nonce,
                        byte[] ciphertext) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.sensorId = Objects.requireNonNull(sensorId, "sensorId");
        this.suite = Objects.requireNonNull(suite, "suite");
        KeySeed.checkVersion(seedVersion);
        this.seedVersion = seedVersion;
        if (nonce.length != NONCE_LENGTH || ciphertext.length != CIPHERTEXT_LENGTH) {
            throw new IllegalArgumentException("nonce must be " + NONCE_LENGTH + " and ciphertext " + CIPHERTEXT_LENGTH + " bytes");
        }
        this.nonce = nonce.clone();
        this.ciphertext = ciphertext.clone();
    }

    /** Decodes strictly: exact length, known format, kind and suite, version >= 1. */
    public static SeedEnvelope decode(byte[] bytes) throws MalformedEnvelopeException {
        if (bytes == null || bytes.length < ENCODED_LENGTH) {
            throw new MalformedEnvelopeException(Defect.TOO_SHORT, "seed envelope must be " + ENCODED_LENGTH
                    + " bytes, got " + (bytes == null ? "none" : bytes.length));
        }
        if (bytes.length > ENCODED_LENGTH) {
            throw new MalformedEnvelopeException(Defect.TOO_LONG,
                    "seed envelope must be " + ENCODED_LENGTH + " bytes, got " + bytes.length);
        }
        if (bytes[0] != FORMAT) {
            throw new MalformedEnvelopeException(Defect.UNKNOWN_VERSION,
                    "unknown seed envelope format 0x" + Integer.toHexString(bytes[0] & 0xff));
        }
        Kind kind = switch (bytes[1]) {
            case 0x01 -> Kind.TRANSPORT;
            case 0x02 -> Kind.UPDATE;
            default -> throw new MalformedEnvelopeException(Defect.UNKNOWN_KIND,
                    "unknown seed envelope kind 0x" + Integer.toHexString(bytes[1] & 0xff));
        };
        CipherSuite suite = CipherSuite.fromCode(bytes[2]).orElseThrow(() -> new MalformedEnvelopeException(
                Defect.UNKNOWN_SUITE, "unknown suite byte 0x" + Integer.toHexString(bytes[2] & 0xff)));
        int version = Bytes.getInt(bytes, 11);
        if (version < 1) {
            throw new MalformedEnvelopeException(Defect.BAD_FIELD,
                    "seed version must be >= 1, got " + Integer.toUnsignedString(version));
        }
        return new SeedEnvelope(kind, new SensorId(Bytes.getLong(bytes, 3)), version, suite,
                Arrays.copyOfRange(bytes, HEADER_LENGTH, HEADER_LENGTH + NONCE_LENGTH),
                Arrays.copyOfRange(bytes, HEADER_LENGTH + NONCE_LENGTH, ENCODED_LENGTH));
    }

    /** The wire form. */
    public byte[] encode() {
        byte[] out = new byte[ENCODED_LENGTH];
        System.arraycopy(associatedData(), 0, out, 0, HEADER_LENGTH);
        System.arraycopy(nonce, 0, out, HEADER_LENGTH, NONCE_LENGTH);
        System.arraycopy(ciphertext, 0, out, HEADER_LENGTH + NONCE_LENGTH, CIPHERTEXT_LENGTH);
        return out;
    }

    /** The 15-byte header: the AEAD associated data. */
    public byte[] associatedData() {
        return header(kind, sensorId, seedVersion, suite);
    }

    static byte[] header(Kind kind, SensorId sensorId, int seedVersion, CipherSuite suite) {
        byte[] h = new byte[HEADER_LENGTH];
        h[0] = FORMAT;
        h[1] = (byte) kind.code();
        h[2] = suite.code();
        Bytes.putLong(h, 3, sensorId.value());
        Bytes.putInt(h, 11, seedVersion);
        return h;
    }

    public Kind kind() {
        return kind;
    }

    public SensorId sensorId() {
        return sensorId;
    }

    /** The version of the seed inside. */
    public int seedVersion() {
        return seedVersion;
    }

    public CipherSuite suite() {
        return suite;
    }

    /** The 12-byte GCM nonce (a copy). */
    public byte[] nonce() {
        return nonce.clone();
    }

    /** The ciphertext with the 16-byte GCM tag appended (a copy). */
    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    /**
     * Seals {@code seed} for first provisioning under K_trans (AES-256-GCM, random nonce). The
     * device side; also used by factory tooling and tests.
     *
     * @param transportKey the 32 raw bytes of K_trans
     */
    public static SeedEnvelope sealTransport(byte[] transportKey, SensorId sensorId, CipherSuite suite, KeySeed seed,
                                             SecureRandom random) {
        if (transportKey.length != TRANSPORT_KEY_LENGTH) {
            throw new IllegalArgumentException("K_trans must be " + TRANSPORT_KEY_LENGTH + " bytes");
        }
        byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        byte[] header = header(Kind.TRANSPORT, sensorId, seed.version(), suite);
        GCMModeCipher gcm = GCMBlockCipher.newInstance(AESEngine.newInstance());
        gcm.init(true, new AEADParameters(new KeyParameter(transportKey), 128, nonce, header));
        return new SeedEnvelope(Kind.TRANSPORT, sensorId, seed.version(), suite, nonce, seal(gcm, seed));
    }

    /**
     * Opens a TRANSPORT envelope with K_trans through JCE ({@code AES/GCM/NoPadding}); the provider
     * is chosen by the key, so a PKCS#11 token key works as well as a {@code SecretKeySpec}.
     */
    public static KeySeed openTransport(Key transportKey, SeedEnvelope envelope) throws VerificationException {
        if (envelope.kind != Kind.TRANSPORT) {
            throw new VerificationException(RejectReason.WRONG_TYPE, "expected a TRANSPORT envelope, got " + envelope.kind);
        }
        byte[] plaintext;
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, transportKey, new GCMParameterSpec(128, envelope.nonce));
            cipher.updateAAD(envelope.associatedData());
            plaintext = cipher.doFinal(envelope.ciphertext);
        } catch (GeneralSecurityException e) {
            throw new VerificationException(RejectReason.BAD_TAG, "TRANSPORT envelope failed authentication under K_trans");
        }
        return envelope.seedFromPlaintext(plaintext);
    }

    /**
     * Parses the decrypted plaintext into the seed, checks that its version matches the header,
     * and wipes {@code plaintext}.
     */
    public KeySeed seedFromPlaintext(byte[] plaintext) throws VerificationException {
        try {
            KeySeed seed = KeySeed.fromBytes(plaintext);
            if (seed.version() != seedVersion) {
                seed.destroy();
                throw new VerificationException(RejectReason.WRONG_SEED_VERSION, "envelope header says seed version "
                        + seedVersion + " but the seed inside is version " + seed.version());
            }
            return seed;
        } catch (MalformedSeedException e) {
            throw new VerificationException(RejectReason.MALFORMED, "envelope plaintext: " + e.getMessage());
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /** GCM-encrypts the seed's serialised form with an initialised cipher; wipes the plaintext copy. */
    static byte[] seal(GCMModeCipher gcm, KeySeed seed) {
        byte[] plain = seed.toBytes();
        byte[] out = new byte[CIPHERTEXT_LENGTH];
        try {
            int n = gcm.processBytes(plain, 0, plain.length, out, 0);
            gcm.doFinal(out, n);
            return out;
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("GCM encryption cannot fail", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** GCM-decrypts the ciphertext with an initialised cipher; BAD_TAG on failure. */
    byte[] open(GCMModeCipher gcm) throws VerificationException {
        byte[] out = new byte[KeySeed.ENCODED_LENGTH];
        try {
            int n = gcm.processBytes(ciphertext, 0, ciphertext.length, out, 0);
            gcm.doFinal(out, n);
            return out;
        } catch (InvalidCipherTextException e) {
            Arrays.fill(out, (byte) 0);
            throw new VerificationException(RejectReason.BAD_TAG, kind + " envelope failed authentication");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeedEnvelope e && kind == e.kind && sensorId.equals(e.sensorId)
                && seedVersion == e.seedVersion && suite == e.suite && Arrays.equals(nonce, e.nonce)
                && Arrays.equals(ciphertext, e.ciphertext);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, sensorId, seedVersion, suite, Arrays.hashCode(ciphertext));
    }

    @Override
    public String toString() {
        return "SeedEnvelope[" + kind + ", sensor=" + sensorId + ", seedVersion=" + seedVersion + ", suite=" + suite + "]";
    }
}
