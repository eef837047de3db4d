package org.microcert.cluster.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.Test;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.replay.ReplayLedger;
import org.microcert.cluster.sensor.SensorMessages.Command;
import org.microcert.cluster.sensor.SensorMessages.Done;
import org.microcert.cluster.sensor.SensorMessages.OperatorReply;
import org.microcert.protocol.SensorChip;

/** Sensor entities sharing the node's seed cache, seen through the node's Prometheus text. */
class EntitySeedCacheTest extends SensorEntityFixture {

    @Test
    void entitiesShareTheNodesBoundAndTheMetricsCountHitsMissesOpensEvictionsAndOpenSeeds() throws Exception {
        SensorSettings base = settings(true);
        SensorSettings settings = new SensorSettings(base.clockSkew(), base.reservationAhead(), base.maxTracked(), true,
                base.snapshotEvery(), base.keepSnapshots(), base.backoffMin(), base.backoffMax(), base.idleTimeout(),
                base.clock(), 2, Duration.ofMinutes(2));
        SeedCache seeds = SensorSharding.startSeedCache(testKit.system(), settings);
        assertEquals(2.0, metric("microcert_seed_cache_capacity"));
        SensorChip a = TestFleet.chip(0xCA01L, START);
        SensorChip b = TestFleet.chip(0xCA02L, START);
        SensorChip c = TestFleet.chip(0xCA03L, START);
        var entityA = spawn(a, settings, seeds);
        var entityB = spawn(b, settings, seeds);
        var entityC = spawn(c, settings, seeds);
        accept(entityA, a); // miss: opened and kept
        accept(entityA, a); // hit
        accept(entityB, b); // miss
        accept(entityC, c); // miss: the bound is reached, B (not used again) goes
        accept(entityB, b); // miss: A (its second chance spent) goes
        assertEquals(1.0, metric("microcert_seed_cache_hits_total"));
        assertEquals(4.0, metric("microcert_seed_cache_misses_total"));
        assertEquals(4.0, metric("microcert_seed_opens_total"));
        assertEquals(2.0, metric("microcert_seed_cache_evictions_total{reason=\"bound\"}"));
        assertEquals(2.0, metric("microcert_seed_cache_open_seeds"));
        stopAsShardingDoes(entityC); // passivation: C's seed is wiped
        assertEquals(1.0, metric("microcert_seed_cache_evictions_total{reason=\"released\"}"));
        assertEquals(1.0, metric("microcert_seed_cache_open_seeds"));
        assertEquals(0, seeds.stats().evictedIdle());
        stopAsShardingDoes(entityA);
        stopAsShardingDoes(entityB);
        assertEquals(0.0, metric("microcert_seed_cache_open_seeds"));
    }

    ActorRef<Command> spawn(SensorChip chip, SensorSettings settings, SeedCache seeds) {
        var id = chip.sensorId();
        var entity = testKit.spawn(SensorEntities.create(id, PersistenceId.of("Sensor", id.toString()), card, settings,
                ReplayLedger.NONE, null, Passivation.UNUSED_AFTER_PROVISION, seeds));
        TestProbe<OperatorReply> reply = testKit.createTestProbe();
        entity.tell(new SensorMessages.Provision(fleet.transportEnvelope(chip), "alice", reply.ref()));
        assertInstanceOf(Done.class, reply.receiveMessage());
        return entity;
    }

    void accept(ActorRef<Command> entity, SensorChip chip) throws Exception {
        assertTrue(authenticate(entity, chip.authenticate(clock.instant())).accepted());
    }

    /** One sample of the node's Prometheus text, by name and labels as written there. */
    static double metric(String sample) {
        String text = new String(Metrics.get(testKit.system()).scrape(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(text);
        assertTrue(m.find(), sample + " missing from:\n" + text);
        return Double.parseDouble(m.group(1));
    }
}
