package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.replay.ReplayGuard;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.CertificateJudge.Reservation;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.LedgerFloor;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SensorId;
import org.slf4j.LoggerFactory;

/**
 * A model of one sensor's replay protection over many lives: the entity's order of journal writes
 * and answers (SensorEntity.judge), the real {@link SensorReplay} and {@link ReplayGuard}, the
 * journal as a list of events and the replay ledger as a shared table whose renewals may be applied
 * without being acknowledged or not applied at all. Random steps (fixed seeds, so a failure
 * reproduces): time passing, renewals, fresh certificates from a clock a little off, replays of
 * any certificate sent before, graceful stops and crashes at every point between a decision, its
 * write and its answer. Checked after each step:
 * <ul>
 *   <li>safety: no (timestamp, random) pair is answered ACCEPTED twice, across every life;</li>
 *   <li>no stall: once a node-loss takeover has passed after a crash (8 s here, about 7.5 s with
 *       cluster.conf), a fresh certificate is accepted at once (reservation-ahead of 5 s is below it).</li>
 * </ul>
 */
class ReplaySafetyModelTest {

    static final long T0 = 1_800_000_000L;
    static final SensorId ID = new SensorId(0x5AFEL);
    static final long AHEAD = 5;
    static final long SKEW = 120;
    static final long TAKEOVER = 8;
    static final int MAX_LEAD = 2; // a sensor's clock is up to this many seconds ahead (or behind) of the nodes'
    static final SensorSettings SETTINGS = new SensorSettings(Duration.ofSeconds(SKEW), Duration.ofSeconds(AHEAD), 4096,
            true, 100, 2, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(2),
            Clock.fixed(Instant.ofEpochSecond(T0), ZoneOffset.UTC));

    static final ActorTestKit testKit = ActorTestKit.create("ReplaySafetyModelTest");

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    /** Cassandra's replay_sessions table, shared by every node's ledger. */
    static final class Table {
        final Map<String, Long> rows = new HashMap<>();
    }

    /** One node's session: renewals written to the table, maybe applied, maybe acknowledged. */
    static final class ModelLedger implements ReplayLedger {
        final String id;
        final Table table;
        long durable = Long.MIN_VALUE;
        long written = Long.MIN_VALUE;

        ModelLedger(String id, Table table) {
            this.id = id;
            this.table = table;
        }

        void renew(long now, boolean applied, boolean acknowledged) {
            long until = Math.max(written, now + AHEAD);
            written = until;
            if (applied) {
                table.rows.merge(id, until, Math::max);
                if (acknowledged) {
                    durable = Math.max(durable, until);
                }
            }
        }

        @Override
        public String session() {
            return id;
        }

        @Override
        public long durableUntil() {
            return durable;
        }

        @Override
        public CompletionStage<OptionalLong> reservedUntil(String session) {
            Long v = table.rows.get(session);
            return CompletableFuture.completedFuture(v == null ? OptionalLong.empty() : OptionalLong.of(v));
        }
    }

    record Pair(long timestamp, long random) {}

    /** One run: a sensor's journal, its current life, and what was answered. */
    final class Run {
        final Random rnd;
        final Table table = new Table();
        final List<SensorEvent> journal = new ArrayList<>();
        final Set<Pair> accepted = new HashSet<>();
        final List<Pair> sent = new ArrayList<>();
        long now = T0;
        int lives;
        boolean mayCrash = true; // off while the fresh certificate after a takeover is delivered
        ModelLedger ledger;
        SensorRecord state;
        SensorReplay replay;

        Run(long seed) {
            rnd = new Random(seed);
            journal.add(new SensorEvent.Provisioned(new SealedSeed(ID, 1, 1, CipherSuite.AES128, 2026, new byte[12], new byte[48]),
                    "d", Instant.ofEpochSecond(T0), "a"));
            recover();
        }

        SensorRecord fold() {
            SensorRecord s = SensorRecord.empty(ID);
            for (SensorEvent e : journal) {
                s = s.apply(e);
            }
            return s;
        }

        void persist(SensorEvent e) {
            journal.add(e);
            state = state.apply(e);
        }

        /** A new life on a new node (its own session), from the journal. */
        void recover() {
            ledger = new ModelLedger("session-" + (++lives), table);
            ledger.renew(now, true, true);
            state = fold();
            replay = new SensorReplay(ID.toString(), SETTINGS, ledger, Metrics.get(testKit.system()),
                    LoggerFactory.getLogger(ReplaySafetyModelTest.class));
            TestProbe<Command> self = testKit.createTestProbe();
            replay.recovered(state, self.ref());
            if (!replay.ready()) {
                LedgerFloor floor = (LedgerFloor) self.receiveMessage(Duration.ofSeconds(10));
                SensorEvent release = replay.floorAnswered(state, floor, null, now);
                assertTrue(replay.ready(), "the floor is known after the ledger answered");
                persist(release);
            }
        }

