package org.microcert.persistence.sensor;

/**
 * Marker for every message that is persisted (events, snapshots) or crosses the network: bound to
 * Pekko's {@code jackson-cbor} serializer in {@code serialization.conf}. Java serialization is off,
 * so a persisted type that does not implement this fails loudly instead of falling back.
 */
public interface CborSerializable {
}
