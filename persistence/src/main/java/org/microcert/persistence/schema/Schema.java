package org.microcert.persistence.schema;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The journal and snapshot schema ({@code schema.cql} next to this class): the keyspaces and
 * tables pekko-persistence-cassandra 1.1.0 needs, with replication chosen by the operator. Apply it
 * once per cluster before the first node starts (autocreate is for a local node only).
 */
public final class Schema {

    private Schema() {
    }

    /** Rejects anything that is not a plain CQL identifier (no quoting, no injection). */
    public static String requireKeyspace(String name) {
        if (name == null || !name.matches("[a-zA-Z][a-zA-Z0-9_]{0,47}")) {
            throw new SchemaException("'" + name + "' is not a keyspace name (letters, digits, _; at most 48)");
        }
        return name;
    }

    /** The CQL statements, in order. */
    public static List<String> statements(String journalKeyspace, String snapshotKeyspace, Replication replication) {
        requireKeyspace(journalKeyspace);
        requireKeyspace(snapshotKeyspace);
        String template;
        try (InputStream in = Schema.class.getResourceAsStream("schema.cql")) {
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        StringBuilder withoutComments = new StringBuilder();
        template.lines().filter(l -> !l.stripLeading().startsWith("--")).forEach(l -> withoutComments.append(l).append('\n'));
        List<String> out = new ArrayList<>();
        for (String statement : withoutComments.toString().split(";")) {
            if (!statement.isBlank()) {
                out.add(statement.strip()
                        .replace("{journal}", journalKeyspace)
                        .replace("{snapshot}", snapshotKeyspace)
                        .replace("{replication}", replication.toCql()));
            }
        }
        return out;
    }

    /**
     * Creates what is missing (every statement is {@code IF NOT EXISTS}); the driver waits for
     * schema agreement after each statement.
     *
     * @throws SchemaException naming the statement that failed
     */
    public static void apply(CqlSession session, String journalKeyspace, String snapshotKeyspace, Replication replication) {
        for (String statement : statements(journalKeyspace, snapshotKeyspace, replication)) {
            try {
                session.execute(statement);
            } catch (DriverException e) {
                String firstLine = statement.lines().findFirst().orElse(statement);
                throw new SchemaException("'" + firstLine + "' failed: " + e.getMessage(), e);
            }
        }
    }
}
