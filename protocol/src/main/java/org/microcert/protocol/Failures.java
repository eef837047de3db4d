package org.microcert.protocol;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Not protocol: a helper for the modules above, kept here because this is the module they all
 * depend on.
 */
public final class Failures {

    private Failures() {
    }

    /**
     * The failure a future's wrappers stand for: {@code failure} with its chain of
     * {@link CompletionException} and {@link ExecutionException} stripped. A wrapper without a
     * cause is returned as it is (it is all there is to tell); a cycle of wrappers ends at the
     * first one seen again. Anything else is returned unchanged, {@code null} included.
     */
    public static Throwable cause(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException)
                && t.getCause() != null && seen.add(t)) {
            t = t.getCause();
        }
        return t;
    }
}
