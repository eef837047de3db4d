package org.microcert.cluster.bench;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.protocol.SensorChip;

/**
 * Benchmark, not a test ({@code ops/bin/bench-cluster}): in one JVM and one run,
 * <ol>
 *   <li>authenticate through sharding (asks to the sensor entities, no HTTP),</li>
 *   <li>a Pekko HTTP hello-world endpoint (the baseline),</li>
 *   <li>HTTP authenticate through the gateway (binary body), and the ratio to the baseline
 *       (target: at least 0.5),</li>
 *   <li>HTTP batch authenticate (100 certificates per request), certificates/s.</li>
 * </ol>
 * One node, in-memory journal (replay reservations are one write per sensor per 10 s, so the
 * journal is not what is measured here; the persistence module benchmarks Cassandra). The load
 * HTTP load comes from {@link RawHttpLoad} (blocking keep-alive sockets, requests prepared before
 * each run) on the same machine: the client shares the CPU with the server, for the baseline and the
 * gateway alike.
 */
public final class ClusterBenchmark {

    /** Continuations are tiny: run them where the future completes (no thread per callback on 2 cores). */
    private static final java.util.concurrent.Executor SAME_THREAD = Runnable::run;

    private ClusterBenchmark() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int sensors = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        Path dir = Files.createTempDirectory("bench-cluster");
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        System.out.printf("bench-cluster: %d s per measurement (after %d s warm-up), %d in flight, %d sensors, %d cores%n",
                seconds, seconds / 2, concurrency, sensors, Runtime.getRuntime().availableProcessors());
        try (TestNode node = new TestNode("Bench", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString(
                """
                pekko.loglevel = WARNING
                """)), fleet.openCard("bench"))) {
            ActorSystem<Void> system = node.system();
            List<SensorChip> chips = provision(node, fleet, sensors);
            SensorClient client = new SensorClient(system, Duration.ofSeconds(10));
            AllDirectives d = new AllDirectives() { };
            ServerBinding hello = Http.get(system).newServerAt("127.0.0.1", 0)
                    .bind(d.path("hello", () -> d.get(() -> d.complete("Hello, World!"))))
                    .toCompletableFuture().get();
            int helloPort = hello.localAddress().getPort();
            int gatewayPort = Integer.parseInt(node.url("").substring(node.url("").lastIndexOf(':') + 1));

            double sharding = measure(system, "sharding authenticate", seconds, concurrency, certificates(chips),
                    cert -> client.authenticate(cert.sensor(), cert.bytes()).thenApplyAsync(v -> v.accepted(), SAME_THREAD));
            int connections = Math.max(1, concurrency / 2);
            byte[] helloRequest = RawHttpLoad.request("GET", "/hello", null, null);
            double baseline = measureHttp("HTTP hello-world", helloPort, seconds, connections, n -> i -> helloRequest);
            double gateway = measureHttp("HTTP authenticate", gatewayPort, seconds, connections, n -> {
                List<byte[]> reqs = pregenerate(n, i -> RawHttpLoad.request("POST", "/v1/authenticate",
                        "application/octet-stream", certificates(chips).apply(i).bytes()));
                return i -> reqs.get(i % reqs.size());
            });
            Function<Integer, String> batches = batchBodies(chips, 100);
            double batch = measureHttp("HTTP batch (100/request)", gatewayPort, seconds, Math.max(2, connections / 4),
                    n -> {
                        List<byte[]> reqs = pregenerate(Math.max(1, n / 100), i -> RawHttpLoad.request("POST",
                                "/v1/authenticate/batch", "application/json",
                                batches.apply(i).getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                        return i -> reqs.get(i % reqs.size());
                    }) * 100;
            System.out.printf("%nRESULT sharding authenticate        %10.0f /s%n", sharding);
            System.out.printf("RESULT HTTP hello-world (baseline)  %10.0f req/s%n", baseline);
            System.out.printf("RESULT HTTP authenticate            %10.0f req/s   ratio to hello-world %.2f (target >= 0.50)%n",
                    gateway, gateway / baseline);
            System.out.printf("RESULT HTTP batch authenticate      %10.0f certificates/s%n", batch);
            hello.unbind();
        }
    }

    record Cert(org.microcert.protocol.SensorId sensor, byte[] bytes) {}

    static List<SensorChip> provision(TestNode node, TestFleet fleet, int n) throws Exception {
        List<SensorChip> chips = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            chips.add(TestFleet.chip(0xBE00_0000L + i, Instant.now()));
        }
        // Provisioned through the entities directly (the benchmark node has no operator tokens).
        SensorClient client = new SensorClient(node.system(), Duration.ofSeconds(30));
        List<CompletionStage<?>> pending = new ArrayList<>();
        for (SensorChip chip : chips) {
            pending.add(client.provision(chip.sensorId(), fleet.transportEnvelope(chip), "bench"));
        }
        for (CompletionStage<?> p : pending) {
            p.toCompletableFuture().get();
        }
        return chips;
    }

    /** Fresh certificates, round-robin over the sensors, made on demand by the generator. */
    static Function<Integer, Cert> certificates(List<SensorChip> chips) {
        return i -> {
            SensorChip chip = chips.get(Math.floorMod(i, chips.size()));
            try {
                return new Cert(chip.sensorId(), chip.authenticate(Instant.now()).encode());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    static Function<Integer, String> batchBodies(List<SensorChip> chips, int size) {
        Function<Integer, Cert> certs = certificates(chips);
        return i -> {
            StringBuilder b = new StringBuilder("{\"certificates\":[");
            for (int k = 0; k < size; k++) {
                b.append(k == 0 ? "\"" : ",\"").append(Base64.getEncoder().encodeToString(certs.apply(i * size + k).bytes()))
                        .append('"');
            }
            return b.append("]}").toString();
        };
    }

    /** Requests prepared before a run (fresh certificates cost CMACs the client should not spend during it). */
    static List<byte[]> pregenerate(int n, java.util.function.IntFunction<byte[]> make) {
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(make.apply(SEQUENCE.getAndIncrement()));
        }
        return out;
    }

    /**
     * Warm-up for half the time, then counts 200 answers for {@code seconds}; {@code requests} gets
     * the number of requests to prepare (enough for about 15,000 per second) and returns them by index.
     */
    static double measureHttp(String name, int port, int seconds, int connections,
                              java.util.function.IntFunction<java.util.function.IntFunction<byte[]>> requests)
            throws Exception {
        RawHttpLoad.run(port, connections, seconds / 2.0, requests.apply(seconds * 7_500));
        long[] counts = RawHttpLoad.run(port, connections, seconds, requests.apply(seconds * 15_000));
        double rate = counts[0] / (double) seconds;
        System.out.printf("%-28s %10.0f /s  (%d ok, %d other)%n", name, rate, counts[0], counts[1]);
        return rate;
    }

    /** Warm-up for half the time, then counts successful operations for {@code seconds}. */
    static <T> double measure(ActorSystem<?> system, String name, int seconds, int concurrency,
                              Function<Integer, T> inputs, Function<T, CompletionStage<Boolean>> op) throws Exception {
        run(system, seconds / 2.0, concurrency, inputs, op);
        long[] counts = run(system, seconds, concurrency, inputs, op);
        double rate = counts[0] / (double) seconds;
        System.out.printf("%-28s %10.0f /s  (%d ok, %d failed)%n", name, rate, counts[0], counts[1]);
        return rate;
    }

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    static <T> long[] run(ActorSystem<?> system, double seconds, int concurrency, Function<Integer, T> inputs,
                          Function<T, CompletionStage<Boolean>> op) throws Exception {
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        Source.repeat(0).takeWhile(x -> System.nanoTime() < end)
                .map(x -> inputs.apply(SEQUENCE.getAndIncrement()))
                .mapAsyncUnordered(concurrency, in -> op.apply(in).handleAsync((accepted, e) -> {
                    if (e == null && accepted) {
                        ok.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                    }
                    return 0;
                }, SAME_THREAD))
                .runWith(Sink.ignore(), system).toCompletableFuture().get();
        return new long[] {ok.get(), failed.get()};
    }
}
