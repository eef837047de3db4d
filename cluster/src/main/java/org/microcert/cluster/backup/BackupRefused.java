package org.microcert.cluster.backup;

/**
 * Why no backup was written. The message is for the operator (no internals, no secrets); the
 * {@link Reason}'s name is the stable error code the gateway answers with.
 */
public final class BackupRefused extends RuntimeException {

    /** Every way a backup can be refused; the gateway maps each to a status in an exhaustive switch. */
    public enum Reason {
        /** This node runs without the Cassandra journal. */
        NOT_AVAILABLE,
        /** Some Up member's card share did not arrive in time. */
        CARD_STATE_UNAVAILABLE,
        /** A member's card share failed its MAC check. */
        CARD_STATE_REJECTED,
        /** The journal does not match the cards' combined set digest. */
        AUDIT_FAILED,
        /** The key database did not answer the scan. */
        UNAVAILABLE,
        /** Anything else (logged on the node). */
        INTERNAL
    }

    private final Reason reason;

    public BackupRefused(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
