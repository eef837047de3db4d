package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waits for a condition with a deadline (for tests that watch something happen elsewhere). */
public final class Poll {

    private static final long STEP_MILLIS = 20;

    private Poll() {}

    /**
     * Checks {@code condition} every {@value #STEP_MILLIS} ms until it holds; fails naming {@code what}
     * when it still does not after {@code timeout}. An exception from the condition counts as "not yet".
     */
    public static void until(Duration timeout, String what, Callable<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (true) {
            try {
                if (condition.call()) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                fail(what + " did not happen within " + timeout.toMillis() + " ms"
                        + (last == null ? "" : " (last attempt: " + last + ")"));
            }
            Thread.sleep(STEP_MILLIS);
        }
    }
}
