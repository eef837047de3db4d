package org.microcert.cluster.bench;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.protocol.SensorChip;

/**
 * Benchmark, not a test: what the seed cache buys on the software card. In one JVM and one run, the
 * same fleet's certificates (round robin over the sensors) through sharding (no HTTP) on three nodes
 * one after the other, each with an in-memory journal:
 * <ol>
 *   <li>{@code keep-seed-open = on}, the bound above the fleet: every seed warm (the baseline);</li>
 *   <li>the bound at a tenth of the fleet: round robin is the clock's worst case, nearly every
 *       certificate misses and opens its seed on the card;</li>
 *   <li>{@code keep-seed-open = off}: every certificate opens its seed on the card.</li>
 * </ol>
 * Prints each rate, its ratio to the warm one, and the card's opens (per second and per seed
 * use, from the node's metrics, over warm-up and measurement). A PKCS#11 card multiplies the cost of each open (docs/encryption-card.md).
 *
 * <pre>bash -c 'source ops/lib/launcher.sh && mc_exec test cluster org.microcert.cluster.bench.SeedCacheBenchmark \
 *   -Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 -- [SECONDS=10] [IN_FLIGHT=64] [SENSORS=1000]'</pre>
 */
public final class SeedCacheBenchmark {

    private SeedCacheBenchmark() {}

    public static void main(String[] args) throws Exception {
        int[] a = {10, 64, 1000}; // SECONDS IN_FLIGHT SENSORS
        for (int i = 0; i < Math.min(args.length, a.length); i++) {
            a[i] = Integer.parseInt(args[i]);
        }
        int seconds = a[0];
        int concurrency = a[1];
        int sensors = a[2];
        System.out.printf("bench seed cache: %d s per measurement (after %d s warm-up), %d in flight, %d sensors, %d cores%n",
                seconds, seconds / 2, concurrency, sensors, Runtime.getRuntime().availableProcessors());
        TestFleet fleet = new TestFleet(Files.createTempDirectory("bench-seed-cache").resolve("card"));
        String[][] runs = {
                {"warm (max-open-seeds " + sensors * 2 + ")", "on", Integer.toString(sensors * 2)},
                {"bound at a tenth (" + Math.max(1, sensors / 10) + ")", "on", Integer.toString(Math.max(1, sensors / 10))},
                {"keep-seed-open = off", "off", "1"},
        };
        double warm = 0;
        for (String[] run : runs) {
            double[] r = measure(fleet, run[0], run[1], run[2], seconds, concurrency, sensors);
            if (warm == 0) {
                warm = r[0];
            }
            System.out.printf("RESULT %-34s %9.0f /s   ratio to warm %.2f   card opens %9.0f /s (%.3f per seed use)%n",
                    run[0], r[0], r[0] / warm, r[1], r[2]);
        }
    }

    /** {authenticates per second, card opens per second and per seed use, over warm-up and measurement}. */
    private static double[] measure(TestFleet fleet, String name, String keepOpen, String maxOpen, int seconds,
                                    int concurrency, int sensors) throws Exception {
        try (TestNode node = new TestNode("BenchSeeds", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString(
                "pekko.loglevel = WARNING\nmicrocert.sensor.keep-seed-open = " + keepOpen
                        + "\nmicrocert.sensor.max-open-seeds = " + maxOpen)), fleet.openCard("bench-" + keepOpen + maxOpen))) {
            List<SensorChip> chips = ClusterBenchmark.provision(node, fleet, sensors);
            SensorClient client = new SensorClient(node.system(), Duration.ofSeconds(10));
            long start = System.nanoTime();
            double rate = ClusterBenchmark.measure(node.system(), name, seconds, concurrency,
                    ClusterBenchmark.certificates(chips), cert -> client.authenticate(cert.sensor(), cert.bytes())
                            .thenApplyAsync(v -> v.accepted(), Runnable::run));
            double elapsed = (System.nanoTime() - start) / 1e9;
            String text = new String(Metrics.get(node.system()).scrape(), StandardCharsets.UTF_8);
            double opens = sample(text, "microcert_seed_opens_total");
            double uses = keepOpen.equals("on")
                    ? sample(text, "microcert_seed_cache_hits_total") + sample(text, "microcert_seed_cache_misses_total")
                    : opens;
            return new double[] {rate, opens / elapsed, opens / uses};
        }
    }

    private static double sample(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
