package org.microcert.simulator.fleet;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.DrbgParameters;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.gateway.GatewayException;
import org.microcert.simulator.report.RunReport;
import org.microcert.simulator.traffic.Device;
import org.microcert.simulator.traffic.Fleet;
import org.microcert.simulator.traffic.Verdict;

/**
 * Plays the factory station: makes the virtual sensors' chips, loads K_trans into them, and sends
 * their TRANSPORT envelopes to the center through the bulk import (NDJSON manifest, in chunks, a
 * few chunks in parallel); then revokes the sensors reserved for revoked-sensor traffic through
 * the operator API.
 *
 * <p>Sensor ids: active sensors are {@code firstId + i}; the revoked, expired-seed and unknown
 * sensors live 2^31 above, so they never collide with an active sensor of a run with more sensors.
 * A fleet owns the 2^32 ids above its base. With a fleet seed, the base is derived from (fleet
 * seed, suite) ({@link #idBase}) and every seed from (fleet seed, sensor id), so a fleet provisioned
 * once can be driven again by later runs ({@code ALREADY_PROVISIONED} is then expected, and checked
 * with one certificate); without one, seeds come from a DRBG and the ids from a random base.
 */
public final class FleetLoader {

    /** Above this offset the special-role sensors live. */
    static final long ROLE_OFFSET = 1L << 31;
    /** Role sensors of one kind at most: each role has 2^20 ids above {@link #ROLE_OFFSET}. */
    static final int MAX_ROLE_SENSORS = 1 << 20;
    /** A base is a multiple of 2^32 below 2^63 (ids stay positive): 2^31 fleets fit. */
    private static final long ID_BASE_MASK = 0x7FFF_FFFF_0000_0000L;
    /** Already-provisioned sensors whose seed is checked with a certificate before the run. */
    private static final int SAME_FLEET_PROBES = 3;
    private static final int RNG_STRIPES = 8;

    /**
     * @param fleetSeed null for a fresh random fleet
     */
    public record Spec(int sensors, int revoked, int unknown, int expired, CipherSuite suite, Long fleetSeed,
                       int importChunk, int importParallelism) {

        public Spec {
            if (sensors < 1) {
                throw new IllegalArgumentException("--sensors must be at least 1");
            }
            if (revoked < 0 || unknown < 0 || expired < 0) {
                throw new IllegalArgumentException("sensor counts must not be negative");
            }
            if (Math.max(revoked, Math.max(unknown, expired)) > MAX_ROLE_SENSORS) {
                // more would run into the next role's ids
                throw new IllegalArgumentException("--revoked-sensors, --expired-seed-sensors and --unknown-sensors "
                        + "must each be at most " + MAX_ROLE_SENSORS);
            }
        }
    }

    public record Loaded(Fleet fleet, RunReport.Provisioning provisioning) {}

    private FleetLoader() {}

    /**
     * @param transportKey the 32 raw bytes of K_trans, as loaded into the chips at the factory
     *                     (the caller wipes it afterwards)
     * @throws GatewayException when the center refuses part of the fleet (the message says which and why)
     */
    public static Loaded load(Spec spec, byte[] transportKey, GatewayClient gateway, PrintStream console)
            throws InterruptedException {
        long started = System.nanoTime();
        SecureRandom[] rngs = new SecureRandom[RNG_STRIPES];
        for (int i = 0; i < rngs.length; i++) {
            rngs[i] = fastDrbg();
        }
        long base = spec.fleetSeed() != null ? idBase(spec.fleetSeed(), spec.suite()) : (rngs[0].nextLong() & ID_BASE_MASK);
        Instant now = Instant.now();
        int year = now.atZone(ZoneOffset.UTC).getYear();

        List<SensorChip> active = chips(spec, base, spec.sensors(), year, rngs);
        List<SensorChip> revoked = chips(spec, base + ROLE_OFFSET, spec.revoked(), year, rngs);
        List<SensorChip> expired = chips(spec, base + ROLE_OFFSET + (1L << 20), spec.expired(),
                year - KeySeed.LIFETIME_YEARS, rngs);
        List<SensorChip> unknown = chips(spec, base + ROLE_OFFSET + (2L << 20), spec.unknown(), year, rngs);

        List<SensorChip> toProvision = new ArrayList<>(active);
        toProvision.addAll(revoked);
        toProvision.addAll(expired);
        console.printf(Locale.ROOT, "provisioning %,d sensors through the bulk import (%s)...%n", toProvision.size(),
                String.join(", ", gateway.gateways().stream().map(Object::toString).toList()));
        long importStarted = System.nanoTime();
        FleetImport.Imported imported = FleetImport.importAll(toProvision, transportKey, gateway, spec, console);
        long[] counts = {imported.provisioned(), imported.alreadyProvisioned(), imported.failed()};
        if (counts[2] > 0 || (counts[1] > 0 && spec.fleetSeed() == null)) {
            throw new GatewayException(String.format(Locale.ROOT,
                    "provisioning failed for %d sensors and found %d already provisioned with other seeds%s",
                    counts[2], counts[1], counts[1] > 0 ? " (use another --fleet-seed, or none)" : ""));
        }
        // before revoking anything: a collision would revoke another fleet's sensors
        checkSameFleet(imported.alreadyProvisionedChips().stream()
                .filter(c -> c.sensorId().value() - base < spec.sensors()).toList(), gateway);
        double importSeconds = (System.nanoTime() - importStarted) / 1e9;
        FleetImport.revokeAll(revoked, gateway, spec.importParallelism());
        double seconds = Math.round((System.nanoTime() - started) / 1e7) / 100.0;
        double rate = Math.round((counts[0] + counts[1]) / importSeconds * 10) / 10.0;
        console.printf(Locale.ROOT, "provisioned %,d (already there: %,d) in %.1f s: %,.1f sensors/s through the bulk "
                + "import; revoked %d; set-up %.1f s in all%n", counts[0], counts[1], importSeconds, rate, revoked.size(),
                seconds);

        Fleet fleet = new Fleet(devices(active), devices(revoked), devices(unknown),
                expired.stream().map(c -> (Device) new ExpiredSeedDevice(c.sensorId(), c.suite(), rngs[0])).toList());
        return new Loaded(fleet, new RunReport.Provisioning(toProvision.size(), counts[0], counts[1], counts[2],
                seconds, rate, revoked.size(), expired.size()));
    }

