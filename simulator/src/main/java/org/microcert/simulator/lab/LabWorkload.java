package org.microcert.simulator.lab;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.gateway.GatewayException;
import org.microcert.simulator.gateway.ImportResult;
import org.microcert.simulator.traffic.Verdict;

/**
 * The fault lab's client (docs/faultlab.md): provisions a fleet one manifest line per request (so
 * each sensor's acknowledgement is known), then for {@code duration} sends every fresh AUTH
 * certificate to two gateways at the same moment (a correct center accepts it once and answers
 * REPLAY to the other), revokes a sensor now and then, samples every gateway's readiness once a
 * second, and finally reads every sensor back (one fresh certificate each until it gets a verdict
 * that says what the center holds). Every request and answer goes to the {@link History}.
 *
 * <p>Bounded: at most {@code maxInFlight} pairs outstanding (a tick finding them all busy is
 * skipped, and counted), one pair per sensor at a time (so its certificates reach the center in
 * order), and the final read ends at its deadline.
 */
public final class LabWorkload {

    /**
     * @param gateways     the lab's gateways, numbered 1.. in this order
     * @param pair         the two gateway numbers every certificate goes to, or null for two distinct
     *                     ones drawn at random per pair
     * @param revokeEvery  a revocation this often (zero: none)
     * @param readDeadline how long the final read may take
     * @param stopFile     the pairs end early once this file exists (the lab's schedule is over), or null
     */
    public record Spec(List<URI> gateways, int sensors, double rate, Duration duration, int[] pair, Duration revokeEvery,
                       long seed, Duration timeout, Duration readDeadline, int maxInFlight, java.nio.file.Path stopFile) {}

    /** What the run did, for the console. */
    public record Summary(int provisioned, long pairs, long skippedTicks, int revoked, int readUnsettled) {}

    private static final HexFormat HEX = HexFormat.of();

