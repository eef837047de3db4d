package org.microcert.simulator.fleet;

import java.security.SecureRandom;
import org.microcert.protocol.CertificateType;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorId;
import org.microcert.simulator.traffic.Device;

/**
 * A sensor whose seed's five years are over. Its chip refuses to derive keys for this year, so what
 * it sends is what buggy or tampered firmware would: well-formed certificates of the current time
 * with a tag it cannot compute. The center must refuse them as SEED_EXPIRED.
 */
final class ExpiredSeedDevice implements Device {

    private final SensorId id;
    private final CipherSuite suite;
    private final SecureRandom random;

    ExpiredSeedDevice(SensorId id, CipherSuite suite, SecureRandom random) {
        this.id = id;
        this.suite = suite;
        this.random = random;
    }

    @Override
    public String sensorId() {
        return id.toString();
    }

    @Override
    public byte[] authenticate(long epochSecond) {
        byte[] tag = new byte[CipherSuite.TAG_LENGTH];
        random.nextBytes(tag);
        return new MicroCertificate(CertificateType.AUTH, suite, id, epochSecond, random.nextLong(), new byte[0], tag)
                .encode();
    }

    @Override
    public byte[] sign(long epochSecond, byte[] data) {
        throw new UnsupportedOperationException("expired-seed traffic is authenticate only");
    }

    @Override
    public byte[] encrypt(long epochSecond, byte[] plaintext) {
        throw new UnsupportedOperationException("expired-seed traffic is authenticate only");
    }
}
