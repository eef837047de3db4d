package org.microcert.protocol;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * The center's side of the protocol: verifies AUTH and SIGN certificates and opens ENC_UP
 * payloads, given the sensor's key seed and the current time. Every method returns normally only
 * for a genuine, fresh certificate and otherwise throws {@link VerificationException} with a
 * {@link RejectReason}; the tag comparison is constant-time.
 *
 * <p>Checks, in order: type, suite accepted, timestamp within {@code now ± maxSkew}, seed covers
 * the timestamp's year, tag. Replay tracking is the caller's (the cluster's): after a successful
 * verification it records ({@code sensorId}, {@code timestamp}, {@code random}) for at least
 * {@code 2 * maxSkew} and rejects repeats. The caller also routes the certificate to the seed of
 * {@link MicroCertificate#sensorId()}; a certificate checked against another sensor's seed fails
 * with BAD_TAG because the sensor id is a CSK input.
 *
 * <p>Immutable and thread-safe.
 */
public final class CertificateVerifier {

    /** The clock skew window used by {@link #CertificateVerifier()}. */
    public static final Duration DEFAULT_MAX_SKEW = Duration.ofMinutes(5);

    private final long maxSkewSeconds;
    private final Set<CipherSuite> acceptedSuites;

    /** A verifier with {@link #DEFAULT_MAX_SKEW} accepting both suites. */
    public CertificateVerifier() {
        this(DEFAULT_MAX_SKEW, EnumSet.allOf(CipherSuite.class));
    }

    /** A verifier with the given skew window accepting both suites. */
    public CertificateVerifier(Duration maxSkew) {
        this(maxSkew, EnumSet.allOf(CipherSuite.class));
    }

    /**
     * @param maxSkew        how far a certificate's timestamp may be from {@code now}, either way
     * @param acceptedSuites suites accepted; others are rejected with UNSUPPORTED_SUITE
     */
    public CertificateVerifier(Duration maxSkew, Set<CipherSuite> acceptedSuites) {
        if (maxSkew.isNegative()) {
            throw new IllegalArgumentException("maxSkew must not be negative");
        }
        this.maxSkewSeconds = Math.min(maxSkew.getSeconds(), CskDerivation.MAX_TIMESTAMP); // any wider window means "no limit"
        this.acceptedSuites = acceptedSuites.isEmpty() ? Set.of() : EnumSet.copyOf(acceptedSuites);
    }

    /** The skew window. */
    public Duration maxSkew() {
        return Duration.ofSeconds(maxSkewSeconds);
    }

    /** Verifies an AUTH certificate. */
    public void verifyAuth(KeySeed seed, MicroCertificate cert, Instant now) throws VerificationException {
        checkEnvelope(cert, CertificateType.AUTH, now);
        checkTag(seed, cert, null);
    }

    /** Decodes and verifies an AUTH certificate; malformed bytes give MALFORMED or UNSUPPORTED_SUITE. */
    public MicroCertificate verifyAuth(KeySeed seed, byte[] cert, Instant now) throws VerificationException {
        MicroCertificate c = decode(cert);
        verifyAuth(seed, c, now);
        return c;
    }

    /** Verifies a SIGN certificate over {@code data}. */
    public void verifySign(KeySeed seed, MicroCertificate cert, byte[] data, Instant now) throws VerificationException {
        Objects.requireNonNull(data, "data");
        checkEnvelope(cert, CertificateType.SIGN, now);
        checkTag(seed, cert, signDigest(cert.suite(), data));
    }

    /**
     * Verifies a SIGN certificate over its data given only the data's digest ({@link #signDigest}),
     * so that the data can be hashed where it arrived and just these 32 bytes travel to the holder
     * of the seed. A digest of another length (or none) is MALFORMED.
     */
    public void verifySignDigest(KeySeed seed, MicroCertificate cert, byte[] digest, Instant now)
            throws VerificationException {
        if (digest == null || digest.length != CipherSuite.DIGEST_LENGTH) {
            throw new VerificationException(RejectReason.MALFORMED, "the data digest must be "
                    + CipherSuite.DIGEST_LENGTH + " bytes, got " + (digest == null ? "none" : digest.length));
        }
        checkEnvelope(cert, CertificateType.SIGN, now);
        checkTag(seed, cert, digest);
    }

    /**
     * The digest a SIGN certificate of {@code suite} tags (after the header): SHA-256 of the data for
     * AES128, SM3 for SM4. Not secret.
     */
    public static byte[] signDigest(CipherSuite suite, byte[] data) {
        return Engines.of(suite).digest(Objects.requireNonNull(data, "data"));
    }

    /** Decodes and verifies a SIGN certificate over {@code data}. */
    public MicroCertificate verifySign(KeySeed seed, byte[] cert, byte[] data, Instant now) throws VerificationException {
        MicroCertificate c = decode(cert);
        verifySign(seed, c, data, now);
        return c;
    }

    /** Verifies an ENC_UP certificate and returns its plaintext (a fresh array). */
    public byte[] decryptPayload(KeySeed seed, MicroCertificate cert, Instant now) throws VerificationException {
        checkEnvelope(cert, CertificateType.ENC_UP, now);
        try {
            return Certificates.decrypted(seed, cert);
        } catch (SeedExpiredException e) {
            throw expired(e);
        }
    }

    /** Decodes, verifies and decrypts an ENC_UP certificate. */
    public byte[] decryptPayload(KeySeed seed, byte[] cert, Instant now) throws VerificationException {
        return decryptPayload(seed, decode(cert), now);
    }

    /** {@code signedDigest}: for SIGN the data's digest, else null. */
    private static void checkTag(KeySeed seed, MicroCertificate cert, byte[] signedDigest) throws VerificationException {
        boolean ok;
        try {
            ok = Certificates.tagMatches(seed, cert, signedDigest);
        } catch (SeedExpiredException e) {
            throw expired(e);
        }
        if (!ok) {
            throw new VerificationException(RejectReason.BAD_TAG, cert.type() + " tag does not match");
        }
    }

    private void checkEnvelope(MicroCertificate cert, CertificateType type, Instant now) throws VerificationException {
        if (cert.type() != type) {
            throw new VerificationException(RejectReason.WRONG_TYPE, "expected " + type + ", got " + cert.type());
        }
        if (!acceptedSuites.contains(cert.suite())) {
            throw new VerificationException(RejectReason.UNSUPPORTED_SUITE, "suite " + cert.suite() + " not accepted");
        }
        checkFreshness(cert.timestamp(), now, maxSkewSeconds);
    }

    /** Rejects a timestamp outside {@code now ± maxSkewSeconds}. Shared with {@link SensorChip}. */
    static void checkFreshness(long timestamp, Instant now, long maxSkewSeconds) throws VerificationException {
        long nowSeconds = now.getEpochSecond();
        if (timestamp < nowSeconds - maxSkewSeconds) {
            throw new VerificationException(RejectReason.STALE_TIMESTAMP,
                    "timestamp " + timestamp + " is " + (nowSeconds - timestamp) + " s old, window " + maxSkewSeconds + " s");
        }
        if (timestamp > nowSeconds + maxSkewSeconds) {
            throw new VerificationException(RejectReason.FUTURE_TIMESTAMP,
                    "timestamp " + timestamp + " is " + (timestamp - nowSeconds) + " s ahead, window " + maxSkewSeconds + " s");
        }
    }

    static VerificationException expired(SeedExpiredException e) {
        return new VerificationException(RejectReason.SEED_EXPIRED, e.getMessage());
    }

    /** Maps decoding failures onto reject reasons. */
    static MicroCertificate decode(byte[] cert) throws VerificationException {
        try {
            return MicroCertificate.decode(cert);
        } catch (MalformedCertificateException e) {
            throw new VerificationException(e.reason() == Defect.UNKNOWN_SUITE ? RejectReason.UNSUPPORTED_SUITE
                    : RejectReason.MALFORMED, e.getMessage());
        }
    }
}
