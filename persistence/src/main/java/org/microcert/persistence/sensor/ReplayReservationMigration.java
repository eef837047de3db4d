package org.microcert.persistence.sensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * {@link SensorEvent.ReplayReservationExtended} version 1 held the reservation in epoch
 * milliseconds as {@code reservedUntil}; version 2 holds epoch seconds as
 * {@code reservedUntilEpochSecond}, the unit of certificate timestamps. Rounds up: a reservation
 * must never shrink, or a replay inside the lost fraction of a second would be accepted.
 * Registered in {@code serialization.conf}.
 */
public final class ReplayReservationMigration extends JacksonMigration {

    @Override
    public int currentVersion() {
        return 2;
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
        if (fromVersion == 1 && json instanceof ObjectNode node && node.has("reservedUntil")) {
            long millis = node.remove("reservedUntil").asLong();
            node.put("reservedUntilEpochSecond", Math.floorDiv(millis + 999, 1000));
        }
        return json;
    }
}
