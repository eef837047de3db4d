import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * How long this machine keeps a ready thread waiting: a bystander JVM that asks to sleep 1 ms, over
 * and over, and records how much longer each sleep took (the idea of jHiccup). Run it next to a
 * benchmark to see what part of a latency tail the machine itself adds (docs/benchmarks.md, "The
 * half-rate p99 and the machine's floor"):
 *
 * <pre>java ops/diagnostics/StallMeter.java SECONDS</pre>
 *
 * Prints one entry per second, {@code second:worst-ms/over-5ms/over-20ms}, then the distribution of
 * all stalls (to 0.1 ms). Not a benchmark of MicroCert; nothing of it runs in the product.
 */
public final class StallMeter {
    public static void main(String[] args) {
        int seconds;
        try {
            seconds = Integer.parseInt(args.length == 1 ? args[0] : "");
        } catch (NumberFormatException e) {
            seconds = 0;
        }
        if (seconds < 1 || seconds > 86_400) {
            System.err.println("usage: java ops/diagnostics/StallMeter.java SECONDS (1 to 86400)");
            System.exit(2);
        }
        // stalls in 0.1 ms buckets up to 1 s, longer ones in the last: fixed memory for any length
        long[] buckets = new long[10_001];
        long n = 0, longest = 0;
        StringBuilder line = new StringBuilder();
        for (int s = 0; s < seconds; s++) {
            long end = System.nanoTime() + 1_000_000_000L;
            long worst = 0;
            int over5 = 0, over20 = 0;
            while (System.nanoTime() < end) {
                long start = System.nanoTime();
                LockSupport.parkNanos(1_000_000);
                long stall = Math.max(0, System.nanoTime() - start - 1_000_000); // a park may return early
                worst = Math.max(worst, stall);
                over5 += stall > 5_000_000 ? 1 : 0;
                over20 += stall > 20_000_000 ? 1 : 0;
                buckets[(int) Math.min(stall / 100_000, buckets.length - 1)]++;
                n++;
            }
            longest = Math.max(longest, worst);
            line.append(String.format(Locale.ROOT, "%d:%.1f/%d/%d ", s, worst / 1e6, over5, over20));
            if (line.length() > 100) {
                System.out.println(line.toString().strip());
                line.setLength(0);
            }
        }
        System.out.println(line.toString().strip());
        System.out.printf(Locale.ROOT, "%,d sleeps of 1 ms: stall p50 %s, p99 %s, p99.9 %s, max %.2f ms%n", n,
                percentile(buckets, n, 0.5), percentile(buckets, n, 0.99), percentile(buckets, n, 0.999), longest / 1e6);
    }

    /** The bucket's upper bound below which {@code q} of the {@code n} stalls fell. */
    private static String percentile(long[] buckets, long n, double q) {
        long seen = 0;
        for (int i = 0; i < buckets.length - 1; i++) {
            seen += buckets[i];
            if (seen >= q * n) {
                return String.format(Locale.ROOT, "%.1f ms", (i + 1) / 10.0);
            }
        }
        return "> 1000 ms";
    }
}
