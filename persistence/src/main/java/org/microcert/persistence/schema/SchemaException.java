package org.microcert.persistence.schema;

/** Invalid schema settings (keyspace name, replication) or a failure applying the schema. */
public final class SchemaException extends RuntimeException {

    public SchemaException(String message) {
        super(message);
    }

    public SchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
