package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.cluster.sensor.SensorMessages.Verdict;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.persistence.sensor.SensorEvent;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.CertificateVerifier;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;

/**
 * What the entity tests share: a sensor entity with an in-memory journal (EventSourcedBehaviorTestKit)
 * on a clock the test moves, its chip, and incarnations spawned as sharding runs them.
 */
abstract class SensorEntityFixture {

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
        testKit = ActorTestKit.create("SensorEntityTest", testKitConfig());
        fleet = new TestFleet(dir.resolve("card"));
        card = fleet.openCard("entity-test");
    }

    /** An actor system for entities outside sharding: in-memory journal, the entity's serializers. */
    static Config testKitConfig() {
        return EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseString("""
                pekko.coordinated-shutdown.exit-jvm = off
                """)).withFallback(ConfigFactory.parseResources("serialization.conf"))
                .withFallback(ConfigFactory.parseResources("cluster-serialization.conf"));
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
                SensorEntities.create(id, PersistenceId.of("Sensor", id.toString()), card, settings));
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

    /** The node's count of reservation writes of one kind, from its Prometheus text. */
    static double reservationWrites(String when) {
        String text = new String(org.microcert.cluster.metrics.Metrics.get(testKit.system()).scrape(),
                java.nio.charset.StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(?m)^microcert_replay_reservations_total\\{when=\"" + when + "\"} (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    byte[] certBytes() throws Exception {
        return auth().encode();
    }

    /** A second incarnation of the kit's sensor, driven by messages so that it can be stopped as sharding stops it. */
    org.apache.pekko.actor.typed.ActorRef<Command> spawnIncarnation() {
        SensorId id = new SensorId(SENSOR);
        return testKit.spawn(SensorEntities.create(id, PersistenceId.of("Sensor", id.toString()), card, settings(true)));
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
        var entity = testKit.spawn(SensorEntities.create(id, PersistenceId.of("Sensor", id.toString()), card, settings,
                ReplayLedger.NONE, shard.ref(), unusedAfterProvision));
        TestProbe<OperatorReply> reply = testKit.createTestProbe();
        entity.tell(new SensorMessages.Provision(fleet.transportEnvelope(chip), "alice", reply.ref()));
        assertInstanceOf(Done.class, reply.receiveMessage());
        return entity;
    }

    static byte[] digest(byte[] data) {
        return CertificateVerifier.signDigest(CipherSuite.AES128, data);
    }
}
