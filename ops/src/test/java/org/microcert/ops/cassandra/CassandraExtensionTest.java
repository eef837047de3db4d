package org.microcert.ops.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * Runs two test classes that use {@link CassandraExtension} in a nested JUnit launcher (one of
 * them fails on purpose) and checks from outside what a build relies on: both classes saw the same
 * real Cassandra, CQL worked, flush wrote SSTables, and after the run the process is gone even
 * though a test failed.
 */
class CassandraExtensionTest {

    /** What the nested test classes observed: the server each got. */
    static final ConcurrentLinkedQueue<TestCassandra> SEEN = new ConcurrentLinkedQueue<>();

    @Test
    void oneCassandraServesEveryTestClassAndIsStoppedAfterTheRunEvenWhenTestsFail() {
        assertTrue(System.getenv(CassandraExtension.EXTERNAL_ENV) == null
                || System.getenv(CassandraExtension.EXTERNAL_ENV).isBlank(), "this test starts its own Cassandra");
        SEEN.clear();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(WritesAndFlushes.class), selectClass(FailsOnPurpose.class))
                .build(), summary);

        summary.getSummary().getFailures().forEach(f -> {
            if (!(f.getException() instanceof PurposefulFailure)) {
                throw new AssertionError("nested test failed: " + f.getTestIdentifier().getDisplayName(), f.getException());
            }
        });
        assertEquals(2, summary.getSummary().getTestsSucceededCount());
        assertEquals(1, summary.getSummary().getTestsFailedCount());

        List<TestCassandra> seen = new ArrayList<>(SEEN);
        assertEquals(2, seen.size());
        assertTrue(seen.get(0) == seen.get(1), "both test classes share one Cassandra");
        CassandraServer server = seen.get(0).server().orElseThrow();
        assertFalse(ProcessHandle.of(server.pid()).map(ProcessHandle::isAlive).orElse(false),
                "the Cassandra process is gone after the run");
        assertFalse(CqlProbe.answers(server.host(), server.cqlPort(), Duration.ofSeconds(1)));
        assertFalse(Files.exists(server.dataDirectory()), "its data files were deleted");
    }

    static final class PurposefulFailure extends RuntimeException {
        PurposefulFailure() {
            super("this nested test fails on purpose");
        }
    }

    @ExtendWith(CassandraExtension.class)
    static class WritesAndFlushes {
        static TestCassandra cassandra;

        @BeforeAll
        static void remember(TestCassandra c) {
            cassandra = c;
            SEEN.add(c);
        }

        @Test
        void cqlWritesAreReadBackAndFlushedToDataFiles() throws IOException {
            // schema changes take seconds on a busy 2-core machine: the driver's 2 s default is too short
            DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                    .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30)).build();
            try (CqlSession session = CqlSession.builder().withConfigLoader(config).addContactPoint(cassandra.contactPoint())
                    .withLocalDatacenter(TestCassandra.LOCAL_DATACENTER).build()) {
                session.execute("CREATE KEYSPACE ops_it WITH replication = {'class':'SimpleStrategy','replication_factor':1}");
                session.execute("CREATE TABLE ops_it.t (k int PRIMARY KEY, v text)");
                session.execute("INSERT INTO ops_it.t (k, v) VALUES (1, 'marker-7f3a')");
                assertEquals("marker-7f3a", session.execute("SELECT v FROM ops_it.t WHERE k = 1").one().getString("v"));
            }
            cassandra.flush("ops_it");
            Path table = cassandra.dataDirectory().orElseThrow().resolve("ops_it");
            try (Stream<Path> files = Files.walk(table)) {
                assertTrue(files.anyMatch(p -> p.getFileName().toString().endsWith("-Data.db")), "an SSTable was written");
            }
        }

        @Test
        void pekkoConfigPointsAtTheServer() {
            String config = cassandra.pekkoConfig("journal_ks", "snapshot_ks");
            assertTrue(config.contains("contact-points = [\"" + cassandra.host() + ":" + cassandra.port() + "\"]"));
            assertTrue(config.contains("local-datacenter = \"datacenter1\""));
            assertTrue(config.contains("journal.keyspace = \"journal_ks\""));
        }
    }

    @ExtendWith(CassandraExtension.class)
    static class FailsOnPurpose {
        @Test
        void failsWhileCassandraRuns(TestCassandra c) {
            SEEN.add(c);
            assertTrue(c.server().orElseThrow().cqlAnswers());
            throw new PurposefulFailure();
        }
    }
}