        /** What SensorEntity.judge does with a certificate whose tag verified; true when answered ACCEPTED. */
        boolean deliver(Pair p) {
            if (Math.abs(p.timestamp() - now) > SKEW) {
                return false; // the verifier's STALE/FUTURE_TIMESTAMP, before the guard
            }
            ReplayGuard guard = replay.guard();
            ReplayGuard.Decision d = guard.check(p.timestamp(), p.random(), replay.reservedUntil(state), now);
            if (d instanceof ReplayGuard.Reject) {
                return false;
            }
            if (d instanceof ReplayGuard.Reserve r) {
                // journaled before the answer: a crash here answers nothing
                SensorEvent e = replay.reservation(state, p.timestamp(), new Reservation(r.until(), true, guard.paceKnown()));
                if (mayCrash && rnd.nextInt(10) == 0) {
                    if (rnd.nextBoolean()) {
                        persist(e);
                    }
                    crash();
                    return false;
                }
                persist(e);
                answered(p);
                return true;
            }
            answered(p);
            if (d instanceof ReplayGuard.Renew r) {
                // answered, then journaled behind the answer: a crash may lose the write
                SensorEvent e = replay.reservation(state, p.timestamp(), new Reservation(r.until(), false, true));
                if (mayCrash && rnd.nextInt(10) == 0) {
                    crash();
                    return true;
                }
                persist(e);
            }
            return true;
        }

        void answered(Pair p) {
            if (!accepted.add(p)) {
                fail("accepted twice: " + p + " (life " + lives + ", journal " + journal + ")");
            }
        }

        void crash() {
            long crashedAt = now;
            now += TAKEOVER; // the node is downed and the shard taken over by another
            recover();
            Pair fresh = new Pair(now, rnd.nextLong());
            sent.add(fresh);
            mayCrash = false;
            boolean accepted = deliver(fresh);
            mayCrash = true;
            if (!accepted) {
                fail("a fresh certificate " + TAKEOVER + " s after a crash at " + crashedAt + " was refused (floor "
                        + replay.guard().floor() + ")");
            }
        }

        void step() {
            int what = rnd.nextInt(100);
            if (what < 20) {
                now += rnd.nextInt(3);
            } else if (what < 35) {
                ledger.renew(now, rnd.nextInt(10) > 0, rnd.nextInt(10) > 1);
            } else if (what < 75) {
                Pair p = new Pair(now + rnd.nextInt(2 * MAX_LEAD + 1) - MAX_LEAD, rnd.nextLong());
                sent.add(p);
                deliver(p);
            } else if (what < 92) {
                if (!sent.isEmpty()) {
                    deliver(sent.get(rnd.nextInt(sent.size())));
                }
            } else if (what < 96) {
                SensorEvent release = replay.release(state, now); // graceful stop: release, then another node
                if (release != null) {
                    persist(release);
                }
                recover();
            } else {
                crash();
            }
        }
    }

    @Test
    void noPairIsAcceptedTwiceAndNothingFreshIsRefusedAfterATakeoverOverCrashesAtEveryStep() {
        int crashesAndStops = 0;
        for (long seed = 1; seed <= 300; seed++) {
            Run run = new Run(seed);
            for (int i = 0; i < 300; i++) {
                run.step();
            }
            crashesAndStops += run.lives - 1;
            assertTrue(run.accepted.size() > 20, "seed " + seed + ": the model accepted almost nothing");
        }
        assertTrue(crashesAndStops > 1000, "the model hardly crashed: " + crashesAndStops);
    }

    @Test
    void theShippedReservationEndsBeforeANodeLossTakeover() {
        Config c = ConfigFactory.load();
        long takeoverMillis = c.getDuration("pekko.cluster.failure-detector.heartbeat-interval").toMillis()
                + c.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause").toMillis()
                + c.getDuration("pekko.cluster.split-brain-resolver.stable-after").toMillis()
                + c.getDuration("pekko.cluster.down-removal-margin").toMillis();
        long ahead = c.getDuration("microcert.sensor.reservation-ahead").toMillis();
        // a crashed node's sessions and reservations reach at most `ahead` past the crash (plus a
        // sensor's small clock lead): passed by the time its shards start elsewhere
        assertTrue(ahead + MAX_LEAD * 1000L <= takeoverMillis, "reservation-ahead " + ahead + " ms vs takeover "
                + takeoverMillis + " ms");
        assertEquals(AHEAD * 1000, ahead, "the model runs the shipped value");
    }
}
