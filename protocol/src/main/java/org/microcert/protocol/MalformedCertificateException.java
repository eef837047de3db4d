package org.microcert.protocol;

/** A micro-certificate that failed strict decoding; {@link #reason()} says how. */
public final class MalformedCertificateException extends MalformedInputException {

    public MalformedCertificateException(Defect reason, String message) {
        super(reason, message);
    }
}
