package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Refused;
import org.microcert.cluster.sensor.SensorMessages.Rewrapped;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.card.SetDigest;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.CommandOrder;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;

/** The sensor entity's commands, events and state, with an in-memory journal (EventSourcedBehaviorTestKit). */
class SensorEntityTest {

    static final long SENSOR = 0x1234L;
    static final Instant START = Instant.parse("2026-11-25T18:00:00Z");

    static ActorTestKit testKit;
    @TempDir
    static Path dir;
    static TestFleet fleet;
    static SoftwareCard card;

    TestFleet.ManualClock clock;
    SensorChip chip;
    EventSourcedBehaviorTestKit<Command, SensorEvent, SensorRecord> kit;

    @BeforeAll
    static void startTestKit() {
        Config config = EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseString("""
                pekko.coordinated-shutdown.exit-jvm = off
                """)).withFallback(ConfigFactory.parseResources("serialization.conf"))
                .withFallback(ConfigFactory.parseResources("cluster-serialization.conf"));
        testKit = ActorTestKit.create("SensorEntityTest", config);
        fleet = new TestFleet(dir.resolve("card"));
        card = fleet.openCard("entity-test");
    }

    @AfterAll
    static void stopTestKit() {
        testKit.shutdownTestKit();
        card.close();
    }

    @BeforeEach
    void newSensor() {
        clock = new TestFleet.ManualClock(START);
        chip = TestFleet.chip(SENSOR, START);
        kit = entity(settings(true));
    }

    @AfterEach
    void clear() {
        kit.clear();
    }

    SensorSettings settings(boolean keepSeedOpen) {
        // an idle timeout no test reaches, except the one that sets its own
        return settings(keepSeedOpen, Duration.ofMinutes(10));
    }

    SensorSettings settings(boolean keepSeedOpen, Duration idleTimeout) {
        return new SensorSettings(Duration.ofSeconds(120), Duration.ofSeconds(10), 16, keepSeedOpen, 100, 2,
                Duration.ofMillis(100), Duration.ofSeconds(1), idleTimeout, clock);
    }

    EventSourcedBehaviorTestKit<Command, SensorEvent, SensorRecord> entity(SensorSettings settings) {
        SensorId id = new SensorId(SENSOR);
        return EventSourcedBehaviorTestKit.create(testKit.system(),
                SensorEntity.create(id, PersistenceId.of("Sensor", id.toString()), card, settings));
    }

    Done provision() {
        byte[] envelope = fleet.transportEnvelope(chip);
        var result = kit.<OperatorReply>runCommand(r -> new SensorMessages.Provision(envelope, "alice", r));
        assertInstanceOf(SensorEvent.Provisioned.class, result.event());
        return assertInstanceOf(Done.class, result.reply());
    }

    Verdict authenticate(MicroCertificate cert) {
        return kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert.encode(), r)).reply();
    }

    MicroCertificate auth() throws Exception {
        return chip.authenticate(clock.instant());
    }

    @Test
    void provisionedSensorAuthenticatesAndShowsActiveStatus() throws Exception {
        Done done = provision();
        assertEquals("ACTIVE", done.status().status());
        assertEquals(1, done.status().seedVersion());
        assertEquals("AES128", done.status().suite());
        Verdict v = authenticate(auth());
        assertTrue(v.accepted(), () -> "rejected: " + v.reason() + " " + v.message());
        assertEquals(1, v.seedVersion());
        Done status = (Done) kit.<OperatorReply>runCommand(SensorMessages.GetStatus::new).reply();
        assertEquals(1, status.status().accepted());
        assertNull(status.certificate());
    }

    @Test
    void unknownSensorIsRefusedEverything() throws Exception {
        assertEquals(VerdictReason.UNKNOWN_SENSOR, authenticate(auth()).reason());
        Refused r = (Refused) kit.<OperatorReply>runCommand(SensorMessages.GetStatus::new).reply();
        assertEquals(RefusalCode.UNKNOWN_SENSOR, r.error());
        assertEquals(RefusalCode.UNKNOWN_SENSOR, ((Refused) kit.<OperatorReply>runCommand(
                x -> new SensorMessages.Revoke(null, "alice", x)).reply()).error());
    }

    @Test
    void replayedCertificateIsRejected() throws Exception {
        provision();
        MicroCertificate cert = auth();
        assertTrue(authenticate(cert).accepted());
        Verdict again = authenticate(cert);
        assertFalse(again.accepted());
        assertEquals(VerdictReason.REPLAY, again.reason());
    }

    @Test
    void aBatchItemIsJudgedLikeASingleCertificateAndAnsweredWithItsIndex() throws Exception {
        provision();
        byte[] cert = certBytes();
        var first = kit.<SensorMessages.BatchItemVerdict>runCommand(r -> new SensorMessages.AuthenticateInBatch(cert, 41, r));
        assertEquals(41, first.reply().index());
        assertTrue(first.reply().verdict().accepted(), () -> "rejected: " + first.reply().verdict().reason());
        // the batch path shares the replay guard and the reservation with the single path
        assertInstanceOf(SensorEvent.ReplayReservationExtended.class, first.event());
        assertEquals(VerdictReason.REPLAY, authenticate(MicroCertificate.decode(cert)).reason());
        var again = kit.<SensorMessages.BatchItemVerdict>runCommand(r -> new SensorMessages.AuthenticateInBatch(cert, 7, r));
        assertEquals(7, again.reply().index());
        assertEquals(VerdictReason.REPLAY, again.reply().verdict().reason());
        byte[] forged = certBytes();
        forged[forged.length - 1] ^= 1;
        assertEquals(VerdictReason.BAD_TAG, kit.<SensorMessages.BatchItemVerdict>runCommand(
                r -> new SensorMessages.AuthenticateInBatch(forged, 0, r)).reply().verdict().reason());
    }

    @Test
    void replayReservationIsPersistedOncePerWindowNotPerCertificate() throws Exception {
        provision();
        byte[] firstCert = certBytes();
        var first = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(firstCert, r));
        assertTrue(first.reply().accepted());
        SensorEvent.ReplayReservationExtended reservation =
                first.eventOfType(SensorEvent.ReplayReservationExtended.class);
        assertEquals(START.getEpochSecond() + 10, reservation.reservedUntilEpochSecond());
        for (int i = 0; i < 5; i++) {
            byte[] cert = certBytes();
            var next = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert, r));
            assertTrue(next.reply().accepted());
            assertTrue(next.hasNoEvents(), "a certificate inside the reservation writes nothing");
        }
        clock.advanceSeconds(11);
        byte[] laterCert = certBytes();
        var later = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(laterCert, r));
        assertTrue(later.reply().accepted());
        assertEquals(START.getEpochSecond() + 21,
                later.eventOfType(SensorEvent.ReplayReservationExtended.class).reservedUntilEpochSecond());
    }

    @Test
    void aSensorAtASteadyPaceFindsItsReservationRenewedBeforeItsNextCertificate() throws Exception {
        provision();
        double waitedBefore = reservationWrites("before_answer");
        double backgroundBefore = reservationWrites("background");
        int renewals = 0;
        for (int i = 0; i < 14; i++) { // max-tracked-certificates is 16 here
            byte[] cert = certBytes();
            long t = clock.instant().getEpochSecond();
            long reservedBefore = kit.getState().replayReservedUntilEpochSecond();
            var result = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert, r));
            assertTrue(result.reply().accepted(), () -> "rejected: " + result.reply().reason());
            if (i >= 2) {
                // from the third certificate on (the pace is known after two), none arrives beyond
                // the durable reservation, so none waits for a journal write before its answer
                assertTrue(t <= reservedBefore, "certificate " + i + " at " + t + " beyond the reservation " + reservedBefore);
            }
            if (i >= 2 && !result.hasNoEvents()) {
                renewals++;
                assertTrue(result.eventOfType(SensorEvent.ReplayReservationExtended.class).reservedUntilEpochSecond() > t + 5);
            }
            clock.advanceSeconds(3); // a certificate every 3 s, reservation-ahead 10 s
        }
        // 3rd to 14th certificate (+6 s to +39 s): a renewal every 9 s (+9, +18, +27, +36)
        assertEquals(4, renewals);
        // the metric tells the one write an answer waited for from those journaled behind an answer
        assertEquals(1, reservationWrites("before_answer") - waitedBefore);
        assertEquals(4, reservationWrites("background") - backgroundBefore);
    }

    /** The node's count of reservation writes of one kind, from its Prometheus text. */
    static double reservationWrites(String when) {
        String text = new String(org.microcert.cluster.metrics.Metrics.get(testKit.system()).scrape(),
                java.nio.charset.StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(?m)^microcert_replay_reservations_total\\{when=\"" + when + "\"} (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private byte[] certBytes() throws Exception {
        return auth().encode();
    }

    @Test
    void replayedCertificateIsRejectedAfterRestartAndNewerOnesAreAccepted() throws Exception {
        provision();
        MicroCertificate cert = auth();
        assertTrue(authenticate(cert).accepted());
        kit.restart();
        Verdict replay = authenticate(cert);
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, replay.reason(), "a restarted entity must not accept the same pair");
        // A fresh certificate inside the recovered reservation cannot be told apart from one accepted
        // before the restart: refused too. Beyond it, accepted again.
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(auth()).reason());
        clock.advanceSeconds(11);
        assertTrue(authenticate(auth()).accepted());
    }

    /** A second incarnation of the kit's sensor, driven by messages so that it can be stopped as sharding stops it. */
    org.apache.pekko.actor.typed.ActorRef<Command> spawnIncarnation() {
        SensorId id = new SensorId(SENSOR);
        return testKit.spawn(SensorEntity.create(id, PersistenceId.of("Sensor", id.toString()), card, settings(true)));
    }

    static Verdict authenticate(org.apache.pekko.actor.typed.ActorRef<Command> entity, MicroCertificate cert) {
        TestProbe<Verdict> probe = testKit.createTestProbe();
        entity.tell(new SensorMessages.Authenticate(cert.encode(), probe.ref()));
        return probe.receiveMessage();
    }

    static void stopAsShardingDoes(org.apache.pekko.actor.typed.ActorRef<Command> entity) {
        TestProbe<Object> watcher = testKit.createTestProbe();
        entity.tell(new SensorMessages.Stop());
        watcher.expectTerminated(entity);
    }

    @Test
    void aSensorThatDoesNotTalkSoonAfterItsProvisioningIsPassivatedAndOneThatDoesIsNot() throws Exception {
        Duration unused = Duration.ofMillis(400);
        TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
        // a factory import: provisioned, then silent
        SensorChip quietChip = TestFleet.chip(0x9ABCL, START);
        var quiet = spawnProvisioned(quietChip, shard, unused);
        // refused, so no second timer: exactly one passivation request follows
        TestProbe<OperatorReply> reply = testKit.createTestProbe();
        quiet.tell(new SensorMessages.Provision(fleet.transportEnvelope(quietChip), "alice", reply.ref()));
        assertEquals(RefusalCode.ALREADY_PROVISIONED, assertInstanceOf(Refused.class, reply.receiveMessage()).error());
        var passivate = assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage(Duration.ofSeconds(3)));
        assertEquals(quiet, passivate.entity());
        shard.expectNoMessage(unused.multipliedBy(2));
        stopAsShardingDoes(quiet);
        // a sensor that talks right after its provisioning stays running
        SensorChip busyChip = TestFleet.chip(0x9ABDL, START);
        var busy = spawnProvisioned(busyChip, shard, unused);
        assertTrue(authenticate(busy, busyChip.authenticate(clock.instant())).accepted());
        shard.expectNoMessage(unused.multipliedBy(3));
        stopAsShardingDoes(busy);
    }

    @Test
    void anEntityAsksToBePassivatedOnceNothingButItsOwnChecksArrivedForTheIdleTimeout() throws Exception {
        // The checks run on a real 300 ms timer; whether the entity is idle is judged by the manual
        // clock, so the outcome does not depend on how fast this machine runs the test.
        TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
        SensorChip busyChip = TestFleet.chip(0x9ABEL, START);
        var entity = spawnProvisioned(busyChip, shard, Duration.ofMinutes(1), settings(true, Duration.ofMillis(300)));
        assertTrue(authenticate(entity, busyChip.authenticate(clock.instant())).accepted());
        shard.expectNoMessage(Duration.ofSeconds(1)); // about three checks, none idle
        clock.advanceMillis(200);
        assertTrue(authenticate(entity, busyChip.authenticate(clock.instant())).accepted());
        clock.advanceMillis(250); // 450 ms after the provisioning, but only 250 after the last certificate
        shard.expectNoMessage(Duration.ofMillis(800));
        clock.advanceMillis(100);
        var passivate = assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage(Duration.ofSeconds(3)));
        assertEquals(entity, passivate.entity());
        shard.expectNoMessage(Duration.ofSeconds(1)); // asked once, then no more checks
        stopAsShardingDoes(entity);
    }

    @Test
    void anUnknownSensorsEntityAsksToBePassivatedAtOnceAndOnceProvisionedItStays() throws Exception {
        // The idle timeout is 10 minutes here: any passivation this test sees is not the idle one.
        TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
        SensorChip unknownChip = TestFleet.chip(0x9AC0L, START);
        SensorId id = unknownChip.sensorId();
        var entity = testKit.spawn(SensorEntity.create(id, PersistenceId.of("Sensor", id.toString()), card, settings(true),
                shard.ref(), Duration.ofMinutes(1)));
        assertEquals(VerdictReason.UNKNOWN_SENSOR, authenticate(entity, unknownChip.authenticate(clock.instant())).reason());
        assertEquals(entity, assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage(Duration.ofSeconds(3))).entity());
        // A refused Provision leaves it unknown: asked again.
        TestProbe<OperatorReply> reply = testKit.createTestProbe();
        entity.tell(new SensorMessages.Provision(new byte[] {1, 2, 3}, "alice", reply.ref()));
        assertEquals(RefusalCode.BAD_ENVELOPE, assertInstanceOf(Refused.class, reply.receiveMessage()).error());
        assertEquals(entity, assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage(Duration.ofSeconds(3))).entity());
        // Commands reaching it before sharding's stop are still handled; a Provision makes the sensor
        // known, and the check queued behind it (done before the next reply) then keeps the entity.
        entity.tell(new SensorMessages.Provision(fleet.transportEnvelope(unknownChip), "alice", reply.ref()));
        assertInstanceOf(Done.class, reply.receiveMessage());
        assertTrue(authenticate(entity, unknownChip.authenticate(clock.instant())).accepted());
        shard.expectNoMessage(Duration.ofMillis(300));
        stopAsShardingDoes(entity);
    }

    /** An entity hosted by {@code shard}, provisioned with {@code chip}'s seed. */
    org.apache.pekko.actor.typed.ActorRef<Command> spawnProvisioned(SensorChip chip,
                                                                   TestProbe<ClusterSharding.ShardCommand> shard,
                                                                   Duration unusedAfterProvision) {
        return spawnProvisioned(chip, shard, unusedAfterProvision, settings(true));
    }

    org.apache.pekko.actor.typed.ActorRef<Command> spawnProvisioned(SensorChip chip,
                                                                   TestProbe<ClusterSharding.ShardCommand> shard,
                                                                   Duration unusedAfterProvision,
                                                                   SensorSettings settings) {
        SensorId id = chip.sensorId();
        var entity = testKit.spawn(SensorEntity.create(id, PersistenceId.of("Sensor", id.toString()), card, settings,
                shard.ref(), unusedAfterProvision));
        TestProbe<OperatorReply> reply = testKit.createTestProbe();
        entity.tell(new SensorMessages.Provision(fleet.transportEnvelope(chip), "alice", reply.ref()));
        assertInstanceOf(Done.class, reply.receiveMessage());
        return entity;
    }

    @Test
    void aGracefulStopReleasesTheReservationSoTheNextIncarnationAcceptsFreshCertificatesAtOnce() throws Exception {
        provision();
        var entity = spawnIncarnation();
        MicroCertificate first = auth();
        assertTrue(authenticate(entity, first).accepted()); // reserves up to START + 10
        clock.advanceSeconds(2);
        MicroCertificate second = auth();
        assertTrue(authenticate(entity, second).accepted());
        stopAsShardingDoes(entity);
        kit.restart();
        assertEquals(START.getEpochSecond() + 2, kit.getState().replayReservedUntilEpochSecond(),
                "the reservation comes down to the newest accepted timestamp");
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(first).reason(), "what was accepted stays refused");
        assertEquals(VerdictReason.REPLAY, authenticate(second).reason(), "the released second lists it");
        clock.advanceSeconds(1);
        Verdict fresh = authenticate(auth()); // START + 3: inside the old reservation, refused after a crash
        assertTrue(fresh.accepted(), () -> "rejected: " + fresh.reason());
    }

    @Test
    void aCertificateOfTheSecondOfAGracefulStopIsAcceptedOnceAndStaysRefusedAfterACrash() throws Exception {
        provision();
        var entity = spawnIncarnation();
        MicroCertificate first = auth();
        assertTrue(authenticate(entity, first).accepted()); // reserves up to START + 10
        stopAsShardingDoes(entity); // e.g. passivated while the sensor's next certificate is on its way
        kit.restart();
        assertEquals(START.getEpochSecond(), kit.getState().replayReservedUntilEpochSecond());
        assertEquals(java.util.List.of(first.random()), kit.getState().replayRandomsAtReserved());
        assertEquals(VerdictReason.REPLAY, authenticate(first).reason(), "what was accepted stays refused");
        MicroCertificate sameSecond = auth();
        Verdict fresh = authenticate(sameSecond);
        assertTrue(fresh.accepted(), () -> "never used, so accepted: " + fresh.reason());
        assertEquals(START.getEpochSecond() + 10, kit.getState().replayReservedUntilEpochSecond(),
                "accepted only behind a new reservation");
        assertEquals(VerdictReason.REPLAY, authenticate(sameSecond).reason());
        kit.restart(); // a crash: no release, the durable reservation is the floor
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(sameSecond).reason());
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(first).reason());
    }

    /** A node's replay ledger whose session and reservations the test sets. */
    static final class FakeLedger implements ReplayLedger {
        volatile String session = "session-1";
        volatile long durableUntil = Long.MIN_VALUE;
        final java.util.Map<String, Long> sessions = new java.util.concurrent.ConcurrentHashMap<>();
        // when set, the next lookup's answer (the test completes it); then lookups read `sessions`
        volatile java.util.concurrent.CompletableFuture<java.util.OptionalLong> next;
        final java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();

        void renew(long until) {
            durableUntil = until;
            sessions.put(session, until);
        }

        @Override
        public String session() {
            return session;
        }

        @Override
        public long durableUntil() {
            return durableUntil;
        }

        @Override
        public java.util.concurrent.CompletionStage<java.util.OptionalLong> reservedUntil(String s) {
            lookups.incrementAndGet();
            var pending = next;
            if (pending != null) {
                next = null;
                return pending;
            }
            Long v = sessions.get(s);
            return java.util.concurrent.CompletableFuture.completedFuture(
                    v == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(v));
        }
    }

    EventSourcedBehaviorTestKit<Command, SensorEvent, SensorRecord> ledgerEntity(ReplayLedger ledger) {
        SensorId id = new SensorId(SENSOR);
        return EventSourcedBehaviorTestKit.create(testKit.system(),
                SensorEntity.create(id, PersistenceId.of("Sensor", id.toString()), card, settings(true), ledger));
    }

    /** Certificates every 2 s while the node renews its ledger 10 s ahead; the events they journaled. */
    java.util.List<SensorEvent> talkEvery2s(FakeLedger ledger, int certificates, java.util.List<MicroCertificate> answered)
            throws Exception {
        java.util.List<SensorEvent> events = new java.util.ArrayList<>();
        for (int i = 0; i < certificates; i++) {
            ledger.renew(clock.instant().getEpochSecond() + 10);
            MicroCertificate c = auth();
            var result = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(c.encode(), r));
            assertTrue(result.reply().accepted(), () -> "rejected: " + result.reply().reason());
            answered.add(c);
            events.addAll(result.events());
            clock.advanceSeconds(2);
        }
        return events;
    }

    @Test
    void aBusySensorJoinsItsNodesReplayLedgerOnceAndThenJournalsNoReservationsOfItsOwn() throws Exception {
        FakeLedger ledger = new FakeLedger();
        kit = ledgerEntity(ledger);
        provision();
        // 28 s, nearly 3 reservation-aheads (and below the 16 certificates the window tracks)
        java.util.List<SensorEvent> events = talkEvery2s(ledger, 14, new java.util.ArrayList<>());
        // The first certificate reserves on its own (its pace is unknown); where a reservation of its
        // own would be renewed, the busy sensor joins the ledger instead, and then writes nothing.
        assertEquals(java.util.List.of(new SensorEvent.ReplayReservationExtended(START.getEpochSecond() + 10),
                new SensorEvent.ReplayLedgerJoined("session-1", 0)), events);
        assertEquals("session-1", kit.getState().replayLedgerSession());
    }

    @Test
    void afterACrashAJoinedSensorRefusesEverythingUpToItsSessionsLastReservation() throws Exception {
        FakeLedger ledger = new FakeLedger();
        kit = ledgerEntity(ledger);
        provision();
        java.util.List<MicroCertificate> answered = new java.util.ArrayList<>();
        talkEvery2s(ledger, 10, answered);
        long lastReservation = ledger.durableUntil; // START + 18 + 10
        // The node crashed; the sensor comes back on another node, whose session has not renewed yet.
        ledger.session = "session-2";
        ledger.durableUntil = Long.MIN_VALUE;
        kit.restart();
        for (MicroCertificate c : answered) {
            assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(c).reason());
        }
        clock.advanceSeconds(lastReservation - clock.instant().getEpochSecond());
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(auth()).reason(), "anything up to the session's reservation");
        clock.advanceSeconds(1);
        Verdict beyond = authenticate(auth());
        assertTrue(beyond.accepted(), () -> "rejected: " + beyond.reason());
    }

    @Test
    void commandsWaitForTheLedgersAnswerAFailedReadIsAskedAgainAndTheFloorIsJournaled() throws Exception {
        FakeLedger ledger = new FakeLedger();
        kit = ledgerEntity(ledger);
        provision();
        java.util.List<MicroCertificate> answered = new java.util.ArrayList<>();
        talkEvery2s(ledger, 10, answered);
        long lastReservation = ledger.durableUntil;
        ledger.session = "session-2"; // recovered on another node after a crash
        var firstRead = new java.util.concurrent.CompletableFuture<java.util.OptionalLong>();
        ledger.next = firstRead;
        ledger.lookups.set(0);
        SensorId id = new SensorId(SENSOR);
        var entity = testKit.spawn(SensorEntity.create(id, PersistenceId.of("Sensor", id.toString()), card,
                settings(true), ledger));
        TestProbe<Verdict> probe = testKit.createTestProbe();
        entity.tell(new SensorMessages.Authenticate(answered.get(answered.size() - 1).encode(), probe.ref()));
        probe.expectNoMessage(Duration.ofMillis(300)); // stashed: the floor is not known yet
        firstRead.completeExceptionally(new IllegalStateException("read timed out"));
        probe.expectNoMessage(Duration.ofMillis(300)); // still stashed, asked again after the backoff (1 s)
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, probe.receiveMessage(Duration.ofSeconds(10)).reason());
        assertEquals(2, ledger.lookups.get());
        stopAsShardingDoes(entity);
        kit.restart();
        // the floor was journaled (as a release): the membership ended, the next recovery reads nothing
        assertEquals(lastReservation, kit.getState().replayReservedUntilEpochSecond());
        assertNull(kit.getState().replayLedgerSession());
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(answered.get(0)).reason());
        assertEquals(2, ledger.lookups.get());
    }

    @Test
    void aSessionTheLedgerDoesNotKnowIsTakenAsReservedUpToTheClockPlusAheadAndSkew() throws Exception {
        FakeLedger ledger = new FakeLedger();
        kit = ledgerEntity(ledger);
        provision();
        talkEvery2s(ledger, 10, new java.util.ArrayList<>());
        ledger.sessions.clear(); // e.g. restored from a backup into a new cluster
        ledger.session = "session-2";
        kit.restart();
        kit.runCommand(SensorMessages.GetStatus::new); // answered once the floor is set (commands wait for it)
        clock.advanceSeconds(10 + 120); // reservation-ahead and clock skew
        assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(auth()).reason());
        clock.advanceSeconds(1);
        assertTrue(authenticate(auth()).accepted());
    }

    @Test
    void aJoinedSensorStoppedGracefullyLeavesTheLedgerWithAnExactFloor() throws Exception {
        FakeLedger ledger = new FakeLedger();
        provision();
        SensorId id = new SensorId(SENSOR);
        var entity = testKit.spawn(SensorEntity.create(id, PersistenceId.of("Sensor", id.toString()), card,
                settings(true), ledger));
        java.util.List<MicroCertificate> answered = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) { // joins at +10 (see above)
            ledger.renew(clock.instant().getEpochSecond() + 10);
            MicroCertificate c = auth();
            assertTrue(authenticate(entity, c).accepted());
            answered.add(c);
            clock.advanceSeconds(2);
        }
        stopAsShardingDoes(entity);
        kit.restart();
        MicroCertificate last = answered.get(answered.size() - 1);
        assertNull(kit.getState().replayLedgerSession(), "the release ends the membership");
        assertEquals(last.timestamp(), kit.getState().replayReservedUntilEpochSecond());
        assertEquals(java.util.List.of(last.random()), kit.getState().replayRandomsAtReserved());
        for (MicroCertificate c : answered) {
            assertEquals(c == last ? VerdictReason.REPLAY : VerdictReason.REPLAY_WINDOW_RESET, authenticate(c).reason());
        }
        Verdict fresh = authenticate(auth()); // inside the ledger's reservation: refused after a crash
        assertTrue(fresh.accepted(), () -> "rejected: " + fresh.reason());
    }

    @Test
    void aRenewalThatFailsToPersistLeavesEveryAnsweredCertificateUnderTheDurableFloor() throws Exception {
        provision();
        var entity = spawnIncarnation();
        java.util.List<MicroCertificate> answered = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) { // +0 (reserves up to +10), +3, +6: a pace of 3 s
            MicroCertificate c = auth();
            assertTrue(authenticate(entity, c).accepted());
            answered.add(c);
            clock.advanceSeconds(3);
        }
        PersistenceTestKit.create(testKit.system()).failNextPersisted(PersistenceId.of("Sensor", new SensorId(SENSOR).toString()).id());
        MicroCertificate renewing = auth(); // +9: the next, at +12, would pass +10, so renewed behind this answer
        assertTrue(authenticate(entity, renewing).accepted(), "answered before the renewal is written");
        answered.add(renewing);
        // The renewal never reached the journal (the incarnation restarts with backoff). Recovered,
        // the floor is the durable +10, so nothing answered can be accepted a second time.
        kit.restart();
        assertEquals(START.getEpochSecond() + 10, kit.getState().replayReservedUntilEpochSecond());
        for (MicroCertificate c : answered) {
            assertEquals(VerdictReason.REPLAY_WINDOW_RESET, authenticate(c).reason());
        }
    }

    @Test
    void aCertificateBeyondTheReservationIsNotAnsweredWhenItsReservationFailsToPersist() throws Exception {
        provision();
        var entity = spawnIncarnation();
        for (int i = 0; i < 3; i++) { // +0 (reserves up to +10), +3, +6: a pace of 3 s
            assertTrue(authenticate(entity, auth()).accepted());
            clock.advanceSeconds(3);
        }
        clock.advanceSeconds(3); // +12: beyond the reservation, so it must wait for a new one
        MicroCertificate beyond = auth();
        PersistenceTestKit.create(testKit.system()).failNextPersisted(PersistenceId.of("Sensor", new SensorId(SENSOR).toString()).id());
        TestProbe<Verdict> probe = testKit.createTestProbe();
        entity.tell(new SensorMessages.Authenticate(beyond.encode(), probe.ref()));
        // answered only once durable, and the write failed: no answer (the gateway's ask times out)
        probe.expectNoMessage(Duration.ofMillis(500));
        kit.restart();
        assertEquals(START.getEpochSecond() + 10, kit.getState().replayReservedUntilEpochSecond());
        Verdict once = authenticate(beyond);
        assertTrue(once.accepted(), () -> "never accepted before, so accepted now: " + once.reason());
    }

    @Test
    void aStopWritesNothingOnceTheReservationHasPassed() throws Exception {
        provision();
        var entity = spawnIncarnation();
        assertTrue(authenticate(entity, auth()).accepted());
        clock.advanceSeconds(11); // idle past the reservation, as before an idle passivation
        stopAsShardingDoes(entity);
        kit.restart();
        assertEquals(START.getEpochSecond() + 10, kit.getState().replayReservedUntilEpochSecond(), "no release written");
        assertTrue(authenticate(auth()).accepted());
    }

    @Test
    void forgedStaleAndFutureCertificatesAreRejectedWithTheirReason() throws Exception {
        provision();
        byte[] forged = auth().encode();
        forged[forged.length - 1] ^= 1;
        assertEquals(VerdictReason.BAD_TAG, kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(forged, r)).reply().reason());
        MicroCertificate old = chip.authenticate(clock.instant().minusSeconds(121));
        assertEquals(VerdictReason.STALE_TIMESTAMP, authenticate(old).reason());
        MicroCertificate future = chip.authenticate(clock.instant().plusSeconds(121));
        Verdict v = authenticate(future);
        assertEquals(VerdictReason.FUTURE_TIMESTAMP, v.reason());
        assertEquals(START.getEpochSecond(), v.serverTime());
        MicroCertificate sign = chip.sign(new byte[] {1}, clock.instant());
        assertEquals(VerdictReason.WRONG_TYPE, authenticate(sign).reason());
        Done status = (Done) kit.<OperatorReply>runCommand(SensorMessages.GetStatus::new).reply();
        assertEquals(4, status.status().rejected());
        assertEquals(0, status.status().accepted());
    }

    @Test
    void tooManyCertificatesWithinTheSkewWindowAreRateLimited() throws Exception {
        provision();
        for (int i = 0; i < 16; i++) {
            assertTrue(authenticate(auth()).accepted());
        }
        assertEquals(VerdictReason.RATE_LIMITED, authenticate(auth()).reason());
        clock.advanceSeconds(121);
        assertTrue(authenticate(auth()).accepted(), "pairs older than the skew window are forgotten");
    }

    @Test
    void signatureVerifiesOnlyOverTheSignedData() throws Exception {
        provision();
        byte[] data = "reading=21.5C".getBytes(StandardCharsets.UTF_8);
        MicroCertificate sign = chip.sign(data, clock.instant());
        Verdict wrong = kit.<Verdict>runCommand(r -> new SensorMessages.VerifySignature(sign.encode(),
                digest("reading=99.9C".getBytes(StandardCharsets.UTF_8)), r)).reply();
        assertEquals(VerdictReason.BAD_TAG, wrong.reason());
        // anything but a 32-byte digest (here: the data itself) is refused, not judged
        Verdict raw = kit.<Verdict>runCommand(r -> new SensorMessages.VerifySignature(sign.encode(), data, r)).reply();
        assertEquals(VerdictReason.MALFORMED, raw.reason());
        Verdict ok = kit.<Verdict>runCommand(r -> new SensorMessages.VerifySignature(sign.encode(), digest(data), r)).reply();
        assertTrue(ok.accepted(), () -> "rejected: " + ok.reason() + " " + ok.message());
    }

    static byte[] digest(byte[] data) {
        return CertificateVerifier.signDigest(CipherSuite.AES128, data);
    }

    @Test
    void payloadsDecryptFromAndEncryptToTheSensor() throws Exception {
        provision();
        byte[] up = "hello center".getBytes(StandardCharsets.UTF_8);
        MicroCertificate enc = chip.encrypt(up, clock.instant());
        Verdict v = kit.<Verdict>runCommand(r -> new SensorMessages.Decrypt(enc.encode(), r)).reply();
        assertTrue(v.accepted());
        assertArrayEquals(up, v.plaintext());
        assertEquals(VerdictReason.REPLAY, kit.<Verdict>runCommand(r -> new SensorMessages.Decrypt(enc.encode(), r)).reply().reason());

        byte[] down = "hello sensor".getBytes(StandardCharsets.UTF_8);
        Done done = (Done) kit.<OperatorReply>runCommand(r -> new SensorMessages.Encrypt(down, r)).reply();
        assertArrayEquals(down, chip.decrypt(MicroCertificate.decode(done.certificate()), clock.instant()));
    }

    @Test
    void revokeAnswersACommandTheSensorObeysAndRefusesEverythingAfterwards() throws Exception {
        provision();
        var result = kit.<OperatorReply>runCommand(r -> new SensorMessages.Revoke("stolen", "alice", r));
        SensorEvent.Revoked event = result.eventOfType(SensorEvent.Revoked.class);
        assertEquals("alice", event.actor());
        Done done = (Done) result.reply();
        assertEquals("REVOKED", done.status().status());
        MicroCertificate authBefore = auth();
        CommandOrder order = chip.accept(MicroCertificate.decode(done.certificate()), clock.instant());
        assertInstanceOf(CommandOrder.Revoke.class, order);
        assertTrue(chip.isRevoked());

        assertEquals(VerdictReason.REVOKED, authenticate(authBefore).reason());
        assertEquals(RefusalCode.REVOKED, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Encrypt(new byte[] {1}, r)).reply()).error());
        assertEquals(RefusalCode.REVOKED, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Revoke(null, "alice", r)).reply()).error());
        assertEquals(RefusalCode.REVOKED, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Provision(fleet.transportEnvelope(TestFleet.chip(SENSOR, START)), "a", r))
                .reply()).error());
        assertEquals("REVOKED", ((Done) kit.<OperatorReply>runCommand(SensorMessages.GetStatus::new).reply())
                .status().status(), "status still answers");
        kit.restart();
        assertEquals(VerdictReason.REVOKED, authenticate(authBefore).reason(), "revocation survives a restart");
    }

    @Test
    void rewrapMovesTheSeedToTheCurrentKeyVersionOnceAndTheSensorStillAuthenticates() throws Exception {
        // A center whose card holds K_store v1 and v2: the sensor is provisioned by a node pinned to v1,
        // then a node on v2 rewraps it.
        Path keystore = dir.resolve("rotation").resolve("card.bcfks");
        java.nio.file.Files.createDirectories(keystore.getParent());
        byte[] transport = KeyCeremony.createWithTransportKey(keystore, TestFleet.PASSWORD.clone());
        assertEquals(2, KeyCeremony.rotate(keystore, TestFleet.PASSWORD.clone(), java.util.List.of()));
        SensorChip chip = TestFleet.chip(SENSOR + 1, START);
        SensorId id = chip.sensorId();
        PersistenceId pid = PersistenceId.of("Sensor", id.toString());
        try (SoftwareCard v1 = SoftwareCard.open(keystore, TestFleet.PASSWORD.clone(), keystore.resolveSibling("v1.state"), 1);
             SoftwareCard v2 = SoftwareCard.open(keystore, TestFleet.PASSWORD.clone(), keystore.resolveSibling("v2.state"))) {
            assertEquals(2, v2.currentKeyVersion());
            // One entity; the node's card is swapped under it (a restart of the node with the new card).
            java.util.concurrent.atomic.AtomicReference<EncryptionCard> nodeCard = new java.util.concurrent.atomic.AtomicReference<>(v1);
            EncryptionCard swappable = (EncryptionCard) java.lang.reflect.Proxy.newProxyInstance(
                    EncryptionCard.class.getClassLoader(), new Class<?>[] {EncryptionCard.class}, (proxy, method, args) -> {
                        try {
                            return method.invoke(nodeCard.get(), args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            kit = EventSourcedBehaviorTestKit.create(testKit.system(), SensorEntity.create(id, pid, swappable, settings(true)));
            byte[] envelope = chip.transportEnvelope(transport).encode();
            Done provisioned = (Done) kit.<OperatorReply>runCommand(r -> new SensorMessages.Provision(envelope, "alice", r)).reply();
            assertEquals(1, provisioned.status().keyVersion());
            var sealedBefore = kit.getState().seed();

            nodeCard.set(v2);
            kit.restart();
            var result = kit.<OperatorReply>runCommand(r -> new SensorMessages.RewrapSeed("olga", r));
            SensorEvent.SeedRewrapped event = result.eventOfType(SensorEvent.SeedRewrapped.class);
            assertEquals(2, event.seed().keyVersion());
            assertEquals(v2.digest(event.seed()).toString(), event.recordDigest());
            Rewrapped reply = assertInstanceOf(Rewrapped.class, result.reply());
            assertTrue(reply.changed());
            assertEquals(1, reply.previousKeyVersion());
            assertEquals(2, reply.status().keyVersion());
            assertEquals(1, result.state().rewraps());
            // The nodes' accumulators add up to the set digest of what is stored now: only the v2 record.
            assertEquals(new SetDigest.Builder().add(id, v2.digest(event.seed())).build(),
                    v1.setDigest().combine(v2.setDigest()));
            assertFalse(new SetDigest.Builder().add(id, v2.digest(sealedBefore)).build()
                    .equals(v1.setDigest().combine(v2.setDigest())));

            var again = kit.<OperatorReply>runCommand(r -> new SensorMessages.RewrapSeed("olga", r));
            assertTrue(again.hasNoEvents(), "already under the current version: no event");
            assertFalse(((Rewrapped) again.reply()).changed());

            kit.restart();
            assertEquals(2, kit.getState().seed().keyVersion(), "the rewrap survives a restart");
            MicroCertificate cert = chip.authenticate(clock.instant());
            Verdict v = kit.<Verdict>runCommand(r -> new SensorMessages.Authenticate(cert.encode(), r)).reply();
            assertTrue(v.accepted(), String.valueOf(v));

            nodeCard.set(v1);
            var notDowngraded = kit.<OperatorReply>runCommand(r -> new SensorMessages.RewrapSeed("olga", r));
            assertTrue(notDowngraded.hasNoEvents(), "a node pinned to v1 never moves a v2 record back");
            assertEquals(2, ((Rewrapped) notDowngraded.reply()).status().keyVersion());

            kit.<OperatorReply>runCommand(r -> new SensorMessages.Revoke("stolen", "alice", r));
            assertEquals(RefusalCode.REVOKED, ((Refused) kit.<OperatorReply>runCommand(
                    r -> new SensorMessages.RewrapSeed("olga", r)).reply()).error());
        }
        kit = entity(settings(true));
        assertEquals(RefusalCode.UNKNOWN_SENSOR, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.RewrapSeed("olga", r)).reply()).error());
    }

    @Test
    void seedUpdateMovesTheSensorToItsNewSeed() throws Exception {
        provision();
        MicroCertificate oldSeedCert = auth();
        Done started = (Done) kit.<OperatorReply>runCommand(r -> new SensorMessages.StartSeedUpdate("bob", r)).reply();
        assertEquals("UPDATE_PENDING", started.status().status());
        assertEquals(2, started.status().pendingSeedVersion());
        assertInstanceOf(CommandOrder.SeedUpdate.class,
                chip.accept(MicroCertificate.decode(started.certificate()), clock.instant()));
        byte[] envelope = chip.pendingUpdate().orElseThrow().encode();

        var complete = kit.<OperatorReply>runCommand(r -> new SensorMessages.CompleteSeedUpdate(envelope, "bob", r));
        Done done = (Done) complete.reply();
        assertEquals("ACTIVE", done.status().status());
        assertEquals(2, done.status().seedVersion());
        assertEquals(2, complete.eventOfType(SensorEvent.SeedUpdated.class).seed().seedVersion());
        chip.activatePendingSeed();

        assertEquals(VerdictReason.BAD_TAG, authenticate(oldSeedCert).reason(), "the old seed no longer verifies");
        Verdict v = authenticate(auth());
        assertTrue(v.accepted());
        assertEquals(2, v.seedVersion());
        kit.restart();
        clock.advanceSeconds(11);
        assertTrue(authenticate(auth()).accepted(), "the new seed is what recovery restores");
    }

    @Test
    void seedUpdateRefusesEnvelopesItDidNotAskFor() throws Exception {
        provision();
        byte[] early = chip.prepareSeedUpdate(clock.instant()).encode();
        assertEquals(RefusalCode.NO_UPDATE_PENDING, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.CompleteSeedUpdate(early, "bob", r)).reply()).error());
        kit.<OperatorReply>runCommand(r -> new SensorMessages.StartSeedUpdate("bob", r));
        Done again = (Done) kit.<OperatorReply>runCommand(r -> new SensorMessages.StartSeedUpdate("bob", r)).reply();
        assertEquals(2, again.status().pendingSeedVersion(), "a repeated start re-issues the same version");
        byte[] transport = fleet.transportEnvelope(chip);
        assertEquals(RefusalCode.BAD_ENVELOPE, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.CompleteSeedUpdate(transport, "bob", r)).reply()).error());
        byte[] tampered = chip.prepareSeedUpdate(clock.instant()).encode();
        tampered[tampered.length - 1] ^= 1;
        assertEquals(RefusalCode.BAD_ENVELOPE, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.CompleteSeedUpdate(tampered, "bob", r)).reply()).error());
    }

    @Test
    void provisioningRefusesASecondSeedAndEnvelopesForOtherSensorsOrKeys() throws Exception {
        byte[] other = fleet.transportEnvelope(TestFleet.chip(SENSOR + 1, START));
        assertEquals(RefusalCode.BAD_ENVELOPE, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Provision(other, "alice", r)).reply()).error());
        TestFleet otherCenter = new TestFleet(dir.resolve("other-center"));
        byte[] wrongKey = otherCenter.transportEnvelope(chip);
        assertEquals(RefusalCode.BAD_ENVELOPE, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Provision(wrongKey, "alice", r)).reply()).error());
        provision();
        assertEquals(RefusalCode.ALREADY_PROVISIONED, ((Refused) kit.<OperatorReply>runCommand(
                r -> new SensorMessages.Provision(fleet.transportEnvelope(chip), "alice", r)).reply()).error());
    }

    @Test
    void entityWorksWithTheSeedOpenedPerRequest() throws Exception {
        kit = entity(settings(false));
        provision();
        assertTrue(authenticate(auth()).accepted());
        MicroCertificate cert = auth();
        assertTrue(authenticate(cert).accepted());
        assertEquals(VerdictReason.REPLAY, authenticate(cert).reason());
    }
}
