package org.microcert.protocol;

/**
 * Base of every checked error the protocol raises. Messages name the problem and never contain
 * secret material (seed rows, keys, plaintexts), so they are safe to log and to return to clients.
 */
public abstract class ProtocolException extends Exception {

    ProtocolException(String message) {
        super(message);
    }
}
