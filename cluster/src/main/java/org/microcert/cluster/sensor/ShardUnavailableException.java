package org.microcert.cluster.sensor;

import java.util.concurrent.TimeoutException;
import org.microcert.protocol.SensorId;

/**
 * The sensor's shard cannot answer now (its node is unreachable, or the shard is being handed off):
 * answered at once rather than after the ask timeout. A TimeoutException, so every caller that maps
 * a timed-out ask to {@code 503 UNAVAILABLE} with {@code Retry-After} does the same with it.
 */
public final class ShardUnavailableException extends TimeoutException {

    public ShardUnavailableException(SensorId sensor) {
        super("the shard of sensor " + sensor + " is on an unreachable node or being handed over; retry later");
    }
}
