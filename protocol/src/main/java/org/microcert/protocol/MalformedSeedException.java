package org.microcert.protocol;

/** A serialised key seed that failed strict decoding; {@link #reason()} says how. */
public final class MalformedSeedException extends MalformedInputException {

    public MalformedSeedException(Defect reason, String message) {
        super(reason, message);
    }
}
