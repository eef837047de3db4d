package org.microcert.cluster.http;

import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.microcert.protocol.MalformedEnvelopeException;
import org.microcert.protocol.SeedEnvelope;
import org.microcert.protocol.SensorId;

/** Seed envelopes in operator requests: decoded and checked before anything is asked of a sensor. */
final class Envelopes {

    private Envelopes() {}

    static SeedEnvelope decode(byte[] bytes, SeedEnvelope.Kind kind) {
        SeedEnvelope env;
        try {
            env = SeedEnvelope.decode(bytes);
        } catch (MalformedEnvelopeException e) {
            throw new ApiError(StatusCodes.BAD_REQUEST, "BAD_ENVELOPE", e.getMessage());
        }
        if (env.kind() != kind) {
            throw new ApiError(StatusCodes.BAD_REQUEST, "BAD_ENVELOPE", "expected a " + kind + " envelope, got " + env.kind());
        }
        if (env.sensorId().value() == 0) { // reserved (docs/protocol.md): no sensor has it
            throw new ApiError(StatusCodes.BAD_REQUEST, "BAD_SENSOR_ID", "sensor id 0000000000000000 is reserved");
        }
        return env;
    }

    /** The envelope must be for the sensor of the path. */
    static void requireFor(SensorId id, SeedEnvelope env) {
        if (!env.sensorId().equals(id)) {
            throw new ApiError(StatusCodes.BAD_REQUEST, "BAD_ENVELOPE",
                    "the envelope is for sensor " + env.sensorId() + ", not " + id);
        }
    }
}
