package org.microcert.protocol;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The device SDK: the secure chip of one sensor. It holds the key seed and never lets it out except
 * sealed in a {@link SeedEnvelope}; it makes AUTH, SIGN and ENC_UP certificates, opens ENC_DOWN
 * payloads and obeys COMMAND certificates (seed update, revoke). This class is the reference for
 * firmware ports and is what the simulator runs.
 *
 * <p>Lifecycle: {@link #manufacture} makes seed version 1 (epoch year = the current UTC year); the
 * factory station sends {@link #transportEnvelope(byte[])} to the center. A SEED_UPDATE command makes
 * the next seed pending ({@link #pendingUpdate()}); {@link #activatePendingSeed()} switches to it once
 * the center answered its upload. A REVOKE command destroys the seed for good.
 *
 * <p>COMMAND and ENC_DOWN certificates are accepted only within the clock-skew window and only once
 * ({@link ChipReplayMemory}, at most {@value #MAX_REMEMBERED} remembered): no order is needed between center clocks.
 *
 * <p>Reboots: a chip made with a {@link ChipStore} persists its seed and its public state
 * ({@link ChipState}) before any change takes effect, and {@link #restore} brings it back; the
 * pending seed of an unfinished update is not kept (the center's next command starts it again).
 *
 * <p>Thread-safe (methods are synchronized).
 */
public final class SensorChip {

    private final SensorId sensorId;
    private final CipherSuite suite;
    private final SecureRandom rng;
    private final long maxSkewSeconds;
    private final ChipStore store;
    private KeySeed seed;
    private KeySeed pending;
    private SeedEnvelope pendingEnvelope;
    private boolean revoked;
    private ChipReplayMemory replays = new ChipReplayMemory(); // inbound certificates accepted

    /** How many accepted inbound certificates the chip remembers. */
    public static final int MAX_REMEMBERED = 4096;

    private SensorChip(SensorId sensorId, CipherSuite suite, KeySeed seed, SecureRandom rng, Duration maxSkew,
                       ChipStore store) {
        this.sensorId = Objects.requireNonNull(sensorId, "sensorId");
        this.suite = Objects.requireNonNull(suite, "suite");
        this.seed = Objects.requireNonNull(seed, "seed");
        this.rng = Objects.requireNonNull(rng, "rng");
        this.store = Objects.requireNonNull(store, "store");
        if (maxSkew.isNegative()) {
            throw new IllegalArgumentException("maxSkew must not be negative");
        }
        this.maxSkewSeconds = Math.min(maxSkew.getSeconds(), CskDerivation.MAX_TIMESTAMP); // any wider window means "no limit"
    }

    /**
     * A new chip with a fresh seed (version 1, epoch year = UTC year of {@code now}) drawn from
     * {@code rng}, which stands in for the hardware RNG and also supplies the certificate randoms.
     */
    public static SensorChip manufacture(SensorId sensorId, CipherSuite suite, Instant now, SecureRandom rng) {
        return manufacture(sensorId, suite, now, rng, ChipStore.NONE);
    }

    /**
     * As {@link #manufacture(SensorId, CipherSuite, Instant, SecureRandom)}, persisting the new seed and
     * state in {@code store} first.
     *
     * @throws ChipStore.ChipStorageException if the store failed (no chip is made; the seed is wiped)
     */
    public static SensorChip manufacture(SensorId sensorId, CipherSuite suite, Instant now, SecureRandom rng,
                                         ChipStore store) {
        KeySeed seed = KeySeed.generate(rng, 1, now.atZone(ZoneOffset.UTC).getYear());
        SensorChip chip = new SensorChip(sensorId, suite, seed, rng, CertificateVerifier.DEFAULT_MAX_SKEW, store);
        try {
            chip.saveSeed(seed);
            store.saveState(chip.state().toBytes());
        } catch (RuntimeException e) {
            seed.destroy();
            throw ChipStore.ChipStorageException.of(e);
        }
        return chip;
    }

    /** As {@link #manufacture(SensorId, CipherSuite, Instant, SecureRandom)} with a fresh {@link KeySeed#newDrbg() DRBG}. */
    public static SensorChip manufacture(SensorId sensorId, CipherSuite suite, Instant now) {
        return manufacture(sensorId, suite, now, KeySeed.newDrbg());
    }

    /**
     * A chip holding an existing seed (e.g. a simulator restoring a sensor, or a test). The chip
     * takes ownership of {@code seed} and destroys it when replaced or revoked.
     *
     * @param maxSkew the window within which COMMAND and ENC_DOWN timestamps are accepted
     */
    public static SensorChip withSeed(SensorId sensorId, CipherSuite suite, KeySeed seed, SecureRandom rng,
                                      Duration maxSkew) {
        return new SensorChip(sensorId, suite, seed, rng, maxSkew, ChipStore.NONE);
    }

    /**
     * The chip after a reboot, from the blobs its {@link ChipStore} last kept. A state one seed version
     * behind the seed is accepted: an activation stored the new seed and stopped before its state (the
     * replay memory it holds is still right). Any other mismatch is refused rather than guessed at.
     *
     * @param seed  the stored seed (ignored, and may be all zeros, when the state says revoked); the
     *              caller wipes it afterwards
     * @param store where the restored chip keeps its changes from now on
     * @throws MalformedInputException a {@link MalformedSeedException} or
     *                                 {@link ChipState.MalformedChipStateException} naming what is wrong
     */
    public static SensorChip restore(SensorId sensorId, CipherSuite suite, byte[] seed, byte[] state,
                                     SecureRandom rng, Duration maxSkew, ChipStore store) throws MalformedInputException {
        ChipState kept = ChipState.fromBytes(state);
        KeySeed active;
        if (kept.revoked()) {
            // a revoked chip holds no seed; an unusable placeholder keeps the version it was revoked at
            active = KeySeed.generate(rng, Math.max(1, kept.seedVersion()), KeySeed.MIN_EPOCH_YEAR);
            active.destroy();
        } else {
            active = KeySeed.fromBytes(seed);
            if (kept.seedVersion() != active.version() && kept.seedVersion() + 1 != active.version()) {
                int version = active.version();
                active.destroy();
                throw new ChipState.MalformedChipStateException(Defect.BAD_FIELD, "chip state belongs to seed version "
                        + Integer.toUnsignedString(kept.seedVersion()) + ", the stored seed is version " + version);
            }
        }
        SensorChip chip = new SensorChip(sensorId, suite, active, rng, maxSkew, store);
        chip.revoked = kept.revoked();
        chip.replays = ChipReplayMemory.of(kept);
        return chip;
    }

    /** What {@link ChipStore#saveState} keeps: active seed version, revoked flag and replay memory. */
    public synchronized ChipState state() {
        return stateAt(seed.version());
    }

    private ChipState stateAt(int version) {
        return new ChipState(version, revoked, replays.floor(), replays.pairs());
    }

    public SensorId sensorId() {
        return sensorId;
    }

    public CipherSuite suite() {
        return suite;
    }

    /** The version of the active seed. */
    public synchronized int seedVersion() {
        return seed.version();
    }

    /** The epoch year of the active seed. */
    public synchronized int epochYear() {
        return seed.epochYear();
    }

    public synchronized boolean isRevoked() {
        return revoked;
    }

    /**
     * The TRANSPORT envelope of the active seed under K_trans (AES-256-GCM).
     *
     * @param transportKey the 32 raw bytes of K_trans the factory station loaded into the chip
     */
    public synchronized SeedEnvelope transportEnvelope(byte[] transportKey) {
        checkNotRevoked();
        return SeedEnvelope.sealTransport(transportKey, sensorId, suite, seed, rng);
    }

    /** A fresh AUTH certificate (32 bytes on the wire). */
    public synchronized MicroCertificate authenticate(Instant now) throws SeedExpiredException {
        checkNotRevoked();
        return Certificates.tagged(seed, CertificateType.AUTH, suite, sensorId, now.getEpochSecond(), rng.nextLong(),
                new byte[0], null);
    }

    /** A SIGN certificate over {@code data}; the data travels beside it. */
    public synchronized MicroCertificate sign(byte[] data, Instant now) throws SeedExpiredException {
        checkNotRevoked();
        Objects.requireNonNull(data, "data");
        return Certificates.tagged(seed, CertificateType.SIGN, suite, sensorId, now.getEpochSecond(), rng.nextLong(),
                new byte[0], data);
    }

    /** An ENC_UP certificate carrying {@code plaintext} (at most {@link MicroCertificate#MAX_PAYLOAD} bytes). */
    public synchronized MicroCertificate encrypt(byte[] plaintext, Instant now) throws SeedExpiredException {
        checkNotRevoked();
        return Certificates.encrypted(seed, CertificateType.ENC_UP, suite, sensorId, now.getEpochSecond(),
                rng.nextLong(), plaintext);
    }

    /** Verifies and decrypts an ENC_DOWN certificate from the center. */
    public synchronized byte[] decrypt(MicroCertificate cert, Instant now) throws VerificationException {
        checkInbound(cert, CertificateType.ENC_DOWN, now);
        byte[] plaintext;
        try {
            plaintext = Certificates.decrypted(seed, cert);
        } catch (SeedExpiredException e) {
            throw CertificateVerifier.expired(e);
        }
        // Replay is checked after the tag, as for COMMAND (docs/protocol.md's order: a forged
        // certificate is BAD_TAG whatever it copies), so a refused replay must wipe what it decrypted.
        try {
            checkNotReplayed(cert, now);
            rememberDurably(cert);
        } catch (VerificationException | RuntimeException e) {
            Arrays.fill(plaintext, (byte) 0);
            throw e;
        }
        return plaintext;
    }

    /**
     * Verifies a COMMAND certificate and carries out its order: a SEED_UPDATE generates the next
     * seed and holds it pending ({@link #pendingUpdate()}), or keeps the one already pending (a repeated
     * order re-offers the same envelope, docs/protocol.md section 8); a REVOKE destroys every seed.
     *
     * @return the order that was carried out
     * @throws VerificationException with WRONG_SEED_VERSION if a seed update does not name version
     *                               current + 1 or a revoke does not name the current version,
     *                               REPLAY for a command already accepted,
     *                               or the reasons of {@link CertificateVerifier}
     * @throws ChipStore.ChipStorageException if the order could not be made durable: a seed update is
     *                               then not started; a revoke whose state was kept is carried out
     */
    public synchronized CommandOrder accept(MicroCertificate command, Instant now) throws VerificationException {
        checkInbound(command, CertificateType.COMMAND, now);
        boolean ok;
        try {
            ok = Certificates.tagMatches(seed, command, null);
        } catch (SeedExpiredException e) {
            throw CertificateVerifier.expired(e);
        }
        if (!ok) {
            throw new VerificationException(RejectReason.BAD_TAG, "COMMAND tag does not match");
        }
        checkNotReplayed(command, now);
        CommandOrder order = command.command();
        if (order instanceof CommandOrder.SeedUpdate u) {
            if (u.newSeedVersion() != seed.version() + 1) {
                throw new VerificationException(RejectReason.WRONG_SEED_VERSION, "update orders seed version "
                        + u.newSeedVersion() + " but the chip holds version " + seed.version());
            }
            boolean fresh = pending == null;
            if (fresh) {
                prepareSeedUpdate(now);
            }
            try {
                rememberDurably(command);
            } catch (RuntimeException e) {
                if (fresh) {
                    discardPending();
                }
                throw e;
            }
        } else if (order instanceof CommandOrder.Revoke r) {
            if (r.seedVersion() != seed.version()) {
                throw new VerificationException(RejectReason.WRONG_SEED_VERSION, "revoke names seed version "
                        + r.seedVersion() + " but the chip holds version " + seed.version());
            }
            revoked = true; // the state kept says revoked, or nothing changes
            try {
                rememberDurably(command);
            } catch (RuntimeException e) {
                revoked = false;
                throw e;
            }
            discardPending(); // every seed goes
            seed.destroy();
            try {
                store.saveSeed(new byte[KeySeed.ENCODED_LENGTH]); // the stored seed goes too
            } catch (RuntimeException e) {
                throw ChipStore.ChipStorageException.of(e);
            }
        } else {
            rememberDurably(command);
        }
        return order;
    }

    /**
     * Generates the next seed (version current + 1, epoch year = UTC year of {@code now}), holds it
     * pending and returns its UPDATE envelope. A second call replaces the pending seed.
     */
    public synchronized SeedEnvelope prepareSeedUpdate(Instant now) {
        checkNotRevoked();
        discardPending();
        pending = KeySeed.generate(rng, seed.version() + 1, now.atZone(ZoneOffset.UTC).getYear());
        pendingEnvelope = SeedUpdates.seal(seed, sensorId, suite, pending, rng);
        return pendingEnvelope;
    }

    /** The UPDATE envelope of the pending seed, if one is pending. */
    public synchronized Optional<SeedEnvelope> pendingUpdate() {
        return Optional.ofNullable(pendingEnvelope);
    }

    /**
     * Makes the pending seed active and destroys the old one; call once the center has stored the
     * new seed.
     *
     * @throws IllegalStateException if no seed is pending
     */
    public synchronized void activatePendingSeed() {
        checkNotRevoked();
        if (pending == null) {
            throw new IllegalStateException("no seed update is pending");
        }
        // Seed first: a reboot between the two writes restores the new seed with the old state (see restore).
        saveSeed(pending);
        RuntimeException stateFailed = null;
        try {
            store.saveState(stateAt(pending.version()).toBytes());
        } catch (RuntimeException e) {
            stateFailed = e; // the stored seed is the new one: switch anyway, and say the state lags
        }
        seed.destroy();
        seed = pending;
        pending = null;
        pendingEnvelope = null;
        if (stateFailed != null) {
            throw ChipStore.ChipStorageException.of(stateFailed);
        }
    }

    private void saveSeed(KeySeed s) {
        byte[] encoded = s.toBytes();
        try {
            store.saveSeed(encoded);
        } catch (RuntimeException e) {
            throw ChipStore.ChipStorageException.of(e);
        } finally {
            Arrays.fill(encoded, (byte) 0);
        }
    }

    /** Remembers {@code cert} and keeps the state; if the store fails, the chip is as it was before. */
    private void rememberDurably(MicroCertificate cert) {
        ChipReplayMemory before = replays.copy();
        replays.remember(cert);
        try {
            store.saveState(state().toBytes());
        } catch (RuntimeException e) {
            replays.restore(before);
            throw ChipStore.ChipStorageException.of(e);
        }
    }

    private void discardPending() {
        if (pending != null) {
            pending.destroy();
        }
        pending = null;
        pendingEnvelope = null;
    }

    private void checkInbound(MicroCertificate cert, CertificateType type, Instant now) throws VerificationException {
        if (revoked) {
            throw new VerificationException(RejectReason.REVOKED, "the chip's seed was revoked");
        }
        if (cert.type() != type) {
            throw new VerificationException(RejectReason.WRONG_TYPE, "expected " + type + ", got " + cert.type());
        }
        if (!cert.sensorId().equals(sensorId)) {
            throw new VerificationException(RejectReason.WRONG_SENSOR, "addressed to sensor " + cert.sensorId());
        }
        if (cert.suite() != suite) {
            throw new VerificationException(RejectReason.UNSUPPORTED_SUITE, "chip speaks " + suite + " only");
        }
        CertificateVerifier.checkFreshness(cert.timestamp(), now, maxSkewSeconds);
    }

    private void checkNotReplayed(MicroCertificate cert, Instant now) throws VerificationException {
        replays.check(cert, now.getEpochSecond() - maxSkewSeconds);
    }

    private void checkNotRevoked() {
        if (revoked) {
            throw new IllegalStateException("the chip's seed was revoked");
        }
    }

    @Override
    public synchronized String toString() {
        return "SensorChip[sensor=" + sensorId + ", suite=" + suite + (revoked ? ", revoked" : ", seedVersion="
                + seed.version()) + "]";
    }
}
