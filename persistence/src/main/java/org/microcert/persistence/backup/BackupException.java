package org.microcert.persistence.backup;

/** A backup could not be written, or a backup file was refused; {@link #reason()} says why. */
public final class BackupException extends RuntimeException {

    /** Why. */
    public enum Reason {
        /** The file does not start like a MicroCert backup. */
        NOT_A_BACKUP,
        /** A format version this code does not read. */
        UNSUPPORTED_VERSION,
        /** The file ends early. */
        TRUNCATED,
        /** Bytes were changed: the MAC, a length or a record does not check. */
        CORRUPTED,
        /** The records' set digest is not the one the card MAC'd, or a record fails to authenticate. */
        DIGEST_MISMATCH,
        /** Restore needs empty journal and snapshot tables. */
        TARGET_NOT_EMPTY,
        /** The journal failed the audit; a backup of it would preserve the tampering. */
        AUDIT_FAILED,
        /** Reading, writing or Cassandra failed. */
        IO
    }

    private final Reason reason;

    public BackupException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public BackupException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
