package org.microcert.cluster.application;

import org.apache.pekko.stream.javadsl.Source;
import org.microcert.protocol.SensorId;

/** The ids of every sensor in the journal, for fleet-wide operations (the port rewrap-all reads). */
public interface SensorIds {
    /**
     * A finite stream of the sensor ids persisted so far.
     *
     * @throws KeyOperationRefused ({@code NOT_AVAILABLE}) when this node's journal cannot list them
     */
    Source<SensorId, ?> current();
}
