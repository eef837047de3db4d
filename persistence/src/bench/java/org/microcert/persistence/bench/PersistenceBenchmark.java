package org.microcert.persistence.bench;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.schema.Replication;
import org.microcert.persistence.schema.Schema;
import org.microcert.persistence.schema.SchemaException;
import org.microcert.persistence.schema.ToolOptions;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorJournal;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.SensorId;

/**
 * {@code ops/bin/bench-persistence}: persisted events/s through Pekko Persistence (one
 * {@link SensorJournal} per sensor, one event in flight each, as {@code SensorEntity} persists)
 * versus raw java-driver async inserts of rows of the same shape and size into the same journal
 * table, same Cassandra, same run, same consistency, same number in flight. Prints both rates and
 * their ratio. A benchmark, not a test: figures depend on the machine; compare ratios within a run.
 */
public final class PersistenceBenchmark {

    static final String USAGE = """
            usage: ops/bin/bench-persistence [--contact-point HOST:PORT] [--datacenter DC]
                     [--sensors N (1000)] [--seconds S (15)] [--warmup S (5)] [--batch-size N (Pekko max-message-batch-size, 100)]
                     [--warmup-rounds N (4)] [--rounds N (3)]: each round runs raw then Pekko; warm-up rounds are
                     printed, not counted; the figure is the median of the measured rounds' ratios
                     [--snapshot-every N (100, as microcert.persistence.snapshot-every-n-events)]
                     [--pekko-config HOCON (extra settings for the Pekko side, e.g. dispatcher or driver tuning)]
            Writes into keyspaces bench_journal / bench_snapshot (created if missing, truncated first).""";

    private PersistenceBenchmark() {
    }

