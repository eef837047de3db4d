import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * How long this machine keeps a ready thread waiting: a bystander JVM that asks to sleep 1 ms, over
 * and over, and records how much longer each sleep took (the idea of jHiccup). Run it next to a
 * benchmark to see what part of a latency tail the machine itself adds (docs/simulator.md, "The
 * half-rate p99 and the machine's floor"):
 *
 * <pre>java ops/diagnostics/StallMeter.java SECONDS</pre>
 *
 * Prints one entry per second, {@code second:worst-ms/over-5ms/over-20ms}, then the distribution of
 * all stalls. Not a benchmark of MicroCert; nothing of it runs in the product.
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
        long[] stalls = new long[seconds * 1_100]; // at most one sample per ms
        int n = 0;
        StringBuilder line = new StringBuilder();
        for (int s = 0; s < seconds; s++) {
            long end = System.nanoTime() + 1_000_000_000L;
            long worst = 0;
            int over5 = 0, over20 = 0;
            while (System.nanoTime() < end) {
                long start = System.nanoTime();
                LockSupport.parkNanos(1_000_000);
                long stall = System.nanoTime() - start - 1_000_000;
                worst = Math.max(worst, stall);
                over5 += stall > 5_000_000 ? 1 : 0;
                over20 += stall > 20_000_000 ? 1 : 0;
                if (n < stalls.length) {
                    stalls[n++] = stall;
                }
            }
            line.append(String.format(Locale.ROOT, "%d:%.1f/%d/%d ", s, worst / 1e6, over5, over20));
            if (line.length() > 100) {
                System.out.println(line.toString().strip());
                line.setLength(0);
            }
        }
        System.out.println(line.toString().strip());
        long[] all = Arrays.copyOf(stalls, n);
        Arrays.sort(all);
        System.out.printf(Locale.ROOT, "%,d sleeps of 1 ms: stall p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n",
                n, all[n / 2] / 1e6, all[(int) (n * 0.99)] / 1e6, all[(int) (n * 0.999)] / 1e6, all[n - 1] / 1e6);
    }
}
