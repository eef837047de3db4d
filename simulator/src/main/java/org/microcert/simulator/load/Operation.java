package org.microcert.simulator.load;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.Verdict;

/**
 * One request, built at the moment it is actually sent (a certificate carries its send time).
 * {@link #send()} completes normally with one verdict per item, even when the transport fails
 * (then with {@link Verdict.Failed} items); the driver treats an exceptional completion the same way.
 */
public interface Operation {

    /** The kind this request's latency is recorded under. */
    TrafficKind kind();

    CompletableFuture<List<Item>> send();

    /** The verdict on one item of a request (a batch has many). */
    record Item(TrafficKind kind, Verdict verdict) {}

    /** Makes request number {@code index}. Called from the scheduler or completion threads. */
    @FunctionalInterface
    interface Source {
        Operation create(long index);
    }
}
