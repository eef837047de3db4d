package org.microcert.persistence.audit;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.pekko.serialization.Serialization;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorPersistence;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.SensorId;

/**
 * Reads every sensor's journal and snapshots straight from the tables (a full scan, so a sensor
 * missing from {@code all_persistence_ids} is still seen) and rebuilds each sensor's
 * {@link SensorRecord} by replaying its events, noting anything a journal written by
 * {@code SensorEntity} cannot contain: unreadable events, gaps in sequence numbers, events carrying
 * another sensor's record, snapshots that disagree with the events, and rows under a {@code Sensor|}
 * persistence id that is not a sensor's canonical one (the entity never reads those, so a second
 * spelling of a sensor's id must not stand in for its journal here either). Holds every sensor's
 * events in memory while it scans (fine for fleets of this project's test scale; document before
 * pointing it at millions of sensors).
 */
public final class JournalScan {

    /** Something wrong in one sensor's journal or snapshots. */
    public record Problem(String persistenceId, Kind kind, String detail) {
        /** Kinds of journal problems. */
        public enum Kind {
            UNREADABLE_EVENT, SEQUENCE_GAP, FOREIGN_RECORD, SNAPSHOT_MISMATCH, UNREADABLE_SNAPSHOT,
            /** Rows under {@code Sensor|<text>} where text is not 16 lower-case hex digits: not read. */
            NON_CANONICAL_ID
        }

        @Override
        public String toString() {
            return kind + " " + printable(persistenceId) + ": " + detail;
        }

        /** A persistence id is database content: escape what could forge or garble an output line. */
        private static String printable(String s) {
            StringBuilder out = new StringBuilder(s.length());
            s.chars().forEach(c -> out.append(c >= 0x20 && c < 0x7f && c != '\\' ? String.valueOf((char) c)
                    : String.format("\\u%04x", c)));
            return out.toString();
        }
    }

    /** A sensor as rebuilt from its events; {@code lastSequenceNr} is its highest event. */
    public record SensorState(SensorId sensor, SensorRecord record, long lastSequenceNr, long events) {
    }

    /** The scan's result: sensors by id (ascending), problems, and the number of event rows read. */
    public record Result(SortedMap<SensorId, SensorState> sensors, List<Problem> problems, long eventRows) {
    }

    private JournalScan() {
    }

