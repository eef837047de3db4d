package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class FailuresTest {

    @Test
    void nestedWrappersOfBothKindsAreStripped() {
        IOException root = new IOException("disk full");
        Throwable wrapped = new CompletionException(new ExecutionException(new CompletionException(root)));
        assertSame(root, Failures.cause(wrapped));
    }

    @Test
    void aWrapperWithoutACauseIsKept() {
        CompletionException bare = new CompletionException("no cause", null);
        assertSame(bare, Failures.cause(bare));
        ExecutionException inner = new ExecutionException("no cause", null);
        assertSame(inner, Failures.cause(new CompletionException(inner)));
    }

    @Test
    void anythingElseIsPassedThrough() {
        IllegalStateException plain = new IllegalStateException("x", new CompletionException(new IOException()));
        assertSame(plain, Failures.cause(plain)); // its own cause is not a wrapper to strip
        assertNull(Failures.cause(null));
    }

    @Test
    void aCycleOfWrappersEnds() {
        CompletionException a = new CompletionException("a") { }; // the cause is set below, once
        ExecutionException b = new ExecutionException("b", a);
        a.initCause(b);
        // a -> b -> a: without the guard this would spin forever, hence the timeout
        Throwable found = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> Failures.cause(a));
        assertSame(a, found);
    }
}
