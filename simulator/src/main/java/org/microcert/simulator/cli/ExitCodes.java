package org.microcert.simulator.cli;

/**
 * The exit statuses of {@code microcert-sim} (part of its interface: scripts and CI read them).
 * 2, a usage error, is picocli's own {@code exitCodeOnInvalidInput}.
 */
public final class ExitCodes {

    public static final int PASSED = 0;
    /** A bad item accepted or a good one rejected. */
    public static final int WRONG_OUTCOME = 1;
    /** Gateway unreachable, provisioning refused, or any other failure before the measurement. */
    public static final int SETUP = 3;
    /** Too many items without a verdict (or requests without an answer). */
    public static final int FAILURES = 4;

    private ExitCodes() {}
}
