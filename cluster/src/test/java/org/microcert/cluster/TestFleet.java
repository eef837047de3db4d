package org.microcert.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.microcert.persistence.card.FactoryTransportKey;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;

/**
 * Test fixtures: a software card with its K_trans (the factory's copy), virtual sensors made with
 * the device SDK, and a clock tests move by hand.
 */
public final class TestFleet {

    public static final char[] PASSWORD = "test card password".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path keystore;
    private final byte[] transportKey;

    public TestFleet(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.keystore = dir.resolve("card.bcfks");
        // The key ceremony: the master keystore is itself a software card; K_trans goes to the
        // factory station (here: the tests) wrapped under a password.
        KeyCeremony.create(keystore, PASSWORD.clone());
        Path export = dir.resolve("factory-transport.key");
        char[] exportPassword = "factory station password".toCharArray();
        KeyCeremony.exportTransport(keystore, PASSWORD.clone(), export, exportPassword, FactoryTransportKey.MIN_ITERATIONS);
        this.transportKey = FactoryTransportKey.load(export, exportPassword);
    }

    public Path keystore() {
        return keystore;
    }

    /** Opens the card with its own state file (one per node). */
    public SoftwareCard openCard(String node) {
        return SoftwareCard.open(keystore, PASSWORD.clone(), keystore.resolveSibling(node + ".state"));
    }

    /** A new sensor chip (AES128, seed version 1) whose epoch year is that of {@code now}. */
    public static SensorChip chip(long id, Instant now) {
        return SensorChip.manufacture(new SensorId(id), CipherSuite.AES128, now, RANDOM);
    }

    /** A copy of K_trans, for tests that seal envelopes a chip would never make. */
    public byte[] transportKey() {
        return transportKey.clone();
    }

    /** The chip's first seed under K_trans, as the factory station sends it. */
    public byte[] transportEnvelope(SensorChip chip) {
        return chip.transportEnvelope(transportKey).encode();
    }

    /** A clock that only moves when told to. */
    public static final class ManualClock extends Clock {
        private final AtomicLong millis;

        public ManualClock(Instant start) {
            millis = new AtomicLong(start.toEpochMilli());
        }

        public void advanceSeconds(long s) {
            millis.addAndGet(s * 1000);
        }

        public void advanceMillis(long ms) {
            millis.addAndGet(ms);
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
