package org.microcert.ops.cassandra;

/**
 * A Cassandra process could not be started, reached or stopped. {@link #reason()} says which case
 * it is so that callers (the CLI, the test fixture) can react without parsing the message; the
 * message is meant for a person and names the port, directory or log file involved.
 */
public final class CassandraException extends RuntimeException {

    /** Why the operation failed. */
    public enum Reason {
        /** A port in the settings is already bound by another process. */
        PORT_IN_USE,
        /** A Cassandra started from the same directory is already running. */
        ALREADY_RUNNING,
        /** No Cassandra started from this directory is running. */
        NOT_RUNNING,
        /** The Cassandra process exited before CQL answered (see its log). */
        START_FAILED,
        /** CQL did not answer within the start timeout; the process was stopped. */
        START_TIMEOUT,
        /** The Java runtime cannot run Cassandra 5.0 (it needs Java 11 or 17). */
        UNSUPPORTED_JAVA,
        /** The generated Cassandra classpath is missing or names missing jars. */
        CLASSPATH_MISSING,
        /** A JMX operation (flush) failed. */
        JMX_FAILED,
        /** The settings are invalid (bad port, directory, flag). */
        BAD_SETTINGS
    }

    private final Reason reason;

    public CassandraException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public CassandraException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
