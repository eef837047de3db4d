package org.microcert.cluster.sensor;

import org.microcert.cluster.replay.ReplayGuard;
import org.microcert.protocol.Defect;
import org.microcert.protocol.MalformedCertificateException;
import org.microcert.protocol.RejectReason;

/**
 * Why the center rejected a certificate: every reason of the protocol ({@link RejectReason}, same
 * names) and the center's own. Names are stable: they are the {@code reason} of the HTTP API
 * (docs/http-api.md) and a metrics label.
 */
public enum VerdictReason {
    // The protocol's reasons, in RejectReason's order (of(RejectReason) maps by name).
    BAD_TAG, STALE_TIMESTAMP, FUTURE_TIMESTAMP, SEED_EXPIRED, MALFORMED, UNSUPPORTED_SUITE, WRONG_TYPE, WRONG_SENSOR,
    WRONG_SEED_VERSION,
    /** The certificate was already accepted (the center's replay memory). */
    REPLAY,
    REVOKED,
    /** No key seed is provisioned for the sensor. */
    UNKNOWN_SENSOR,
    /** The center recovered the sensor's state and refuses certificates up to its reservation horizon. */
    REPLAY_WINDOW_RESET,
    /** Too many certificates of one sensor within the skew window. */
    RATE_LIMITED,
    /** The sensor's shard or the key database did not answer in time; retry. */
    UNAVAILABLE,
    /** The center cannot use the sensor's key record (see the node's log). */
    INTERNAL;

    /** The center's name of a protocol reason. */
    public static VerdictReason of(RejectReason reason) {
        return valueOf(reason.name());
    }

    /** Why bytes that did not decode are refused: an unknown suite byte is UNSUPPORTED_SUITE, as in the protocol's verifier. */
    public static VerdictReason of(MalformedCertificateException e) {
        return e.reason() == Defect.UNKNOWN_SUITE ? UNSUPPORTED_SUITE : MALFORMED;
    }

    /** The center's name of a replay refusal (same name). */
    public static VerdictReason of(ReplayGuard.Reason reason) {
        return valueOf(reason.name());
    }
}
