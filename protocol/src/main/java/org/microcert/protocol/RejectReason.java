package org.microcert.protocol;

/** Why a certificate, payload, command or envelope was rejected. Stable names: used in logs, metrics and the HTTP API. */
public enum RejectReason {
    /** The tag (MAC or AEAD) does not match: wrong seed, tampered bytes or forgery. */
    BAD_TAG,
    /** The timestamp is older than the allowed clock skew. */
    STALE_TIMESTAMP,
    /** The timestamp is further in the future than the allowed clock skew. */
    FUTURE_TIMESTAMP,
    /** The timestamp falls outside the five years the key seed covers. */
    SEED_EXPIRED,
    /** The bytes do not decode. */
    MALFORMED,
    /** The suite is unknown or not accepted by this verifier. */
    UNSUPPORTED_SUITE,
    /** The certificate or envelope is of another type than the operation expects. */
    WRONG_TYPE,
    /** The certificate or envelope names another sensor. */
    WRONG_SENSOR,
    /** The seed version is not the one expected (e.g. an update that does not advance the version). */
    WRONG_SEED_VERSION,
    /**
     * Already accepted: a COMMAND or ENC_DOWN the chip accepted before (or older than what it still
     * remembers), or a certificate the center accepted before (the center's replay memory). One name
     * on both sides and on the wire.
     */
    REPLAY,
    /** The chip's seed was revoked; it makes and accepts nothing. */
    REVOKED
}
