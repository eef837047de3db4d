package org.microcert.simulator.lab;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sensor's rows in pekko-persistence-cassandra's {@code messages} table: who wrote which
 * sequence number. Persistence id {@code Sensor|<hex id>} (cluster sharding's entity type "Sensor"),
 * one partition (partition_nr 0: the plugin starts a new one only every 500,000 events).
 */
public final class JournalRows {

    /** One event row: its sequence number and the writer (one per entity incarnation). */
    public record Event(long sequenceNr, String writer) {}

    private JournalRows() {}

    /**
     * Reads at ALL, so that rows on any replica count (a write that reached one replica only is
     * still a second writer's trace); run it with the ring healed.
     */
    public static Map<String, List<Event>> read(String contactPoint, String datacenter, String keyspace,
                                                Collection<String> sensors) {
        // programmatic, so that an application.conf on the classpath (the distribution's lib/ holds the
        // node's, with its own contact points) adds nothing: the builder's contact points add to those
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withStringList(DefaultDriverOption.CONTACT_POINTS, List.of(contactPoint))
                .withString(DefaultDriverOption.LOAD_BALANCING_LOCAL_DATACENTER, datacenter)
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
                .build();
        Map<String, List<Event>> out = new LinkedHashMap<>();
        try (CqlSession session = CqlSession.builder().withConfigLoader(config).build()) {
            PreparedStatement select = session.prepare("SELECT sequence_nr, writer_uuid FROM " + keyspace
                    + ".messages WHERE persistence_id = ? AND partition_nr = 0");
            for (String sensor : sensors) {
                List<Event> events = new ArrayList<>();
                for (Row r : session.execute(select.bind("Sensor|" + sensor).setConsistencyLevel(ConsistencyLevel.ALL))) {
                    events.add(new Event(r.getLong("sequence_nr"), r.getString("writer_uuid")));
                }
                out.put(sensor, events);
            }
        }
        return out;
    }
}
