package org.microcert.protocol;

import java.util.Objects;

/** Bytes that failed strict decoding; {@link #reason()} says how. Subclasses name what was decoded. */
public abstract class MalformedInputException extends ProtocolException {

    private final Defect reason;

    MalformedInputException(Defect reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The kind of defect. */
    public Defect reason() {
        return reason;
    }
}
