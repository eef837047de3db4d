package org.microcert.protocol;

/** A seed envelope that failed strict decoding; {@link #reason()} says how. */
public final class MalformedEnvelopeException extends MalformedInputException {

    public MalformedEnvelopeException(Defect reason, String message) {
        super(reason, message);
    }
}
