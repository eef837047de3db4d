package org.microcert.persistence.card;

import java.util.Objects;

/**
 * A failure of an {@link EncryptionCard} or of the key ceremony, named by a {@link Reason}.
 * Messages name what failed (a path, a sensor id, a key version) and never carry key material, seed
 * bytes, passwords or PINs; provider exceptions are kept as the cause only where they carry no data.
 */
public final class CardException extends RuntimeException {

    /** Why a card operation failed; callers switch on this rather than parsing messages. */
    public enum Reason {
        /** The keystore, token configuration or state file named does not exist or cannot be read. */
        NOT_FOUND,
        /** The password or PIN was refused. */
        WRONG_SECRET,
        /** The keystore or token is readable but is not a usable MicroCert card (keys missing, bad format). */
        INVALID_CARD,
        /** A sealed record names a K_store version this card does not hold. */
        UNKNOWN_KEY_VERSION,
        /** A sealed record failed authentication: altered, copied to another sensor, or rolled back. */
        RECORD_REJECTED,
        /** A transport envelope failed authentication under K_trans, or is not a transport envelope. */
        ENVELOPE_REJECTED,
        /** A record digest did not match the record. */
        DIGEST_MISMATCH,
        /** The card's set-digest state file failed its MAC check. */
        STATE_TAMPERED,
        /** Reading or writing a file, or talking to the token, failed. */
        IO,
        /** An argument was malformed (wrong length, wrong kind, out of range). */
        INVALID_ARGUMENT,
        /** The card was closed. */
        CLOSED
    }

    private final Reason reason;
    private final String detail;

    public CardException(Reason reason, String message) {
        this(reason, message, null);
    }

    public CardException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.detail = message;
    }

    public Reason reason() {
        return reason;
    }

    /** The message without the reason: what a caller may show (card messages never hold key material). */
    public String detail() {
        return detail;
    }
}
