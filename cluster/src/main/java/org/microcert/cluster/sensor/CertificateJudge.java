package org.microcert.cluster.sensor;

import java.time.Instant;
import java.util.List;
import org.microcert.cluster.replay.ReplayGuard;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.sensor.DownlinkState;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CertificateType;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.MalformedCertificateException;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.RejectReason;
import org.microcert.protocol.SensorId;
import org.microcert.protocol.VerificationException;
import org.slf4j.Logger;

/**
 * Judges one device certificate against a sensor's state: decodes it, checks it names this sensor,
 * type and suite, verifies its tag (or signature, or decrypts it) with the sensor's seed, then asks
 * the replay guard. No actor and no journal: the entity persists the {@link Reservation} a verdict
 * may need and answers.
 */
final class CertificateJudge {

    /**
     * A replay reservation to journal up to {@code until} (epoch seconds): {@code beforeAnswer} when
     * the timestamp lies beyond the durable reservation (the answer waits for the write), else
     * behind the answer. {@code talksAgain}: the sensor was heard more than once in this incarnation.
     */
    record Reservation(long until, boolean beforeAnswer, boolean talksAgain) {}

    /**
     * The verdict, and the reservation to persist for it (null: none; always null when rejected).
     * {@code completes}: the offered seed of a pending update under which the certificate verified
     * (the entity completes the update with it), else null.
     */
    record Judgement(Verdict verdict, Reservation reservation, DownlinkState.SeedCandidate completes) {
        Judgement(Verdict verdict, Reservation reservation) {
            this(verdict, reservation, null);
        }
    }

    private final SensorId sensorId;
    private final String id;
    private final CertificateVerifier verifier;
    private final OpenSeed seeds;
    private final Logger log;

    CertificateJudge(SensorId sensorId, CertificateVerifier verifier, OpenSeed seeds, Logger log) {
        this.sensorId = sensorId;
        this.id = sensorId.toString();
        this.verifier = verifier;
        this.seeds = seeds;
        this.log = log;
    }

    /**
     * @param dataDigest    for SIGN, the digest of the signed data; else ignored
     * @param guard         the incarnation's replay guard; it records the pair when it accepts
     * @param reservedUntil the reservation durable now (epoch seconds)
     * @param now           the node's clock
     */
    Judgement judge(SensorRecord state, byte[] bytes, byte[] dataDigest, CertificateType expected,
                    ReplayGuard guard, long reservedUntil, Instant now) {
        long nowSeconds = now.getEpochSecond();
        if (state.status() == SensorRecord.Status.NOT_PROVISIONED) {
            return rejected(VerdictReason.UNKNOWN_SENSOR, "sensor " + id + " is not provisioned", nowSeconds);
        }
        if (state.status() == SensorRecord.Status.REVOKED) {
            return rejected(VerdictReason.REVOKED, "sensor " + id + " is revoked", nowSeconds);
        }
        MicroCertificate cert;
        try {
            cert = MicroCertificate.decode(bytes);
        } catch (MalformedCertificateException e) {
            return rejected(VerdictReason.of(e), e.getMessage(), nowSeconds);
        }
        if (!cert.sensorId().equals(sensorId)) {
            return rejected(VerdictReason.WRONG_SENSOR, "certificate names sensor " + cert.sensorId(), nowSeconds);
        }
        if (cert.type() != expected) {
            return rejected(VerdictReason.WRONG_TYPE, "expected a " + expected + " certificate, got " + cert.type(),
                    nowSeconds);
        }
        if (cert.suite() != state.seed().suite()) {
            return rejected(VerdictReason.UNSUPPORTED_SUITE, "sensor " + id + " is provisioned for " + state.seed().suite(),
                    nowSeconds);
        }
        byte[] plaintext = null;
        DownlinkState.SeedCandidate completes = null;
        KeySeed seed = null;
        try {
            seed = seeds.acquire(state.seed());
            switch (expected) {
                case AUTH -> verifier.verifyAuth(seed, cert, now);
                case SIGN -> verifier.verifySignDigest(seed, cert, dataDigest, now);
                case ENC_UP -> plaintext = verifier.decryptPayload(seed, cert, now);
                default -> throw new IllegalStateException("not a device certificate type: " + expected);
            }
        } catch (VerificationException e) {
            if (e.reason() != RejectReason.BAD_TAG || state.downlink().candidates().isEmpty()) {
                return rejected(VerdictReason.of(e.reason()), e.getMessage(), nowSeconds);
            }
            // the second phase of a seed update: the sensor may already use a seed it offered
            Offered offered = underOffered(state, cert, dataDigest, expected, now);
            if (offered == null) {
                return rejected(VerdictReason.of(e.reason()), e.getMessage(), nowSeconds);
            }
            completes = offered.candidate();
            plaintext = offered.plaintext();
        } catch (CardException e) {
            log.error("sensor {}: the card cannot open the sealed seed ({})", id, e.reason());
            return rejected(VerdictReason.INTERNAL, "the sensor's key record cannot be used", nowSeconds);
        } finally {
            seeds.release(seed);
        }
        // Only a certificate whose tag verified may take a place in the guard's window.
        ReplayGuard.Decision decision = guard.check(cert.timestamp(), cert.random(), reservedUntil, nowSeconds);
        if (decision instanceof ReplayGuard.Reject r) {
            return rejected(VerdictReason.of(r.reason()), r.message(), nowSeconds);
        }
        Verdict ok = new Verdict(true, null, null, id, cert.timestamp(),
                completes == null ? state.seedVersion() : completes.seed().seedVersion(), plaintext, nowSeconds);
        Reservation reservation = null;
        if (decision instanceof ReplayGuard.Renew r) {
            reservation = new Reservation(r.until(), false, true);
        } else if (decision instanceof ReplayGuard.Reserve r) {
            reservation = new Reservation(r.until(), true, guard.paceKnown());
        }
        return new Judgement(ok, reservation, completes);
    }

    private record Offered(DownlinkState.SeedCandidate candidate, byte[] plaintext) {}

    /** The newest offered seed under which {@code cert} verifies, or null. */
    private Offered underOffered(SensorRecord state, MicroCertificate cert, byte[] dataDigest, CertificateType expected,
                                 Instant now) {
        List<DownlinkState.SeedCandidate> offered = state.downlink().candidates();
        for (int i = offered.size() - 1; i >= 0; i--) {
            KeySeed seed = null;
            try {
                seed = seeds.openOnce(offered.get(i).seed());
                byte[] plaintext = null;
                switch (expected) {
                    case AUTH -> verifier.verifyAuth(seed, cert, now);
                    case SIGN -> verifier.verifySignDigest(seed, cert, dataDigest, now);
                    case ENC_UP -> plaintext = verifier.decryptPayload(seed, cert, now);
                    default -> throw new IllegalStateException("not a device certificate type: " + expected);
                }
                return new Offered(offered.get(i), plaintext);
            } catch (VerificationException e) {
                // not this one
            } catch (CardException e) {
                log.error("sensor {}: the card cannot open an offered seed ({})", id, e.reason());
            } finally {
                if (seed != null) {
                    seed.destroy();
                }
            }
        }
        return null;
    }

    private Judgement rejected(VerdictReason reason, String message, long nowSeconds) {
        return new Judgement(Verdict.rejected(id, reason, message, nowSeconds), null);
    }
}
