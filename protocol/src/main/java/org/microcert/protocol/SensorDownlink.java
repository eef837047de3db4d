package org.microcert.protocol;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The device side of the downlink queue (docs/protocol.md section 8, docs/http-api.md "Downlink"):
 * what a sensor's firmware does each time it wakes, without any I/O of its own. Make
 * {@link #pollCertificate} and send it to {@code POST /v1/downlink}; give the answer's
 * {@code commands} to {@link #obey}; if that returns an UPDATE envelope, send it to
 * {@code POST /v1/downlink/seed-update} and call {@link #uploadAnswered} only on its {@code 200}.
 * Any message may be lost: the next wake repeats what is missing, and the chip never switches to a
 * seed the center has not answered for.
 */
public final class SensorDownlink {

    /** What one batch of commands did: the orders carried out, the rejections (stale, replayed...). */
    public record Obeyed(List<CommandOrder> orders, List<VerificationException> rejected,
                         Optional<SeedEnvelope> upload) {
        public Obeyed {
            orders = List.copyOf(orders);
            rejected = List.copyOf(rejected);
        }
    }

    private final SensorChip chip;

    public SensorDownlink(SensorChip chip) {
        this.chip = Objects.requireNonNull(chip, "chip");
    }

    /** A fresh AUTH certificate for the poll (under the active seed; it also proves a new one). */
    public MicroCertificate pollCertificate(Instant now) throws SeedExpiredException {
        return chip.authenticate(now);
    }

    /**
     * Hands each COMMAND certificate (wire bytes, in the order received) to the chip. A command
     * that does not decode or verify is reported, not thrown: the others still count, and the
     * center sends it again if it is still pending.
     *
     * @return the orders carried out, and the UPDATE envelope to upload while a seed is pending
     *     (also when an earlier upload's answer was lost: the same envelope again)
     */
    public Obeyed obey(List<byte[]> commands, Instant now) {
        List<CommandOrder> orders = new ArrayList<>();
        List<VerificationException> rejected = new ArrayList<>();
        for (byte[] bytes : commands) {
            if (chip.isRevoked()) {
                break;
            }
            try {
                orders.add(chip.accept(MicroCertificate.decode(bytes), now));
            } catch (MalformedCertificateException e) {
                rejected.add(new VerificationException(RejectReason.MALFORMED, e.getMessage()));
            } catch (VerificationException e) {
                rejected.add(e);
            }
        }
        Optional<SeedEnvelope> upload = chip.isRevoked() ? Optional.empty() : chip.pendingUpdate();
        return new Obeyed(orders, rejected, upload);
    }

    /**
     * The center answered {@code 200} to the upload of {@code envelope}: the chip switches to that
     * seed, unless it no longer holds it pending (a reboot made another since; that one is uploaded
     * on the next wake).
     *
     * @return whether the chip switched
     */
    public boolean uploadAnswered(SeedEnvelope envelope) {
        Optional<SeedEnvelope> pending = chip.pendingUpdate();
        if (chip.isRevoked() || pending.isEmpty()
                || !java.util.Arrays.equals(pending.get().encode(), envelope.encode())) {
            return false;
        }
        chip.activatePendingSeed();
        return true;
    }
}
