package org.microcert.protocol;

import java.util.Objects;

/**
 * A certificate, payload, command or envelope was rejected. {@link #reason()} is the stable,
 * machine-readable outcome; the message adds detail without secrets.
 */
public final class VerificationException extends ProtocolException {

    private final RejectReason reason;

    public VerificationException(RejectReason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Why it was rejected. */
    public RejectReason reason() {
        return reason;
    }
}
