package org.microcert.simulator.load;

import java.util.stream.IntStream;

/**
 * Requests built before the clock starts: {@link #create} hands out request {@code i} of a source,
 * made in advance on every core. For benchmarks where building a request (a batch's hundreds of
 * CSK derivations, MACs and its JSON) would take the CPU the measured server needs: on a shared box
 * the client's crypto is then not counted against the server. The certificates carry the time
 * they were built, so they are at most the build time plus the run's length old when sent: the
 * run must be short against the center's clock-skew window (120 s by default).
 */
public final class Prebuilt implements Operation.Source {

    private final Operation[] operations;

    private Prebuilt(Operation[] operations) {
        this.operations = operations;
    }

    /** Builds requests 0 to {@code count - 1} of {@code source}. */
    public static Prebuilt build(Operation.Source source, long count) {
        if (count < 0 || count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("cannot prebuild " + count + " requests");
        }
        Operation[] ops = new Operation[(int) count];
        IntStream.range(0, ops.length).parallel().forEach(i -> {
            try {
                ops[i] = source.create(i);
            } catch (RuntimeException e) {
                ops[i] = new Failed(e); // thrown again when sent: the driver counts it as a client failure
            }
        });
        return new Prebuilt(ops);
    }

    public int size() {
        return operations.length;
    }

    @Override
    public Operation create(long index) {
        if (index < 0 || index >= operations.length) {
            throw new IllegalStateException("request " + index + " was not prebuilt (" + operations.length + " were)");
        }
        Operation op = operations[(int) index];
        if (op == null) {
            throw new IllegalStateException("request " + index + " was already handed out");
        }
        operations[(int) index] = null; // sent once; let its body go
        if (op instanceof Failed f) {
            throw f.error();
        }
        return op;
    }

    /** A request whose building failed. */
    private record Failed(RuntimeException error) implements Operation {
        @Override
        public org.microcert.simulator.traffic.TrafficKind kind() {
            return org.microcert.simulator.traffic.TrafficKind.BATCH;
        }

        @Override
        public java.util.concurrent.CompletableFuture<java.util.List<Item>> send() {
            return java.util.concurrent.CompletableFuture.failedFuture(error);
        }
    }
}
