package org.microcert.cluster.sensor;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Answers a key operation once the card's ledger holds its change: the ledger's group commit runs
 * off the entity's dispatcher, so the entity takes its next command while the write is pending. A
 * write that fails, or cannot be started, is never answered (the caller's ask times out): the
 * change stays in the card's memory and goes out with its next write.
 */
final class LedgerReply {

    private LedgerReply() {}

    static void whenDurable(Supplier<CompletionStage<Void>> ledger, Runnable reply, Runnable failed) {
        CompletionStage<Void> durable;
        try {
            durable = ledger.get();
        } catch (RuntimeException e) {
            failed.run();
            return;
        }
        // replyTo.tell is thread-safe: no need to come back to the entity's dispatcher
        durable.whenComplete((ok, failure) -> (failure == null ? reply : failed).run());
    }
}
