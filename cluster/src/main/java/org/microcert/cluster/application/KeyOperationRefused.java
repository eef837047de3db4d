package org.microcert.cluster.application;

/**
 * A key operation refused before anything was changed. The {@link Reason}'s name is the stable error
 * code; the message is for the operator (no internals, no secrets).
 */
public final class KeyOperationRefused extends RuntimeException {

    /** Every way the application layer refuses; the gateway maps each to a status in an exhaustive switch. */
    public enum Reason {
        /** The intent record could not be stored: the audit-first rule forbids running the operation. */
        AUDIT_UNAVAILABLE,
        /** This node cannot do it at all (no Cassandra journal to list the fleet from). */
        NOT_AVAILABLE
    }

    private final Reason reason;

    public KeyOperationRefused(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    static KeyOperationRefused auditUnavailable() {
        return new KeyOperationRefused(Reason.AUDIT_UNAVAILABLE,
                "the audit trail cannot be written; nothing was changed; retry later");
    }
}
