package org.microcert.cluster.http;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.microcert.cluster.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the journal's Cassandra session a trivial query every interval. The gateway answers 503 at
 * once while it fails (instead of letting each request wait for an ask timeout), and the readiness
 * probe reports it. When Cassandra comes back the driver reconnects (reconnection policy in
 * http.conf) and the next successful probe reopens the gateway.
 */
public final class JournalProbe {

    private static final Logger LOG = LoggerFactory.getLogger(JournalProbe.class);

    private final AtomicBoolean up = new AtomicBoolean(false);
    private final AtomicBoolean inFlight = new AtomicBoolean(false);

    private JournalProbe() {}

    /** A probe that always reports up (in-memory journal: tests, development). */
    public static JournalProbe alwaysUp() {
        JournalProbe p = new JournalProbe();
        p.up.set(true);
        return p;
    }

    /** Starts probing {@code session} every {@code interval}. */
    public static JournalProbe start(ActorSystem<?> system, CassandraSession session, Duration interval,
                                     Duration timeout, Metrics metrics) {
        JournalProbe p = new JournalProbe();
        system.scheduler().scheduleWithFixedDelay(Duration.ZERO, interval, () -> p.probe(session, timeout, metrics),
                system.executionContext());
        return p;
    }

    private void probe(CassandraSession session, Duration timeout, Metrics metrics) {
        if (!inFlight.compareAndSet(false, true)) {
            return;
        }
        session.selectOne("SELECT release_version FROM system.local").toCompletableFuture()
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((row, failure) -> {
                    boolean now = failure == null;
                    if (up.getAndSet(now) != now) {
                        if (now) {
                            LOG.info("journal (Cassandra) answers again");
                        } else {
                            LOG.warn("journal (Cassandra) does not answer: {}", failure.getClass().getSimpleName());
                        }
                    }
                    metrics.journalUp(now);
                    inFlight.set(false);
                }, Runnable::run);
    }

    public boolean isUp() {
        return up.get();
    }
}
