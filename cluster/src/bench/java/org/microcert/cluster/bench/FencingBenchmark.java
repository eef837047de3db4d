package org.microcert.cluster.bench;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.coordination.lease.scaladsl.Lease;
import org.apache.pekko.coordination.lease.scaladsl.LeaseProvider;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.lease.FencingSettings;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.CassandraServer;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.protocol.SensorChip;

/**
 * Benchmark, not a test: what fencing (docs/cluster.md "Fencing") costs on the authenticate path.
 * In one JVM and one run, against one Cassandra started here: a node with the Cassandra journal and
 * fencing off, then one with it on (its shards held under one node term, renewed once a second), in
 * alternating rounds (off, on, off, on, ...), each a fresh node and fleet in keyspaces of its own;
 * the same fleet's certificates (round robin) through sharding (no HTTP). Prints each rate, the ratio
 * on/off, the shards the "on" node held, and the cost of one lease check (a held lease's
 * {@code checkLease()}, what an entity asks twice per accepted certificate) in nanoseconds.
 *
 * <pre>bash -c 'source ops/lib/launcher.sh && mc_exec test cluster org.microcert.cluster.bench.FencingBenchmark \
 *   -Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 -- [SECONDS=10] [IN_FLIGHT=64] [SENSORS=1000] [ROUNDS=2]'</pre>
 */
public final class FencingBenchmark {

    private FencingBenchmark() {}

    public static void main(String[] args) throws Exception {
        int[] a = {10, 64, 1000, 2}; // SECONDS IN_FLIGHT SENSORS ROUNDS
        for (int i = 0; i < Math.min(args.length, a.length); i++) {
            a[i] = Integer.parseInt(args[i]);
        }
        int seconds = a[0];
        int concurrency = a[1];
        int sensors = a[2];
        int rounds = a[3];
        System.out.printf("bench fencing: %d s per measurement (after %d s warm-up), %d in flight, %d sensors, %d rounds, "
                + "%d cores%n", seconds, seconds / 2, concurrency, sensors, rounds, Runtime.getRuntime().availableProcessors());
        Path dir = Files.createTempDirectory("bench-fencing");
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        try (CassandraExtension.Shared shared = CassandraExtension.startSecured(dir.resolve("cassandra"),
                CassandraServer.ClientSecurity.NONE)) {
            TestCassandra cassandra = shared.cassandra();
            List<Double> off = new ArrayList<>();
            List<Double> on = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                off.add(measure(cassandra, fleet, false, round, seconds, concurrency, sensors));
                on.add(measure(cassandra, fleet, true, round, seconds, concurrency, sensors));
            }
            double meanOff = off.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double meanOn = on.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            System.out.printf("RESULT fencing off %9.0f /s   on %9.0f /s   ratio on/off %.3f   (rounds off %s, on %s)%n",
                    meanOff, meanOn, meanOn / meanOff, off, on);
        }
        System.exit(0);
    }

    private static double measure(TestCassandra cassandra, TestFleet fleet, boolean fenced, int round, int seconds,
                                  int concurrency, int sensors) throws Exception {
        String name = (fenced ? "on" : "off") + round;
        String config = "pekko.loglevel = WARNING\nmicrocert.fencing.enabled = " + (fenced ? "on" : "off");
        try (TestNode node = new TestNode("BenchFencing", ConfigFactory.parseString(config)
                .withFallback(TestNode.cassandraJournal(cassandra, "bench_fencing_" + name)), fleet.openCard("bench-" + name))) {
            List<SensorChip> chips = ClusterBenchmark.provision(node, fleet, sensors);
            SensorClient client = new SensorClient(node.system(), Duration.ofSeconds(10));
            double rate = ClusterBenchmark.measure(node.system(), "fencing " + name, seconds, concurrency,
                    ClusterBenchmark.certificates(chips), cert -> client.authenticate(cert.sensor(), cert.bytes())
                            .thenApplyAsync(v -> v.accepted(), Runnable::run));
            if (fenced) {
                leaseFigures(node, chips);
            }
            return rate;
        }
    }

    /** The shards held (all under the node's one term) and the nanoseconds of one lease check. */
    private static void leaseFigures(TestNode node, List<SensorChip> chips) {
        var classic = node.system().classicSystem();
        HashCodeMessageExtractor<Object> shards = new HashCodeMessageExtractor<>(
                classic.settings().config().getInt("pekko.cluster.sharding.number-of-shards"));
        String owner = Cluster.get(classic).selfAddress().hostPort();
        java.util.Set<String> held = new java.util.TreeSet<>();
        for (SensorChip chip : chips) {
            held.add(shards.shardId(chip.sensorId().toString()));
        }
        Lease lease = LeaseProvider.get(classic).getLease(classic.name() + "-shard-Sensor-" + held.iterator().next(),
                FencingSettings.LEASE_CONFIG, owner);
        int n = 50_000_000;
        boolean all = true;
        for (int warm = 0; warm < 3; warm++) {
            for (int i = 0; i < n / 10; i++) {
                all &= lease.checkLease();
            }
        }
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            all &= lease.checkLease();
        }
        double ns = (System.nanoTime() - start) / (double) n;
        System.out.printf("lease: %d shards held under one term (one renewal per second), one checkLease() %.1f ns%s%n",
                held.size(), ns, all ? "" : " (the lease lapsed during the loop!)");
    }
}
