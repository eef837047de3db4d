package org.microcert.cluster.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.TestTokens;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.CassandraServer;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.Pkcs11Card;
import org.microcert.protocol.SensorChip;

/**
 * Benchmark, not a test ({@code ops/bin/bench-card-node}): authenticate throughput (through
 * sharding, no HTTP) of one node on the software card and the same node on a SoftHSM2 token, each
 * with the open-seed cache warm ({@code keep-seed-open = on}) and off (every certificate opens the
 * seed on the card), in one JVM and one run, same fleet, same client. Prints the token's figures as
 * ratios to the software card's. Every run journals into the same embedded Cassandra (its own
 * keyspaces per run, as the fleet's ids repeat), started once: what differs between the runs is the card.
 */
public final class CardNodeBenchmark {

    private CardNodeBenchmark() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int sensors = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        Path dir = Files.createTempDirectory("bench-card-node");
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        TestTokens.distribute(fleet, "bench");
        System.out.printf("bench-card-node: %d s per measurement (after %d s warm-up), %d in flight, %d sensors, %d cores%n",
                seconds, seconds / 2, concurrency, sensors, Runtime.getRuntime().availableProcessors());
        double[] rates = new double[4];
        try (CassandraExtension.Shared cassandra = CassandraExtension.startSecured(dir.resolve("cassandra"),
                CassandraServer.ClientSecurity.NONE)) {
            int i = 0;
            for (boolean warm : new boolean[] {true, false}) {
                for (boolean token : new boolean[] {false, true}) {
                    Supplier<EncryptionCard> card = token
                            ? () -> Pkcs11Card.open(TestTokens.token("bench"), TestTokens.PIN, dir.resolve("token-" + warm + ".state"), 0)
                            : () -> fleet.openCard("software-" + warm);
                    Config journal = TestNode.cassandraJournal(cassandra.cassandra(), "benchcard" + i);
                    rates[i++] = authenticate((token ? "SoftHSM2" : "software") + " card, cache " + (warm ? "warm" : "off"),
                            card.get(), journal, fleet, warm, seconds, concurrency, sensors);
                }
            }
        }
        System.out.printf("%nRESULT cache warm: software %8.0f /s, SoftHSM2 %8.0f /s, ratio %.2f (target >= 0.90)%n",
                rates[0], rates[1], rates[1] / rates[0]);
        System.out.printf("RESULT cache off:  software %8.0f /s, SoftHSM2 %8.0f /s, ratio %.2f%n",
                rates[2], rates[3], rates[3] / rates[2]);
        System.out.printf("RESULT SoftHSM2 cache off / SoftHSM2 cache warm: %.2f%n", rates[3] / rates[1]);
    }

    /** A fresh node (its own sensors, fresh ids per run) on {@code card}; authenticate rate through sharding. */
    private static double authenticate(String name, EncryptionCard card, Config journal, TestFleet fleet, boolean warm,
                                       int seconds, int concurrency, int sensors) throws Exception {
        try (TestNode node = new TestNode("BenchCard", ConfigFactory.parseString(
                "pekko.loglevel = WARNING\nmicrocert.sensor.keep-seed-open = " + (warm ? "on" : "off")).withFallback(journal), card)) {
            List<SensorChip> chips = ClusterBenchmark.provision(node, fleet, sensors);
            SensorClient client = new SensorClient(node.system(), Duration.ofSeconds(10));
            return ClusterBenchmark.measure(node.system(), name, seconds, concurrency, ClusterBenchmark.certificates(chips),
                    cert -> client.authenticate(cert.sensor(), cert.bytes()).thenApplyAsync(v -> v.accepted(), Runnable::run));
        }
    }
}
