package org.microcert.cluster.sensor;

/** Why a sensor entity refused an operator command; stable names, the {@code error} of the HTTP API. */
public enum RefusalCode {
    /** No key seed is provisioned for the sensor. */
    UNKNOWN_SENSOR,
    /** The sensor already has a key seed (provisioning is not repeated). */
    ALREADY_PROVISIONED,
    /** The sensor is revoked: it holds no usable seed. */
    REVOKED,
    /** The seed envelope does not decode, open, or belong to this sensor and operation. */
    BAD_ENVELOPE,
    /** The seed's five years are over: nothing can be made with it. */
    SEED_EXPIRED,
    /** A seed-update envelope arrived without an update started. */
    NO_UPDATE_PENDING,
    /** The envelope's seed version is not the one the pending update expects. */
    WRONG_SEED_VERSION,
    /**
     * The pending update already holds as many offered seeds as it keeps (the sensor lost that many
     * answers): cancel the update and start it again.
     */
    TOO_MANY_OFFERS,
    /** Nothing is pending for the sensor: no seed update, no revocation being delivered. */
    NOTHING_PENDING,
    /**
     * The seed inside a TRANSPORT envelope breaks the provisioning policy: a first seed is version 1
     * and its five years cover the present (docs/http-api.md).
     */
    BAD_SEED,
    /**
     * Retry: this node no longer holds the sensor's shard (its lease lapsed: nothing was done, or it
     * may not count), or, for a sensor's own seed upload, the node is looking up too many unknown ids
     * (docs/security.md).
     */
    UNAVAILABLE,
    /** The encryption card refused the operation (see the node's log). */
    INTERNAL
}