    private final Spec spec;
    private final byte[] transportKey;
    private final History.Writer history;
    private final PrintStream console;
    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "lab-client");
        t.setDaemon(true);
        return t;
    });
    /** Blocking set-up calls (imports) run here: on the HTTP client's own threads they would wait for themselves. */
    private final ExecutorService blocking = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "lab-import");
        t.setDaemon(true);
        return t;
    });
    private final List<GatewayClient> clients = new ArrayList<>();
    private final HttpClient health;

    public LabWorkload(Spec spec, byte[] transportKey, String operatorToken, History.Writer history, PrintStream console) {
        this.spec = spec;
        this.transportKey = transportKey;
        this.history = history;
        this.console = console;
        for (URI g : spec.gateways()) {
            clients.add(new GatewayClient(List.of(g), spec.timeout(), executor, operatorToken));
        }
        this.health = HttpClient.newBuilder().executor(executor).connectTimeout(Duration.ofSeconds(1)).build();
    }

    public Summary run() throws InterruptedException, IOException {
        Random rng = new Random(spec.seed());
        List<SensorChip> fleet = provision(rng);
        if (fleet.isEmpty()) {
            throw new GatewayException("no sensor was provisioned: nothing to run");
        }
        HealthSampler sampler = new HealthSampler(spec.gateways(), health, history);
        Thread sampling = new Thread(sampler, "lab-health");
        sampling.setDaemon(true);
        sampling.start();
        long[] traffic;
        int revoked;
        try {
            Revoker revoker = new Revoker(fleet, new Random(rng.nextLong()));
            Thread revoking = new Thread(revoker, "lab-revoke");
            revoking.setDaemon(true);
            revoking.start();
            traffic = pairs(fleet, rng);
            revoker.stop = true;
            revoking.interrupt();
            revoking.join(spec.timeout().toMillis() * GatewayClient.RETRIES + 1000);
            revoked = revoker.done;
            int unsettled = read(fleet);
            return new Summary(fleet.size(), traffic[0], traffic[1], revoked, unsettled);
        } finally {
            sampler.stop = true;
            sampling.join(3000);
            history.flush();
            executor.shutdownNow();
            blocking.shutdownNow();
        }
    }

    // ---- provisioning -------------------------------------------------------------------------

    private List<SensorChip> provision(Random rng) throws InterruptedException {
        // a 2^32-id block of its own per run: a lab kept up between runs still holds the sensors (some
        // revoked) of earlier runs of the same seed. The seed still decides every draw below.
        long run = rng.nextLong() ^ System.currentTimeMillis() * 0x9E3779B97F4A7C15L;
        long base = (run & 0x3FFF_FFFF_0000_0000L) | 0x4000_0000_0000_0000L;
        List<SensorChip> chips = new ArrayList<>();
        for (int i = 0; i < spec.sensors(); i++) {
            chips.add(SensorChip.manufacture(new SensorId(base + i), CipherSuite.AES128, Instant.now()));
        }
        List<SensorChip> acked = java.util.Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Void>> all = new ArrayList<>();
        Semaphore parallel = new Semaphore(4);
        for (int i = 0; i < chips.size(); i++) {
            SensorChip chip = chips.get(i);
            int gw = i % clients.size();
            parallel.acquire();
            all.add(CompletableFuture.runAsync(() -> {
                try {
                    if (importOne(chip, gw)) {
                        acked.add(chip);
                    }
                } finally {
                    parallel.release();
                }
            }, blocking));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        console.printf(Locale.ROOT, "provisioned %d of %d sensors (acknowledged)%n", acked.size(), chips.size());
        acked.sort(java.util.Comparator.comparing(SensorChip::sensorId));
        return acked;
    }

    /** One manifest line, retried (other gateways too) while it gets no answer or UNAVAILABLE. */
    private boolean importOne(SensorChip chip, int firstGateway) {
        byte[] envelope = chip.transportEnvelope(transportKey).encode();
        for (int attempt = 0; attempt < GatewayClient.RETRIES; attempt++) {
            int gw = (firstGateway + attempt) % clients.size();
            long t = System.currentTimeMillis();
            String result;
            String reason = null;
            try {
                ImportResult r = clients.get(gw).importManifest(List.of(envelope));
                if (r.provisioned() == 1) {
                    result = "PROVISIONED";
                } else if (r.alreadyProvisioned() == 1) {
                    result = "ALREADY_PROVISIONED";
                } else {
                    result = "FAILED";
                    reason = r.failures().isEmpty() ? "failed" : r.failures().get(0);
                }
            } catch (GatewayException e) {
                result = "FAILED";
                reason = e.getMessage();
            }
            history.write(new History("import", t, System.currentTimeMillis(), gw + 1, chip.sensorId().toString(), null, -1,
                    result, reason));
            if (!result.equals("FAILED")) {
                return true;
            }
            sleep(500L * (attempt + 1));
        }
        return false;
    }

    // ---- the pairs ----------------------------------------------------------------------------

    /** @return pairs sent, ticks skipped because every slot or the drawn sensor was busy */
    private long[] pairs(List<SensorChip> fleet, Random rng) throws InterruptedException {
        Semaphore slots = new Semaphore(spec.maxInFlight());
        ConcurrentHashMap<SensorId, Boolean> busy = new ConcurrentHashMap<>();
        AtomicLong sent = new AtomicLong();
        long skipped = 0;
        long periodNanos = (long) (1e9 / spec.rate());
        long start = System.nanoTime();
        long end = start + spec.duration().toNanos();
        long next = start;
        long lastReport = start;
        while (next < end && !stopped()) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            next += periodNanos;
            SensorChip chip = fleet.get(rng.nextInt(fleet.size()));
            int a;
            int b;
            if (spec.pair() != null) {
                a = spec.pair()[0] - 1;
                b = spec.pair()[1] - 1;
            } else {
                a = rng.nextInt(clients.size());
                b = (a + 1 + rng.nextInt(clients.size() - 1)) % clients.size();
            }
            if (busy.putIfAbsent(chip.sensorId(), Boolean.TRUE) != null) {
                skipped++;
                continue;
            }
            if (!slots.tryAcquire()) {
                busy.remove(chip.sensorId());
                skipped++;
                continue;
            }
            long pair = sent.getAndIncrement();
            byte[] cert;
            try {
                cert = chip.authenticate(Instant.now()).encode();
            } catch (org.microcert.protocol.SeedExpiredException e) {
                throw new IllegalStateException("a lab sensor's seed expired: " + e.getMessage(), e);
            }
            String id = chip.sensorId().toString();
            CompletableFuture<Void> one = send(a, id, cert, pair, "auth");
            CompletableFuture<Void> two = send(b, id, cert, pair, "auth");
            CompletableFuture.allOf(one, two).whenCompleteAsync((v, e) -> {
                busy.remove(chip.sensorId());
                slots.release();
            }, executor);
            if (System.nanoTime() - lastReport > 10_000_000_000L) {
                lastReport = System.nanoTime();
                console.printf(Locale.ROOT, "  %.0f s: %,d pairs sent, %,d ticks skipped (busy)%n",
                        (lastReport - start) / 1e9, sent.get(), skipped);
            }
        }
        // the last pairs: each ends within its timeout
        slots.tryAcquire(spec.maxInFlight(), spec.timeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
        return new long[] {sent.get(), skipped};
    }

    private long stopCheckedAt;

    /** At most once a second, whether the stop file has appeared. */
    private boolean stopped() {
        if (spec.stopFile() == null || System.nanoTime() - stopCheckedAt < 1_000_000_000L) {
            return false;
        }
        stopCheckedAt = System.nanoTime();
        return java.nio.file.Files.exists(spec.stopFile());
    }

    private CompletableFuture<Void> send(int gw, String sensor, byte[] cert, long pair, String op) {
        long t = System.currentTimeMillis();
        return clients.get(gw).authenticate(cert).thenAccept(v -> history.write(record(op, t, gw, sensor, cert, pair, v)));
    }

    private static History record(String op, long t, int gw, String sensor, byte[] cert, long pair, Verdict v) {
        long end = System.currentTimeMillis();
        String c = HEX.formatHex(cert);
        if (v instanceof Verdict.Accepted) {
            return new History(op, t, end, gw + 1, sensor, c, pair, "ACCEPTED", null);
        } else if (v instanceof Verdict.Rejected r) {
            return new History(op, t, end, gw + 1, sensor, c, pair, "REJECTED", r.reason());
        }
        return new History(op, t, end, gw + 1, sensor, c, pair, "FAILED", ((Verdict.Failed) v).error());
    }

    // ---- revocations --------------------------------------------------------------------------

    /** Every {@code revokeEvery}, one sensor not yet revoked, through a gateway drawn at random. */
    private final class Revoker implements Runnable {
        private final List<SensorChip> fleet;
        private final Random rng;
        volatile boolean stop;
        volatile int done;

        Revoker(List<SensorChip> fleet, Random rng) {
            this.fleet = new ArrayList<>(fleet);
            this.rng = rng;
        }

        @Override
        public void run() {
            if (spec.revokeEvery().isZero()) {
                return;
            }
            // at most a tenth of the fleet: the rest keeps the pairs meaningful
            int limit = Math.max(1, fleet.size() / 10);
            while (!stop && done < limit) {
                if (!sleep(spec.revokeEvery().toMillis())) {
                    return;
                }
                SensorChip chip = fleet.remove(rng.nextInt(fleet.size()));
                int gw = rng.nextInt(clients.size());
                long t = System.currentTimeMillis();
                String result = "REVOKED";
                String reason = null;
                try {
                    clients.get(gw).revoke(chip.sensorId().toString(), "netlab chaos");
                    done++;
                } catch (GatewayException e) {
                    result = "FAILED";
                    reason = e.getMessage();
                } catch (InterruptedException e) {
                    result = "FAILED";
                    reason = "interrupted";
                    stop = true;
                }
                history.write(new History("revoke", t, System.currentTimeMillis(), gw + 1, chip.sensorId().toString(), null,
                        -1, result, reason));
            }
        }
    }

    // ---- the final read -----------------------------------------------------------------------

    /**
     * One fresh certificate per sensor, round-robin over the gateways, until each has a settling
     * verdict: ACCEPTED, or REJECTED {@code REVOKED} / {@code UNKNOWN_SENSOR}. Anything else (no
     * verdict, REPLAY_WINDOW_RESET after a hand-over) is tried again.
     *
     * @return sensors without a settling verdict at the deadline
     */
    private int read(List<SensorChip> fleet) throws InterruptedException {
        List<SensorChip> open = new ArrayList<>(fleet);
        long deadline = System.currentTimeMillis() + spec.readDeadline().toMillis();
        int round = 0;
        while (!open.isEmpty() && System.currentTimeMillis() < deadline) {
            List<SensorChip> again = java.util.Collections.synchronizedList(new ArrayList<>());
            Semaphore parallel = new Semaphore(16);
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int i = 0; i < open.size(); i++) {
                SensorChip chip = open.get(i);
                int gw = (i + round) % clients.size();
                byte[] cert;
                try {
                    cert = chip.authenticate(Instant.now()).encode();
                } catch (org.microcert.protocol.SeedExpiredException e) {
                    throw new IllegalStateException("a lab sensor's seed expired: " + e.getMessage(), e);
                }
                parallel.acquire();
                long t = System.currentTimeMillis();
                String id = chip.sensorId().toString();
                all.add(clients.get(gw).authenticate(cert).thenAccept(v -> {
                    history.write(record("read", t, gw, id, cert, -1, v));
                    boolean settled = v instanceof Verdict.Accepted || (v instanceof Verdict.Rejected r
                            && (r.reason().equals("REVOKED") || r.reason().equals("UNKNOWN_SENSOR")));
                    if (!settled) {
                        again.add(chip);
                    }
                }).whenComplete((v, e) -> parallel.release()));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            open = new ArrayList<>(again);
            round++;
            if (!open.isEmpty()) {
                sleep(1000);
            }
        }
        console.printf(Locale.ROOT, "final read: %d of %d sensors settled in %d rounds%n", fleet.size() - open.size(),
                fleet.size(), round);
        return open.size();
    }

    /** @return false when interrupted */
    static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