    public static void main(String[] args) {
        Map<String, String> o;
        CassandraTarget target;
        int sensors;
        Duration measure;
        Duration warmup;
        int batch;
        int snapshotEvery;
        int rounds;
        int warmupRounds;
        String extraConfig;
        try {
            Set<String> known = new HashSet<>(CassandraTarget.OPTIONS);
            known.addAll(Set.of("--sensors", "--seconds", "--warmup", "--batch-size", "--snapshot-every", "--pekko-config",
                    "--rounds", "--warmup-rounds"));
            o = ToolOptions.parse(args, known, Set.of());
            o.putIfAbsent("--journal-keyspace", "bench_journal");
            o.putIfAbsent("--snapshot-keyspace", "bench_snapshot");
            target = CassandraTarget.fromOptions(o);
            sensors = Integer.parseInt(o.getOrDefault("--sensors", "1000"));
            measure = Duration.ofSeconds(Integer.parseInt(o.getOrDefault("--seconds", "15")));
            warmup = Duration.ofSeconds(Integer.parseInt(o.getOrDefault("--warmup", "5")));
            batch = Integer.parseInt(o.getOrDefault("--batch-size", "100"));
            snapshotEvery = Integer.parseInt(o.getOrDefault("--snapshot-every", "100"));
            rounds = Integer.parseInt(o.getOrDefault("--rounds", "3"));
            warmupRounds = Integer.parseInt(o.getOrDefault("--warmup-rounds", "4"));
            if (sensors < 1 || measure.isNegative() || measure.isZero() || warmup.isNegative() || rounds < 1
                    || warmupRounds < 0) {
                throw new IllegalArgumentException("--sensors, --seconds and --rounds must be at least 1, --warmup and"
                        + " --warmup-rounds at least 0");
            }
            extraConfig = o.getOrDefault("--pekko-config", "");
            ConfigFactory.parseString(extraConfig); // a HOCON error is bad input, reported before anything runs
        } catch (IllegalArgumentException | SchemaException | ConfigException e) {
            System.err.println("bench-persistence: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench", target.pekkoConfig(
                extraConfig + "\npekko.persistence.cassandra.journal.max-message-batch-size = " + batch));
        try (CqlSession session = target.openSession()) {
            Schema.apply(session, target.journalKeyspace(), target.snapshotKeyspace(), Replication.simple(1));
            session.execute("TRUNCATE " + target.journalKeyspace() + ".messages");
            session.execute("TRUNCATE " + target.snapshotKeyspace() + ".snapshots");
            session.execute("TRUNCATE " + target.journalKeyspace() + ".all_persistence_ids");
            System.out.printf("bench-persistence: %d sensors, one write in flight each, %d s warm-up + %d s measured per phase,"
                    + " CPU cores %d%n", sensors, warmup.toSeconds(), measure.toSeconds(), Runtime.getRuntime().availableProcessors());
            // Steady state takes minutes, not seconds: the client's JIT (measured: the Pekko side's CPU
            // per event fell from about 240 us in the first round to 45 us by the third) and a freshly
            // started Cassandra (as ops/bin/bench starts one) both warm up, and Cassandra's flushes and
            // compactions make any single round noisy (one run: 97% then 56%). So: warm-up rounds, then
            // the median of several measured rounds' ratios.
            List<ActorRef<SensorJournal.Command>> journals = recoveredJournals(system, sensors, snapshotEvery);
            List<Double> ratios = new ArrayList<>();
            for (int round = 1; round <= warmupRounds + rounds; round++) {
                boolean counted = round > warmupRounds;
                String label = counted ? " [round " + (round - warmupRounds) + " of " + rounds + "]"
                        : " [warm-up round " + round + " of " + warmupRounds + ", not counted]";
                double raw = rawDriver(session, system, target, sensors, warmup, measure);
                System.out.printf("raw java-driver async inserts: %,.0f writes/s%s%n", raw, label);
                double pekko = pekko(system, journals, warmup, measure, (round - 1) * 1_000_000L);
                System.out.printf("Pekko Persistence (SensorJournal): %,.0f events/s%s%n", pekko, label);
                System.out.printf("  ratio this round: %.0f%%%n", 100 * pekko / raw);
                if (counted) {
                    ratios.add(pekko / raw);
                }
            }
            List<Double> sorted = ratios.stream().sorted().toList();
            double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                    : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
            System.out.printf("ratio Pekko / raw: %.0f%% (median of %d rounds: %s)%n", 100 * median, ratios.size(),
                    String.join(", ", ratios.stream().map(r -> String.format("%.0f%%", 100 * r)).toList()));
        } finally {
            system.terminate();
        }
    }

    /** Inserts rows like the plugin's (same columns, same event bytes, QUORUM like its write profile). */
    static double rawDriver(CqlSession session, ActorSystem<?> system, CassandraTarget target, int sensors,
                            Duration warmup, Duration measure) {
        Serialization serialization = SerializationExtension.get(system);
        Object sample = new SensorEvent.ReplayReservationExtended(1_795_000_000L);
        byte[] event = serialization.serialize(sample).get();
        int serId = serialization.findSerializerFor(sample).identifier();
        String manifest = org.apache.pekko.serialization.Serializers.manifestFor(serialization.findSerializerFor(sample), sample);
        PreparedStatement insert = session.prepare("INSERT INTO " + target.journalKeyspace() + ".messages (persistence_id,"
                + " partition_nr, sequence_nr, timestamp, timebucket, writer_uuid, ser_id, ser_manifest, event_manifest, event)"
                + " VALUES (?, 0, ?, ?, ?, ?, ?, ?, '', ?)");
        String writer = UUID.randomUUID().toString();
        Executor executor = system.executionContext();
        return run(sensors, warmup, measure, (i, seq) -> {
            UUID ts = Uuids.timeBased();
            return session.executeAsync(insert.bind("Raw|" + i, seq, ts, "20261125T19", writer, serId, manifest,
                            ByteBuffer.wrap(event)).setConsistencyLevel(ConsistencyLevel.QUORUM).setIdempotent(true))
                    .thenApplyAsync(r -> null, executor);
        }, executor);
    }

    /** One journal per sensor, every one recovered before any clock starts: recoveries (throttled by
     * the plugin's max-concurrent-recoveries) are not steady-state writes and the raw side has none. */
    static List<ActorRef<SensorJournal.Command>> recoveredJournals(ActorSystem<?> system, int sensors, int snapshotEvery) {
        List<ActorRef<SensorJournal.Command>> journals = new ArrayList<>();
        for (int i = 0; i < sensors; i++) {
            journals.add(system.systemActorOf(SensorJournal.create(new SensorId(0xbe_0000_0000_0000L + i), snapshotEvery, 2),
                    "bench-" + i, Props.empty()));
        }
        CompletableFuture.allOf(journals.stream().map(j -> AskPattern.<SensorJournal.Command, SensorRecord>ask(j,
                SensorJournal.Get::new, Duration.ofSeconds(120), system.scheduler()).toCompletableFuture())
                .toArray(CompletableFuture[]::new)).join();
        return journals;
    }

    static double pekko(ActorSystem<?> system, List<ActorRef<SensorJournal.Command>> journals, Duration warmup,
                        Duration measure, long base) {
        Executor executor = system.executionContext();
        return run(journals.size(), warmup, measure, (i, seq) -> AskPattern.<SensorJournal.Command, SensorRecord>ask(journals.get(i),
                r -> new SensorJournal.Append(List.of(new SensorEvent.ReplayReservationExtended(1_795_000_000L + base + seq)), r),
                Duration.ofSeconds(60), system.scheduler()).thenApplyAsync(r -> null, executor), executor);
    }

    @FunctionalInterface
    interface Write {
        CompletionStage<Void> write(int sensor, long sequenceNr);
    }

    /** Every sensor writes in a loop, one write in flight; counts writes completed in the measured window. */
    private static double run(int sensors, Duration warmup, Duration measure, Write write, Executor executor) {
        LongAdder done = new LongAdder();
        AtomicBoolean counting = new AtomicBoolean(false);
        AtomicBoolean running = new AtomicBoolean(true);
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int i = 0; i < sensors; i++) {
            CompletableFuture<Void> finished = new CompletableFuture<>();
            loop(i, 1, write, done, counting, running, finished, executor);
            loops.add(finished);
        }
        sleep(warmup);
        counting.set(true);
        long start = System.nanoTime();
        long cpuStart = processCpuNanos();
        sleep(measure);
        long writes = done.sum();
        long failedLoops = loops.stream().filter(CompletableFuture::isCompletedExceptionally).count();
        long cpu = processCpuNanos() - cpuStart;
        double seconds = (System.nanoTime() - start) / 1e9;
        running.set(false);
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
        // CPU per write of this JVM (client side only): on a machine shared with Cassandra, the
        // client's CPU is what the Pekko side spends beyond the raw driver, and unlike the rates
        // it hardly depends on what else the machine is doing.
        System.out.printf("  (this JVM: %,.0f us CPU per write, %.2f cores)%n", cpu / 1e3 / Math.max(1, writes), cpu / 1e9 / seconds);
        if (failedLoops > 0) {
            System.out.printf("  WARNING: %d of %d writers failed during the run (their first error: %s); the rate is not valid%n",
                    failedLoops, sensors, loops.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst()
                            .map(f -> f.handle((r, e) -> String.valueOf(e)).join()).orElse("?"));
        }
        return writes / seconds;
    }

    private static void loop(int sensor, long seq, Write write, LongAdder done, AtomicBoolean counting, AtomicBoolean running,
                             CompletableFuture<Void> finished, Executor executor) {
        if (!running.get()) {
            finished.complete(null);
            return;
        }
        write.write(sensor, seq).whenCompleteAsync((r, e) -> {
            if (e != null) {
                finished.completeExceptionally(e);
                return;
            }
            if (counting.get()) {
                done.increment();
            }
            loop(sensor, seq + 1, write, done, counting, running, finished, executor);
        }, executor);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis()); // the benchmark's measuring window, not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
