package org.microcert.cluster.sensor;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.DownlinkReply;
import org.microcert.cluster.sensor.SensorMessages.SensorStatus;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.sensor.DownlinkState;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CenterIssuer;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.MalformedCertificateException;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SeedExpiredException;
import org.microcert.protocol.SensorId;
import org.microcert.protocol.VerificationException;
import org.slf4j.Logger;

/**
 * A sensor's downlink queue (docs/cluster.md, "Downlink queue"): what is pending for it is its
 * persisted state, a started seed update ({@code pendingSeedVersion}) and a revocation whose seed is
 * kept for delivery ({@link DownlinkState#revocationSeed()}); each poll gets the matching COMMAND
 * certificates tagged anew, so the chip's skew window never expires one that waited in the queue.
 * Also the second phase of a seed update: a certificate verifying under an offered seed completes it.
 */
final class Downlink {

    private static final CenterIssuer ISSUER = new CenterIssuer(); // thread-safe DRBG, one per node (see KeyLifecycle)

    private final SensorId sensorId;
    private final EncryptionCard card;
    private final OpenSeed seeds;
    private final CertificateVerifier verifier;
    private final Supplier<Instant> clock;
    private final Function<SensorRecord, SensorStatus> status;
    private final Logger log;
    private final java.time.Duration beforeExpiry;
    private final org.microcert.cluster.metrics.Metrics metrics;
    private boolean expiryUpdateAsked;

    /** {@code beforeExpiry}: the expiry policy, null for off (see {@link #beforeExpiry(com.typesafe.config.Config)}). */
    Downlink(SensorId sensorId, EncryptionCard card, OpenSeed seeds, CertificateVerifier verifier,
             Supplier<Instant> clock, Function<SensorRecord, SensorStatus> status, Logger log,
             java.time.Duration beforeExpiry, org.microcert.cluster.metrics.Metrics metrics) {
        this.sensorId = sensorId;
        this.card = card;
        this.seeds = seeds;
        this.verifier = verifier;
        this.clock = clock;
        this.status = status;
        this.log = log;
        this.beforeExpiry = beforeExpiry;
        this.metrics = metrics;
    }

    /**
     * {@code microcert.sensor.seed-update-before-expiry}: null when {@code off}.
     *
     * @throws com.typesafe.config.ConfigException.BadValue unless off or a duration from a day to 4 years
     */
    static java.time.Duration beforeExpiry(com.typesafe.config.Config root) {
        String p = "microcert.sensor.seed-update-before-expiry";
        Object value = root.hasPath(p) ? root.getValue(p).unwrapped() : "off";
        if ("off".equals(value) || Boolean.FALSE.equals(value)) {
            return null;
        }
        java.time.Duration d = root.getDuration(p);
        if (d.compareTo(java.time.Duration.ofDays(1)) < 0 || d.compareTo(java.time.Duration.ofDays(4 * 365)) > 0) {
            throw new com.typesafe.config.ConfigException.BadValue(root.origin(), p, "must be off or from 1d to 1460d");
        }
        return d;
    }

    /** Whether the expiry policy asks for a seed update now: an ACTIVE sensor whose seed ends within the time. */
    boolean updateDue(SensorRecord state, Instant now) {
        if (beforeExpiry == null || state.status() != SensorRecord.Status.ACTIVE || state.seed() == null) {
            return false;
        }
        Instant end = java.time.LocalDate.of(state.seed().epochYear() + KeySeed.LIFETIME_YEARS, 1, 1)
                .atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        return !now.isBefore(end.minus(beforeExpiry));
    }

    /**
     * The answer to a poll whose certificate was judged {@code v} on {@code state} (the state before
     * the verdict's events): the SEED_UPDATE command while the update waits for the sensor, none once
     * the poll itself proved the new seed.
     */
    DownlinkReply answer(SensorRecord state, Verdict v) {
        if (!v.accepted() || state.status() != SensorRecord.Status.UPDATE_PENDING
                || v.seedVersion() == state.pendingSeedVersion()) {
            return new DownlinkReply(v, List.of());
        }
        KeySeed seed = null;
        try {
            seed = seeds.acquire(state.seed());
            return new DownlinkReply(v, List.of(command(seed, state.seed(), new CommandOrder.SeedUpdate(state.pendingSeedVersion()))));
        } catch (SeedExpiredException e) {
            return new DownlinkReply(v, List.of()); // the queue cannot tag it; the expiry listing names the sensor
        } catch (CardException e) {
            log.error("sensor {}: the card cannot open the sealed seed ({})", sensorId, e.reason());
            return new DownlinkReply(v, List.of());
        } finally {
            seeds.release(seed);
        }
    }

