package org.microcert.persistence.card;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SensorId;

/**
 * Benchmark, not a test: sealed-seed opens per second (what every authentication costs the center)
 * on a software card and, if configured, a PKCS#11 card, against a baseline measured in the same run:
 * the same AES-256-GCM decryption and seed parsing done directly with JCE, without a card.
 * <pre>
 * ops/bin/bench-card [seconds] [threads]
 *   env MICROCERT_BENCH_PKCS11=token.properties MICROCERT_BENCH_PIN=... (and SOFTHSM2_CONF) adds a token
 * </pre>
 * The token must be empty or hold the keys of an earlier run of this benchmark's ceremony; it gets the
 * benchmark's throwaway keys.
 */
public final class CardBenchmark {

    private interface Op {
        void run(int i) throws Exception;
    }

    private CardBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        Path dir = Files.createTempDirectory("microcert-card-bench");
        char[] pw = "benchmark only".toCharArray();
        Path master = dir.resolve("master.bcfks");
        KeyCeremony.createWithTransportKey(master, pw);
        SecureRandom random = new SecureRandom();
        List<SealedSeed> sealed = new ArrayList<>();
        CardKeyMaterial m = SoftwareCard.readKeystore(master, pw);
        byte[] rawStore = m.store().get(1).clone();
        m.destroy();
        try (SoftwareCard card = SoftwareCard.open(master, pw, dir.resolve("s.state"))) {
            for (int i = 0; i < 1024; i++) {
                KeySeed seed = KeySeed.generate(random, 1, 2026);
                sealed.add(card.seal(new SensorId(i), CipherSuite.AES128, seed));
                seed.destroy();
            }

            SecretKeySpec key = new SecretKeySpec(rawStore, "AES");
            java.security.Provider sunJce = java.security.Security.getProvider("SunJCE");
            Map<String, Op> ops = new LinkedHashMap<>();
            ops.put("baseline: JCE AES-256-GCM + KeySeed.fromBytes", i -> {
                SealedSeed s = sealed.get(i & 1023);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding", sunJce);
                c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, s.nonce()));
                c.updateAAD(JceCard.sealAd(s.sensorId(), s.seedVersion(), s.keyVersion(), s.suite(), s.epochYear()));
                KeySeed.fromBytes(c.doFinal(s.ciphertext())).destroy();
            });
            ops.put("software card open()", i -> card.open(sealed.get(i & 1023)).destroy());
            ops.put("software card digest()", i -> card.digest(sealed.get(i & 1023)));
            // Each call appends to the reference log and rewrites the state file, both forced (group-committed
            // across threads): the cost of a provisioning or update.
            ops.put("software card recordReplaced() (state file)", i -> card.recordReplaced(sealed.get(i & 1023),
                    sealed.get((i + 1) & 1023)));
            Pkcs11Card token = null;
            String tokenConf = System.getenv("MICROCERT_BENCH_PKCS11");
            if (tokenConf != null) {
                char[] pin = System.getenv().getOrDefault("MICROCERT_BENCH_PIN", "").toCharArray();
                Pkcs11Config config = Pkcs11Config.load(Path.of(tokenConf));
                KeyCeremony.distribute(master, pw, List.of(new KeyCeremony.Token(config, pin)));
                Pkcs11Card t = Pkcs11Card.open(config, pin, dir.resolve("t.state"), 0);
                token = t;
                ops.put("PKCS#11 card open()", i -> t.open(sealed.get(i & 1023)).destroy());
                ops.put("PKCS#11 card digest()", i -> t.digest(sealed.get(i & 1023)));
            }
            for (Op op : ops.values()) { // warm every path up before measuring any
                run(op, Math.max(1, seconds / 2), threads);
            }
            double baseline = 0;
            for (Map.Entry<String, Op> e : ops.entrySet()) {
                long start = System.nanoTime();
                long n = run(e.getValue(), seconds, threads);
                double perSecond = n / ((System.nanoTime() - start) / 1e9);
                baseline = baseline == 0 ? perSecond : baseline;
                System.out.printf("%-48s %,10.0f ops/s   %.2f x baseline%n", e.getKey(), perSecond, perSecond / baseline);
            }
            if (token != null) {
                token.close();
            }
        } finally {
            java.util.Arrays.fill(rawStore, (byte) 0);
        }
    }

    private static long run(Op op, int seconds, int threads) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Long>> counts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t * 97;
                counts.add(pool.submit(() -> {
                    long i = 0;
                    while (!stop.get()) {
                        op.run((int) (offset + i++));
                    }
                    return i;
                }));
            }
            Thread.sleep(seconds * 1000L); // the measuring window itself, not synchronisation
            stop.set(true);
            long total = 0;
            for (Future<Long> f : counts) {
                total += f.get();
            }
            return total;
        } finally {
            pool.shutdownNow();
        }
    }
}
