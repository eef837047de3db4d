package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** The per-client token bucket, on explicit clock readings (nanoseconds): no timing. */
class DeviceRateLimitTest {

    static final long S = 1_000_000_000L;

    /** 10 certificates/s, bursts of 1,000. */
    static DeviceRateLimit limit(int maxClients) {
        return new DeviceRateLimit(true, 10, 1000, maxClients, null);
    }

    @Test
    void aClientGetsItsBurstThenWaitsForItsRateAndOthersAreNotAffected() {
        DeviceRateLimit l = limit(100);
        long t = 5 * S;
        assertEquals(0, l.acquire("a", 1000, t), "a full bucket takes a whole batch");
        long wait = l.acquire("a", 1, t);
        assertEquals(S / 10, wait, "one certificate more needs a tenth of a second at 10/s");
        assertEquals(1, DeviceRateLimit.retryAfterSeconds(wait));
        assertEquals(0, l.acquire("b", 1000, t), "another client has its own bucket");
        assertEquals(0, l.acquire("a", 1, t + S / 10), "refilled at the rate");
        assertTrue(l.acquire("a", 1, t + S / 10) > 0);
    }

    @Test
    void batchItemsCountSoABatchCostsAsMuchAsItsSingleCertificates() {
        DeviceRateLimit l = limit(100);
        long t = 7 * S;
        assertEquals(0, l.acquire("gw", 600, t));
        long wait = l.acquire("gw", 500, t);
        assertEquals(10 * S, wait, "100 certificates short at 10/s: 10 s");
        assertEquals(10, DeviceRateLimit.retryAfterSeconds(wait));
        assertEquals(0, l.acquire("gw", 400, t), "a refused request took nothing");
        assertTrue(l.acquire("gw", 1, t) > 0);
    }

    @Test
    void idleClientsAreEvictedAndBusyOnesBeyondTheBoundShareTheOverflowBucket() {
        DeviceRateLimit l = limit(2);
        long t = 9 * S;
        assertEquals(0, l.acquire("a", 1000, t));
        assertEquals(0, l.acquire("b", 1, t));
        // both busy: a third client goes to the shared overflow bucket, no bucket of its own
        assertEquals(0, l.acquire("c", 1000, t));
        assertEquals(2, l.clients());
        assertTrue(l.acquire("d", 1, t) > 0, "d shares the bucket c emptied");
        assertEquals(2, l.clients());
        // a second later b (one certificate) has refilled: the next new client evicts it and gets its own
        assertEquals(0, l.acquire("e", 1000, t + S));
        assertEquals(2, l.clients());
        assertTrue(l.acquire("e", 1, t + S) > 0, "e has a bucket of its own now, and emptied it");
        assertTrue(l.acquire("a", 1000, t + S) > 0, "a, still busy, kept its state");
    }

    @Test
    void offAdmitsEverything() {
        for (int i = 0; i < 10; i++) {
            assertEquals(0, DeviceRateLimit.OFF.acquire("x", 1000, 0));
        }
    }

    @Test
    void settingsItCannotWorkWithAreRefusedByName() {
        String base = "enabled = on, certificates-per-second = 100, max-clients = 10, burst = ";
        ConfigException e = assertThrows(ConfigException.class,
                () -> DeviceRateLimit.fromConfig(ConfigFactory.parseString(base + "999"), null));
        assertTrue(e.getMessage().contains("burst") && e.getMessage().contains("1000"), e.getMessage());
        assertThrows(ConfigException.class, () -> DeviceRateLimit.fromConfig(ConfigFactory.parseString(
                "enabled = on, certificates-per-second = 0, max-clients = 10, burst = 1000"), null));
        assertThrows(ConfigException.class, () -> DeviceRateLimit.fromConfig(ConfigFactory.parseString(
                "enabled = on, certificates-per-second = 5, max-clients = 0, burst = 1000"), null));
        assertEquals(false, DeviceRateLimit.fromConfig(ConfigFactory.parseString(
                "enabled = off, certificates-per-second = 0, max-clients = 0, burst = 0"), null).enabled());
    }
}