    public static Result scan(CqlSession session, Serialization serialization, String journalKeyspace,
                              String snapshotKeyspace) {
        Map<String, TreeMap<Long, Row>> byPid = new HashMap<>();
        // Sensor| ids that are not canonical: [event rows, snapshot rows] under each
        Map<String, long[]> nonCanonical = new TreeMap<>();
        long rows = 0;
        SimpleStatement all = SimpleStatement.newInstance("SELECT persistence_id, sequence_nr, ser_id, ser_manifest, event FROM "
                + journalKeyspace + ".messages").setPageSize(1000);
        for (Row r : session.execute(all)) {
            String pid = r.getString("persistence_id");
            if (SensorPersistence.sensorIdOf(pid).isPresent()) {
                byPid.computeIfAbsent(pid, k -> new TreeMap<>()).put(r.getLong("sequence_nr"), r);
                rows++;
            } else if (SensorPersistence.isSensorNamespace(pid)) {
                nonCanonical.computeIfAbsent(pid, k -> new long[2])[0]++;
            }
        }
        Map<String, TreeMap<Long, Row>> snapshots = new HashMap<>();
        SimpleStatement snaps = SimpleStatement.newInstance("SELECT persistence_id, sequence_nr, ser_id, ser_manifest, snapshot_data FROM "
                + snapshotKeyspace + ".snapshots").setPageSize(200);
        for (Row r : session.execute(snaps)) {
            String pid = r.getString("persistence_id");
            if (SensorPersistence.sensorIdOf(pid).isPresent()) {
                snapshots.computeIfAbsent(pid, k -> new TreeMap<>()).put(r.getLong("sequence_nr"), r);
            } else if (SensorPersistence.isSensorNamespace(pid)) {
                nonCanonical.computeIfAbsent(pid, k -> new long[2])[1]++;
            }
        }
        List<Problem> problems = new ArrayList<>();
        nonCanonical.forEach((pid, n) -> problems.add(new Problem(pid, Problem.Kind.NON_CANONICAL_ID, n[0] + " event(s) and "
                + n[1] + " snapshot(s) under a persistence id that is not Sensor|<16 lower-case hex digits>;"
                + " the entity never reads them, nor does this scan")));
        SortedMap<SensorId, SensorState> sensors = new TreeMap<>();
        for (Map.Entry<String, TreeMap<Long, Row>> e : byPid.entrySet()) {
            String pid = e.getKey();
            SensorId sensor = SensorPersistence.sensorIdOf(pid).orElseThrow();
            TreeMap<Long, Row> snapshotRows = snapshots.getOrDefault(pid, new TreeMap<>());
            SensorRecord state = SensorRecord.empty(sensor);
            long expected = 1;
            for (Map.Entry<Long, Row> event : e.getValue().entrySet()) {
                long seq = event.getKey();
                if (seq != expected) {
                    problems.add(new Problem(pid, Problem.Kind.SEQUENCE_GAP, "events " + expected + ".." + (seq - 1)
                            + " are missing"));
                }
                expected = seq + 1;
                Optional<Object> decoded = decode(serialization, event.getValue(), "event");
                if (decoded.isEmpty() || !(decoded.get() instanceof SensorEvent sensorEvent)) {
                    problems.add(new Problem(pid, Problem.Kind.UNREADABLE_EVENT, "event " + seq + " does not decode"));
                    continue;
                }
                try {
                    state = state.apply(sensorEvent);
                } catch (IllegalArgumentException foreign) {
                    problems.add(new Problem(pid, Problem.Kind.FOREIGN_RECORD, "event " + seq + ": " + foreign.getMessage()));
                }
                Row snapshot = snapshotRows.get(seq);
                if (snapshot != null) {
                    checkSnapshot(serialization, pid, seq, snapshot, state, problems);
                }
            }
            for (Long seq : snapshotRows.keySet()) {
                if (seq >= expected) {
                    problems.add(new Problem(pid, Problem.Kind.SNAPSHOT_MISMATCH, "snapshot at " + seq
                            + " is beyond the last event " + (expected - 1)));
                }
            }
            sensors.put(sensor, new SensorState(sensor, state, expected - 1, e.getValue().size()));
        }
        for (String pid : snapshots.keySet()) {
            if (!byPid.containsKey(pid)) {
                problems.add(new Problem(pid, Problem.Kind.SNAPSHOT_MISMATCH, "snapshots without any event"));
            }
        }
        problems.sort((a, b) -> a.persistenceId().compareTo(b.persistenceId()));
        return new Result(Collections.unmodifiableSortedMap(sensors), List.copyOf(problems), rows);
    }

    private static void checkSnapshot(Serialization serialization, String pid, long seq, Row snapshot, SensorRecord state,
                                      List<Problem> problems) {
        Optional<Object> decoded = decode(serialization, snapshot, "snapshot_data");
        if (decoded.isEmpty() || !(decoded.get() instanceof SensorRecord)) {
            problems.add(new Problem(pid, Problem.Kind.UNREADABLE_SNAPSHOT, "snapshot at " + seq + " does not decode"));
        } else if (!decoded.get().equals(state)) {
            problems.add(new Problem(pid, Problem.Kind.SNAPSHOT_MISMATCH, "snapshot at " + seq
                    + " differs from the state its events give (the entity would recover the snapshot)"));
        }
    }

    private static Optional<Object> decode(Serialization serialization, Row row, String column) {
        ByteBuffer buffer = row.getByteBuffer(column);
        if (buffer == null) {
            return Optional.empty();
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        scala.util.Try<Object> decoded = serialization.deserialize(bytes, row.getInt("ser_id"), row.getString("ser_manifest"));
        return decoded.isSuccess() ? Optional.of(decoded.get()) : Optional.empty();
    }
}
