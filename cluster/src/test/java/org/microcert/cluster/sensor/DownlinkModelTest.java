package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.DownlinkReply;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.persistence.sensor.DownlinkState;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.ChipStore;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;
import org.microcert.protocol.VerificationException;

/**
 * A model test of the downlink queue and the two-phase seed update: a chip and its entity talk
 * through a network that loses, duplicates and reorders every message (polls, their answers, the
 * envelope uploads and their answers), while the chip sleeps and reboots (losing a pending seed) and
 * an operator may revoke. Properties: at every step a certificate under the chip's active seed is
 * accepted unless the sensor is revoked (never stranded), and once the network stops losing, a few
 * polls bring chip and center to the same seed version (or both to revoked).
 */
class DownlinkModelTest extends SensorEntityFixture {

    private static final int RUNS = 24;
    private static final int STEPS = 60;

    /** A message in flight: to the center (a poll's certificate or an envelope), or to the chip. */
    private record Msg(boolean toCenter, byte[] poll, byte[] envelope, List<byte[]> commands, byte[] acked) {}

    /** The chip's two blobs, as its flash keeps them. */
    private static final class Flash implements ChipStore {
        byte[] seed;
        byte[] state;

        @Override
        public void saveState(byte[] s) {
            state = s.clone();
        }

        @Override
        public void saveSeed(byte[] s) {
            seed = s.clone();
        }
    }

    private final List<Msg> inFlight = new ArrayList<>();
    private Flash flash;
    private Random rnd;
    private boolean centerRevoked;

    @Test
    void underLostDuplicatedAndReorderedMessagesTheSensorIsNeverStrandedAndConverges() throws Exception {
        long seed = new SecureRandom().nextLong();
        rnd = new Random(seed);
        int completed = 0;
        int revoked = 0;
        for (int run = 0; run < RUNS; run++) {
            String where = "seed " + seed + ", run " + run;
            newSensor(run);
            for (int step = 0; step < STEPS; step++) {
                step(true);
                if (!centerRevoked) {
                    Verdict v = authenticate(auth());
                    assertTrue(v.accepted(), () -> where + ": the chip's seed " + chip.seedVersion() + " is refused: "
                            + v.reason() + " (center at " + kit.getState().seedVersion() + ")");
                }
            }
            inFlight.clear(); // from now on nothing is lost: a few polls settle it
            for (int round = 0; round < 6 && !settled(); round++) {
                clock.advanceSeconds(30);
                send(new Msg(true, auth().encode(), null, null, null), false);
                deliverAll();
            }
            assertTrue(settled(), where + ": not settled: chip " + chip + ", center " + kit.getState().status()
                    + " v" + kit.getState().seedVersion());
            if (centerRevoked) {
                revoked++; // the chip obeyed: the operator ends the delivery, and every kept seed goes
                kit.<OperatorReply>runCommand(r -> new SensorMessages.CancelDownlink("carol", r));
            } else {
                assertEquals(2, chip.seedVersion(), where);
                completed++;
            }
            assertEquals(DownlinkState.EMPTY, kit.getState().downlink(), where + ": seeds left behind");
        }
        assertTrue(completed > RUNS / 2 && revoked > 0, "both outcomes exercised: " + completed + " / " + revoked);
    }

    private void newSensor(int run) {
        kit.clear();
        inFlight.clear();
        flash = new Flash();
        centerRevoked = false;
        chip = SensorChip.manufacture(new SensorId(SENSOR), CipherSuite.AES128, clock.instant(), new SecureRandom(), flash);
        provision();
        // the operator's own copy of the command is thrown away: only the queue delivers
        kit.<OperatorReply>runCommand(r -> new SensorMessages.StartSeedUpdate("bob", r));
        if (run % 4 == 3) {
            revokeAtStep = 5 + rnd.nextInt(STEPS - 10);
        } else {
            revokeAtStep = -1;
        }
        stepNo = 0;
    }

    private int revokeAtStep;
    private int stepNo;

    private boolean settled() {
        SensorRecord s = kit.getState();
        if (centerRevoked) {
            return chip.isRevoked();
        }
        return s.status() == SensorRecord.Status.ACTIVE && s.seedVersion() == 2 && chip.seedVersion() == 2;
    }

    private void step(boolean lossy) throws Exception {
        clock.advanceSeconds(10 + rnd.nextInt(20));
        if (stepNo++ == revokeAtStep) {
            kit.<OperatorReply>runCommand(r -> new SensorMessages.Revoke("stolen", "alice", r)); // its answer is lost too
            centerRevoked = true;
        }
        switch (rnd.nextInt(6)) {
            case 0 -> {
                if (!chip.isRevoked()) {
                    send(new Msg(true, auth().encode(), null, null, null), lossy);
                }
            }
            case 1, 2 -> deliverOne(true, lossy);
            case 3, 4 -> deliverOne(false, lossy);
            default -> {
                if (rnd.nextInt(4) == 0) {
                    reboot();
                }
            }
        }
    }

    private void send(Msg m, boolean lossy) {
        if (!lossy || rnd.nextInt(10) >= 3) { // 30 % lost on the way out
            inFlight.add(m);
        }
    }

    /** Takes a random message of that direction (reordering), sometimes leaving a copy (duplication). */
    private void deliverOne(boolean toCenter, boolean lossy) throws Exception {
        List<Msg> candidates = inFlight.stream().filter(m -> m.toCenter() == toCenter).toList();
        if (candidates.isEmpty()) {
            return;
        }
        Msg m = candidates.get(rnd.nextInt(candidates.size()));
        if (!lossy || rnd.nextInt(10) >= 2) {
            inFlight.remove(m);
        }
        deliver(m, lossy);
    }

    private void deliverAll() throws Exception {
        while (!inFlight.isEmpty()) {
            deliver(inFlight.remove(0), false);
        }
    }

    private void deliver(Msg m, boolean lossy) throws Exception {
        if (m.poll() != null) {
            DownlinkReply r = kit.<DownlinkReply>runCommand(x -> new SensorMessages.Poll(m.poll(), x)).reply();
            send(new Msg(false, null, null, r.commands(), null), lossy);
        } else if (m.envelope() != null) {
            OperatorReply r = kit.<OperatorReply>runCommand(
                    x -> new SensorMessages.CompleteSeedUpdate(m.envelope(), "sensor", x)).reply();
            if (r instanceof Done) {
                send(new Msg(false, null, null, null, m.envelope()), lossy);
            }
        } else if (m.commands() != null) {
            for (byte[] c : m.commands()) {
                obey(c, lossy);
            }
        } else if (chip.pendingUpdate().isPresent() && !chip.isRevoked()
                && Arrays.equals(chip.pendingUpdate().get().encode(), m.acked())) {
            chip.activatePendingSeed(); // the center answered this very upload
        }
    }

    private void obey(byte[] command, boolean lossy) throws Exception {
        try {
            CommandOrder order = chip.accept(MicroCertificate.decode(command), clock.instant());
            if (order instanceof CommandOrder.SeedUpdate) {
                send(new Msg(true, null, chip.pendingUpdate().orElseThrow().encode(), null, null), lossy);
            }
        } catch (VerificationException late) {
            // stale, replayed, or for a seed the chip no longer holds: the next poll brings a fresh one
        }
    }

    /** Power loss: the chip comes back from its flash, without a pending seed. */
    private void reboot() throws Exception {
        chip = SensorChip.restore(new SensorId(SENSOR), CipherSuite.AES128, flash.seed, flash.state, new SecureRandom(),
                CertificateVerifier.DEFAULT_MAX_SKEW, flash);
    }
}
