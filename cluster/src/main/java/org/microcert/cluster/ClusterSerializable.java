package org.microcert.cluster;

/**
 * Marker for messages that cross nodes (commands to sensor entities and their replies), bound to
 * Jackson CBOR in {@code cluster-serialization.conf}. Java serialization stays off.
 */
public interface ClusterSerializable {}