    /**
     * The first sensor id of the fleet of {@code fleetSeed} and {@code suite}: a hash of both, so that
     * different seeds (not only seeds that differ above bit 32) and different suites get different
     * 2^32-id blocks, and one seed always the same block. Two fleets share a block with a chance of
     * 2^-31; {@link #checkSameFleet} catches that.
     */
    public static long idBase(long fleetSeed, CipherSuite suite) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("microcert-sim fleet ids".getBytes(StandardCharsets.US_ASCII));
            sha.update(ByteBuffer.allocate(Long.BYTES).putLong(fleetSeed).array());
            sha.update(suite.name().getBytes(StandardCharsets.US_ASCII));
            return ByteBuffer.wrap(sha.digest()).getLong() & ID_BASE_MASK;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /**
     * An active sensor the center already had is this fleet's only if it holds this fleet's seed.
     * If another fleet (another --fleet-seed or --suite, or a simulator release that derived ids
     * from the seed's high bits only) provisioned the id, the center keeps that seed and rejects
     * every good certificate of ours as BAD_TAG: a run would blame the center. One certificate of a
     * few such sensors tells the two apart before the run.
     */
    private static void checkSameFleet(List<SensorChip> alreadyProvisioned, GatewayClient gateway) {
        long now = System.currentTimeMillis() / 1000;
        for (SensorChip c : alreadyProvisioned.subList(0, Math.min(SAME_FLEET_PROBES, alreadyProvisioned.size()))) {
            Verdict v = gateway.authenticate(new ChipDevice(c).authenticate(now)).join();
            if (v instanceof Verdict.Rejected r) {
                throw new GatewayException("sensor " + c.sensorId() + " was already provisioned and the center rejects "
                        + "its certificate (" + r.reason() + "): another fleet (another --fleet-seed or --suite, or an "
                        + "older simulator release) provisioned this id with another seed. Use another --fleet-seed, or "
                        + "none for a fresh fleet. (If this --fleet-seed and --suite did provision it, the center is at fault.)");
            }
        }
    }

    private static List<Device> devices(List<SensorChip> chips) {
        return chips.stream().map(c -> (Device) new ChipDevice(c)).toList();
    }

    /** Made on all cores (a 100,000-sensor fleet takes seconds single-threaded), in id order. */
    private static List<SensorChip> chips(Spec spec, long firstId, int count, int epochYear, SecureRandom[] rngs) {
        return IntStream.range(0, count).parallel().mapToObj(i -> {
            SensorId id = new SensorId(firstId + i);
            SecureRandom rng = rngs[i % rngs.length];
            KeySeed seed = KeySeed.generate(spec.fleetSeed() == null ? rng : derivedRandom(spec.fleetSeed(), id), 1,
                    epochYear);
            return SensorChip.withSeed(id, spec.suite(), seed, rng, CertificateVerifier.DEFAULT_MAX_SKEW);
        }).toList();
    }

    /** Certificate randoms: a DRBG without prediction resistance (one reseed per call would cost more than the CMAC). */
    static SecureRandom fastDrbg() {
        try {
            return SecureRandom.getInstance("DRBG",
                    DrbgParameters.instantiation(256, DrbgParameters.Capability.RESEED_ONLY, null));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no DRBG SecureRandom", e);
        }
    }

    /** Deterministic per (fleet seed, sensor): lets a provisioned fleet be driven again. Test fleets only. */
    static SecureRandom derivedRandom(long fleetSeed, SensorId id) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(ByteBuffer.allocate(24).putLong(fleetSeed).putLong(id.value()).putLong(0x6d6963726f636572L).array());
            return r;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA1PRNG", e);
        }
    }
}
