package org.microcert.persistence.sensor;

import java.util.Optional;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.microcert.protocol.SensorId;

/**
 * How a sensor's journal is named: persistence id {@code Sensor|<16 hex digits>}, the id the
 * cluster's sharded {@code SensorEntity} gets ({@code PersistenceId.of(TYPE_KEY.name(), entityId)}
 * with type key {@code Sensor} and the sensor id's text form as entity id). The audit, backup and
 * restore find sensors by this name.
 */
public final class SensorPersistence {

    /** The entity type name, the part before {@code |}. */
    public static final String ENTITY_TYPE = "Sensor";

    private SensorPersistence() {
    }

    public static PersistenceId persistenceId(SensorId sensor) {
        return PersistenceId.of(ENTITY_TYPE, sensor.toString());
    }

    /** The sensor of a persistence id, empty for ids of other entities or malformed ones. */
    public static Optional<SensorId> sensorIdOf(String persistenceId) {
        String prefix = ENTITY_TYPE + PersistenceId.DefaultSeparator();
        if (persistenceId == null || !persistenceId.startsWith(prefix)) {
            return Optional.empty();
        }
        try {
            return Optional.of(SensorId.parse(persistenceId.substring(prefix.length())));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