    /**
     * A revoked sensor's poll: while its revocation is delivered, a certificate that verifies under
     * the revoked seed gets the REVOKE command; the verdict stays REVOKED. Not replay-checked: a
     * replayed poll only obtains another REVOKE for the same seed, which is the point.
     */
    DownlinkReply revokedPoll(SensorRecord state, byte[] bytes) {
        Instant now = clock.get();
        Verdict revoked = Verdict.rejected(sensorId.toString(), VerdictReason.REVOKED, "sensor " + sensorId + " is revoked",
                now.getEpochSecond());
        DownlinkState d = state.downlink();
        if (d.revocationSeed() == null) {
            return new DownlinkReply(revoked, List.of());
        }
        MicroCertificate cert;
        try {
            cert = MicroCertificate.decode(bytes);
        } catch (MalformedCertificateException e) {
            return new DownlinkReply(revoked, List.of());
        }
        List<SealedSeed> held = new ArrayList<>(List.of(d.revocationSeed()));
        d.candidates().forEach(c -> held.add(c.seed())); // a sensor revoked while updating may use an offered seed
        for (SealedSeed kept : held) {
            if (!cert.sensorId().equals(sensorId) || cert.suite() != kept.suite()) {
                break;
            }
            KeySeed seed = null;
            try {
                seed = seeds.openOnce(kept);
                verifier.verifyAuth(seed, cert, now);
                return new DownlinkReply(revoked, List.of(command(seed, kept, new CommandOrder.Revoke(kept.seedVersion()))));
            } catch (VerificationException | SeedExpiredException e) {
                // not under this seed
            } catch (CardException e) {
                log.error("sensor {}: the card cannot open a revoked seed ({})", sensorId, e.reason());
            } finally {
                if (seed != null) {
                    seed.destroy();
                }
            }
        }
        return new DownlinkReply(revoked, List.of());
    }

    /** Withdraws the pending seed update, else ends the delivery of the revocation. */
    KeyLifecycle.Outcome cancel(SensorRecord state, String actor) {
        if (state.status() == SensorRecord.Status.NOT_PROVISIONED) {
            return KeyLifecycle.Outcome.refused(RefusalCode.UNKNOWN_SENSOR, "sensor " + sensorId + " is not provisioned");
        }
        if (state.status() == SensorRecord.Status.UPDATE_PENDING) {
            return new KeyLifecycle.Outcome(new SensorEvent.SeedUpdateCancelled(clock.get(), actor),
                    s -> new Done(status.apply(s), null), null);
        }
        if (state.downlink().revocationSeed() != null) {
            return new KeyLifecycle.Outcome(new SensorEvent.RevocationDeliveryEnded(false, clock.get(), actor),
                    s -> new Done(status.apply(s), null), null);
        }
        return KeyLifecycle.Outcome.refused(RefusalCode.NOTHING_PENDING, "nothing is pending for sensor " + sensorId);
    }

    /**
     * The events completing the update with {@code chosen}, the offered seed a certificate proved,
     * and the certificate's replay reservation ({@code reservation}, null: none), written together
     * before the answer.
     */
    List<SensorEvent> completed(SensorRecord state, DownlinkState.SeedCandidate chosen, SensorEvent reservation) {
        SensorEvent done = new SensorEvent.SeedUpdated(chosen.seed(), chosen.recordDigest(), clock.get(), "sensor");
        if (reservation == null) {
            return List.of(done);
        }
        metrics.reservationWritten(true); // with the completion, before the answer
        return List.of(done, reservation);
    }

    /** After {@link #completed} is durable: the card's set digest follows, the old seed is wiped. */
    void afterCompleted(SensorRecord before, CertificateJudge.Judgement j) {
        card.recordReplaced(before.seed(), j.completes().seed());
        seeds.wipe();
    }

    /**
     * The expiry policy: once per incarnation, an ACTIVE sensor heard from within the configured time
     * of its seed's end has a seed update started ({@code StartSeedUpdate} to itself, actor
     * {@code expiry-policy}; its event is what keeps it).
     */
    void askUpdateIfDue(SensorRecord state, Instant now, org.apache.pekko.actor.typed.ActorRef<SensorMessages.Command> self,
                        org.apache.pekko.actor.typed.ActorRef<SensorMessages.OperatorReply> nobody) {
        if (!expiryUpdateAsked && updateDue(state, now)) {
            expiryUpdateAsked = true;
            self.tell(new SensorMessages.StartSeedUpdate("expiry-policy", nobody));
        }
    }

    private byte[] command(KeySeed seed, SealedSeed sealed, CommandOrder order) throws SeedExpiredException {
        return ISSUER.issueCommand(seed, sealed.suite(), sensorId, order, clock.get()).encode();
    }
}
