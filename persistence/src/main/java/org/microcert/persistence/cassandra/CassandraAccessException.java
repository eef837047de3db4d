package org.microcert.persistence.cassandra;

/**
 * Cassandra refused this client (credentials, TLS) or its access settings cannot be used. The
 * message is one line for the operator, names the setting or file at fault, and never holds a password.
 */
public final class CassandraAccessException extends RuntimeException {

    public CassandraAccessException(String message) {
        super(message);
    }
}
