package org.microcert.protocol;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Objects;

/**
 * The center's outbound side: COMMAND certificates (seed-update and revoke orders) and ENC_DOWN
 * payloads for one sensor, made from that sensor's key seed, suite and the current time. The
 * 64-bit random of each certificate comes from the {@link SecureRandom} given at construction.
 * Thread-safe if the SecureRandom is (the JDK's are).
 */
public final class CenterIssuer {

    private final SecureRandom random;

    /** An issuer drawing randoms from a fresh {@link KeySeed#newDrbg() DRBG}. */
    public CenterIssuer() {
        this(KeySeed.newDrbg());
    }

    public CenterIssuer(SecureRandom random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * A COMMAND certificate carrying {@code order} to {@code sensor}.
     *
     * @throws SeedExpiredException if {@code now} is outside the seed's years (a revoke order can
     *                              then not be authenticated either: the sensor's seed is dead)
     */
    public MicroCertificate issueCommand(KeySeed seed, CipherSuite suite, SensorId sensor, CommandOrder order,
                                         Instant now) throws SeedExpiredException {
        return Certificates.tagged(seed, CertificateType.COMMAND, suite, sensor, now.getEpochSecond(),
                random.nextLong(), order.toBytes(), null);
    }

    /** An ENC_DOWN certificate carrying {@code plaintext} (at most {@link MicroCertificate#MAX_PAYLOAD} bytes) to {@code sensor}. */
    public MicroCertificate encryptPayload(KeySeed seed, CipherSuite suite, SensorId sensor, byte[] plaintext,
                                           Instant now) throws SeedExpiredException {
        return Certificates.encrypted(seed, CertificateType.ENC_DOWN, suite, sensor, now.getEpochSecond(),
                random.nextLong(), plaintext);
    }
}
