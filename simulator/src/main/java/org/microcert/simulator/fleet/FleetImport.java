package org.microcert.simulator.fleet;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.microcert.protocol.SensorChip;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.gateway.ImportResult;

/**
 * The fleet's way into the center: the bulk import in parallel chunks (lines the center was too
 * busy for sent again) and the revocations. {@link FleetLoader} decides which chips these are.
 */
final class FleetImport {

    private FleetImport() {}

    /**
     * Sends the manifest in requests of {@code importChunk} lines, {@code importParallelism} at a
     * time (round-robin over the gateways); each line's envelope is sealed when its upload reaches it.
     *
     * @return the counts, and some of the sensors answered ALREADY_PROVISIONED
     */
    static Imported importAll(List<SensorChip> chips, byte[] transportKey, GatewayClient gateway, FleetLoader.Spec spec,
                            PrintStream console) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(spec.importParallelism());
        AtomicLong answered = new AtomicLong();
        try {
            List<Future<Chunk>> results = new ArrayList<>();
            for (int from = 0; from < chips.size(); from += spec.importChunk()) {
                List<SensorChip> chunk = chips.subList(from, Math.min(chips.size(), from + spec.importChunk()));
                results.add(pool.submit(() -> {
                    Chunk r = importChunk(gateway, chunk, transportKey);
                    answered.addAndGet(r.result().lines());
                    return r;
                }));
            }
            long[] counts = new long[3];
            List<String> failures = new ArrayList<>();
            List<SensorChip> already = new ArrayList<>();
            long started = System.nanoTime();
            for (Future<Chunk> f : results) {
                Chunk c = null;
                while (c == null) {
                    try {
                        c = get(f, 2);
                    } catch (TimeoutException stillRunning) {
                        console.printf(Locale.ROOT, "  answered %,d / %,d lines (%,.0f sensors/s)%n", answered.get(),
                                chips.size(), answered.get() / ((System.nanoTime() - started) / 1e9));
                    }
                }
                ImportResult r = c.result();
                counts[0] += r.provisioned();
                counts[1] += r.alreadyProvisioned();
                counts[2] += r.failed();
                if (failures.size() < 5) {
                    failures.addAll(r.failures());
                }
                already.addAll(c.alreadyProvisioned());
            }
            failures.stream().limit(5).forEach(m -> console.println("  import failure: " + m));
            return new Imported(counts[0], counts[1], counts[2], already);
        } finally {
            pool.shutdownNow();
        }
    }

    record Imported(long provisioned, long alreadyProvisioned, long failed, List<SensorChip> alreadyProvisionedChips) {}

    /** The result of one chunk, and (some of) its sensors answered ALREADY_PROVISIONED. */
    private record Chunk(ImportResult result, List<SensorChip> alreadyProvisioned) {}

    /** One request, then again for the lines the center answered UNAVAILABLE (its shards were busy). */
    private static Chunk importChunk(GatewayClient gateway, List<SensorChip> chunk, byte[] transportKey)
            throws InterruptedException {
        ImportResult r = send(gateway, chunk, transportKey);
        List<SensorChip> alreadyChips = new ArrayList<>();
        for (int i : r.alreadyProvisionedLines()) {
            alreadyChips.add(chunk.get(i));
        }
        long provisioned = r.provisioned();
        long already = r.alreadyProvisioned();
        for (int attempt = 1; attempt < GatewayClient.RETRIES && !r.retryable().isEmpty(); attempt++) {
            Thread.sleep(500L * attempt);
            List<SensorChip> again = new ArrayList<>();
            for (int i : r.retryable()) {
                again.add(chunk.get(i));
            }
            chunk = again;
            r = send(gateway, chunk, transportKey);
            // A retried line answered ALREADY_PROVISIONED was provisioned before: by this run's first
            // attempt (UNAVAILABLE may follow a stored event) or by an earlier run. Counting it as
            // provisioned made a re-import during a shard hand-over report acknowledged sensors as
            // lost (the netlab partition drill's "lost provisionings"); it is counted as already.
            provisioned += r.provisioned();
            already += r.alreadyProvisioned();
            for (int i : r.alreadyProvisionedLines()) {
                alreadyChips.add(chunk.get(i));
            }
        }
        return new Chunk(new ImportResult(provisioned + already + r.failed(), provisioned, already,
                r.failed(), r.failures(), r.retryable(), List.of()), alreadyChips);
    }

    private static ImportResult send(GatewayClient gateway, List<SensorChip> chunk, byte[] transportKey) {
        // the expired-seed sensors' seeds are outside the node's provisioning policy on purpose: ask for
        // its audited exception, for the chunks that hold them only
        int year = java.time.Instant.now().atZone(java.time.ZoneOffset.UTC).getYear();
        boolean legacy = chunk.stream().anyMatch(c -> c.epochYear() + org.microcert.protocol.KeySeed.LIFETIME_YEARS <= year);
        return gateway.importManifest(chunk.size(), i -> chunk.get(i).transportEnvelope(transportKey).encode(), legacy);
    }

    static void revokeAll(List<SensorChip> chips, GatewayClient gateway, int parallelism)
            throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(parallelism);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (SensorChip c : chips) {
                results.add(pool.submit(() -> {
                    gateway.revoke(c.sensorId().toString(), "simulator: revoked-sensor traffic");
                    return null;
                }));
            }
            for (Future<?> f : results) {
                get(f);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static <T> T get(Future<T> f) throws InterruptedException {
        try {
            return get(f, Long.MAX_VALUE);
        } catch (TimeoutException e) {
            throw new IllegalStateException(e); // no time limit
        }
    }

    private static <T> T get(Future<T> f, long seconds) throws InterruptedException, TimeoutException {
        try {
            return seconds == Long.MAX_VALUE ? f.get() : f.get(seconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
