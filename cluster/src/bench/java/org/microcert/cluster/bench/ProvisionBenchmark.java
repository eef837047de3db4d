package org.microcert.cluster.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.CassandraServer;
import org.microcert.ops.cassandra.TestCassandra;

/**
 * Benchmark, not a test: provisioning through the bulk import ({@code POST /v1/sensors/import}) of
 * one node on a real Cassandra (started here, on free ports), against the key database's own speed
 * in the same run: raw java-driver inserts of one row per sensor (a journal-sized blob), at most
 * 256 in flight. Prints sensors/s for each import round (each a fresh manifest of new sensors) and
 * the ratio import / raw inserts. The node runs in this JVM with the software card; its card state
 * file (the ledger, fsync'd per group commit) lives in a temporary directory. One node per import
 * parallelism given ({@code microcert.http.import-parallelism}, default 8 and 256), one after the
 * other on the same Cassandra, each with a card state file of its own.
 *
 * <pre>bash -c 'source ops/lib/launcher.sh && mc_exec test cluster org.microcert.cluster.bench.ProvisionBenchmark \
 *   -Xmx1g -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 -- [SENSORS=20000] [ROUNDS=2] [PARALLELISM...]'</pre>
 */
public final class ProvisionBenchmark {

    private static final String TOKEN = "bench-operator-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ProvisionBenchmark() {}

    public static void main(String[] args) throws Exception {
        int sensors = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int[] parallelisms = args.length > 2
                ? java.util.Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray() : new int[] {8, 256};
        Path dir = Files.createTempDirectory("bench-provision");
        System.out.printf("bench provisioning: %d sensors per import round, %d rounds (the first warms the JIT), %d cores%n",
                sensors, rounds, Runtime.getRuntime().availableProcessors());
        try (CassandraExtension.Shared shared = CassandraExtension.startSecured(dir.resolve("cassandra"),
                CassandraServer.ClientSecurity.NONE)) {
            TestCassandra cassandra = shared.cassandra();
            TestFleet fleet = new TestFleet(dir.resolve("card"));
            Config config = TestNode.cassandraWithOperator(cassandra, "bench", dir, TOKEN, "bench", "");
            double raw = rawInserts(cassandra, sensors);
            System.out.printf("RESULT raw java-driver inserts (one row per sensor, 256 in flight): %,.0f rows/s%n", raw);
            long cassandraPid = shared.cassandra().server().orElseThrow().pid();
            long nextId = 0x0B0000000000L;
            for (int parallelism : parallelisms) {
                Config nodeConfig = ConfigFactory.parseString("microcert.http.import-parallelism = " + parallelism)
                        .withFallback(config);
                try (TestNode node = new TestNode("ProvisionBench" + parallelism, nodeConfig,
                        fleet.openCard("bench-" + parallelism))) {
                    awaitReady(node);
                    for (int round = 1; round <= rounds; round++) {
                        byte[] manifest = manifest(fleet, nextId, sensors);
                        nextId += sensors;
                        double nodeCpu = cpuSeconds(ProcessHandle.current().pid());
                        double dbCpu = cpuSeconds(cassandraPid);
                        long start = System.nanoTime();
                        JsonNode summary = importManifest(node, manifest);
                        double seconds = (System.nanoTime() - start) / 1e9;
                        nodeCpu = cpuSeconds(ProcessHandle.current().pid()) - nodeCpu;
                        dbCpu = cpuSeconds(cassandraPid) - dbCpu;
                        long provisioned = summary.get("provisioned").asLong();
                        double rate = provisioned / seconds;
                        System.out.printf("RESULT import-parallelism %d, round %d: %,d of %d provisioned in %.1f s: "
                                        + "%,.0f sensors/s, ratio to raw inserts %.3f (failed %d); CPU per sensor: "
                                        + "node (this JVM) %.2f ms, Cassandra %.2f ms%n", parallelism, round,
                                provisioned, sensors, seconds, rate, rate / raw, summary.get("failed").asLong(),
                                1000 * nodeCpu / provisioned, 1000 * dbCpu / provisioned);
                    }
                }
            }
        }
    }

    /** The key database's speed here: one row of a journal event's size per sensor, as fast as the driver goes. */
    static double rawInserts(TestCassandra cassandra, int rows) throws Exception {
        // the configured contact point only (addContactPoint would add to the driver's default 127.0.0.1:9042)
        try (CqlSession session = CqlSession.builder().withConfigLoader(DriverConfigLoader.fromString(cassandra.driverConfig()))
                .build()) {
            // schema changes take seconds on a busy machine: more than the driver's 2 s default
            session.execute(SimpleStatement.newInstance("CREATE KEYSPACE IF NOT EXISTS bench_raw WITH replication = "
                    + "{'class': 'SimpleStrategy', 'replication_factor': 1}").setTimeout(Duration.ofMinutes(1)));
            session.execute(SimpleStatement.newInstance("CREATE TABLE IF NOT EXISTS bench_raw.rows (id text, seq bigint, "
                    + "event blob, PRIMARY KEY (id, seq))").setTimeout(Duration.ofMinutes(1)));
            PreparedStatement insert = session.prepare("INSERT INTO bench_raw.rows (id, seq, event) VALUES (?, 1, ?)");
            byte[] event = new byte[200];
            double best = 0;
            for (int pass = 0; pass < 2; pass++) { // the first warms the driver and Cassandra
                Semaphore inFlight = new Semaphore(256);
                AtomicLong failed = new AtomicLong();
                long start = System.nanoTime();
                for (int i = 0; i < rows; i++) {
                    inFlight.acquire();
                    session.executeAsync(insert.bind("Sensor|" + pass + "-" + i, ByteBuffer.wrap(event)))
                            .whenComplete((r, f) -> {
                                if (f != null) {
                                    failed.incrementAndGet();
                                }
                                inFlight.release();
                            });
                }
                inFlight.acquire(256);
                best = Math.max(best, (rows - failed.get()) / ((System.nanoTime() - start) / 1e9));
            }
            return best;
        }
    }

    /** User and system CPU of a process so far (Linux /proc), in seconds. */
    static double cpuSeconds(long pid) throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // fields from the 3rd on
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime: clock ticks (USER_HZ 100)
    }

    static byte[] manifest(TestFleet fleet, long firstId, int sensors) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(sensors * 120);
        Instant now = Instant.now();
        Base64.Encoder b64 = Base64.getEncoder();
        for (int i = 0; i < sensors; i++) {
            byte[] envelope = fleet.transportEnvelope(TestFleet.chip(firstId + i, now));
            out.writeBytes(("{\"envelope\":\"" + b64.encodeToString(envelope) + "\"}\n").getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    static JsonNode importManifest(TestNode node, byte[] manifest) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url("/v1/sensors/import")))
                .timeout(Duration.ofMinutes(30)).header("Content-Type", "application/x-ndjson")
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(manifest)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("import answered " + response.statusCode() + ": " + response.body());
        }
        String body = response.body();
        String last = body.substring(body.lastIndexOf('\n', body.length() - 2) + 1);
        return JSON.readTree(last).get("summary");
    }

    static void awaitReady(TestNode node) throws InterruptedException {
        TestNode.Client client = new TestNode.Client();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (client.get(node.url("/health/ready"), null).statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the node never became ready");
            }
            Thread.sleep(200);
        }
    }
}
