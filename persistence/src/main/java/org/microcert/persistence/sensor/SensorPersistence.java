package org.microcert.persistence.sensor;

import java.util.Optional;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.microcert.protocol.SensorId;

/**
 * How a sensor's journal is named: persistence id {@code Sensor|<16 lower-case hex digits>}, the id the
 * cluster's sharded {@code SensorEntity} gets ({@code PersistenceId.of(TYPE_KEY.name(), entityId)}
 * with type key {@code Sensor} and the sensor id's text form as entity id). The audit, backup and
 * restore find sensors by this name.
 */
public final class SensorPersistence {

    /** The entity type name, the part before {@code |}. */
    public static final String ENTITY_TYPE = "Sensor";

    private static final String PREFIX = ENTITY_TYPE + PersistenceId.DefaultSeparator();

    private SensorPersistence() {
    }

    public static PersistenceId persistenceId(SensorId sensor) {
        return PersistenceId.of(ENTITY_TYPE, sensor.toString());
    }

    /**
     * The sensor of a persistence id, empty for ids of other entities and for any id that is not
     * exactly {@link #persistenceId} of its sensor: the entity reads only that spelling, so a journal
     * under another one (upper-case hex, say) is never a sensor's.
     */
    public static Optional<SensorId> sensorIdOf(String persistenceId) {
        if (!isSensorNamespace(persistenceId)) {
            return Optional.empty();
        }
        SensorId sensor;
        try {
            sensor = SensorId.parse(persistenceId.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return persistenceId(sensor).id().equals(persistenceId) ? Optional.of(sensor) : Optional.empty();
    }

    /** Whether a persistence id starts like a sensor's ({@code Sensor|}), canonical or not. */
    public static boolean isSensorNamespace(String persistenceId) {
        return persistenceId != null && persistenceId.startsWith(PREFIX);
    }
}
