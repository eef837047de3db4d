package org.microcert.persistence.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.KeySeed;
import org.microcert.protocol.SensorId;

/**
 * Issue item 5: known seeds are sealed by a real card and written through Pekko Persistence (events
 * and snapshots); then the journal and snapshot rows and every file of the Cassandra node (SSTables
 * after a flush, commit log, hints, caches, log) are searched for any 16-byte row of any seed, and
 * none is found. Controls prove the search could succeed: the tables are uncompressed (compressed
 * SSTables would hide the bytes and prove nothing), a clear canary written to a table is found in
 * the files, and the sealed ciphertexts themselves are found.
 */
@ExtendWith(CassandraExtension.class)
class SeedScanTest {

    private static final int SENSORS = 20;

    @TempDir
    Path dir;

    @Test
    void noSeedRowReachesJournalRowsSnapshotsOrCassandraFiles(TestCassandra cassandra) throws IOException {
        assumeFalse(cassandra.external(), "searches the node's files: needs the Cassandra the fixture starts");
        CassandraTarget target = JournalTestSupport.target(cassandra, "scan_it");
        JournalTestSupport.createSchema(target);
        try (CqlSession session = target.openSession()) {
            session.execute("ALTER TABLE " + target.journalKeyspace() + ".messages WITH compression = {'enabled': false}");
            session.execute("ALTER TABLE " + target.snapshotKeyspace() + ".snapshots WITH compression = {'enabled': false}");
        }

        SecureRandom random = new SecureRandom();
        List<byte[]> seedRows = new ArrayList<>();
        List<byte[]> ciphertexts = new ArrayList<>();
        ActorSystem<Void> system = JournalTestSupport.system(target, "scan");
        try (EncryptionCard card = JournalTestSupport.card(dir, "scan")) {
            Instant at = Instant.now();
            for (int i = 0; i < SENSORS; i++) {
                SensorId sensor = new SensorId(0x5ca0_0000_0000_0000L + i);
                SealedSeed first = sealKnownSeed(card, sensor, 1, random, seedRows);
                SealedSeed second = sealKnownSeed(card, sensor, 2, random, seedRows);
                ciphertexts.add(second.ciphertext());
                // snapshot every 2 events: the snapshot rows hold sealed seeds too
                JournalTestSupport.append(system, sensor, List.of(
                        new SensorEvent.Provisioned(first, card.digest(first).toString(), at, "factory"),
                        new SensorEvent.SeedUpdateStarted(2, at, "operator"),
                        new SensorEvent.SeedUpdated(second, card.digest(second).toString(), at, "sensor")), 2);
            }
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }
        SeedRowSearch search = new SeedRowSearch(seedRows);

        // 1. the rows as a client reads them
        int blobs = 0;
        boolean ciphertextInRows = false;
        try (CqlSession session = target.openSession()) {
            List<ByteBuffer> all = new ArrayList<>();
            for (Row r : session.execute("SELECT event FROM " + target.journalKeyspace() + ".messages")) {
                all.add(r.getByteBuffer("event"));
            }
            for (Row r : session.execute("SELECT snapshot_data FROM " + target.snapshotKeyspace() + ".snapshots")) {
                all.add(r.getByteBuffer("snapshot_data"));
            }
            for (ByteBuffer b : all) {
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                assertEquals(0, search.count(bytes), "a journal or snapshot row holds a seed row in clear");
                ciphertextInRows |= indexOf(bytes, ciphertexts.get(0)) >= 0;
                blobs++;
            }
            assertTrue(blobs >= SENSORS * 3 + SENSORS, "events and snapshots were read: " + blobs);
            assertTrue(ciphertextInRows, "control: the sealed seed is in the rows");

            // control for the file search: a clear canary made of seed-like rows, flushed like the journal
            session.execute("CREATE TABLE IF NOT EXISTS " + target.journalKeyspace()
                    + ".canary (k int PRIMARY KEY, v blob) WITH compression = {'enabled': false}");
            byte[] canary = new byte[32];
            random.nextBytes(canary);
            session.execute("INSERT INTO " + target.journalKeyspace() + ".canary (k, v) VALUES (1, ?)", ByteBuffer.wrap(canary));
            seedRows.add(Arrays.copyOfRange(canary, 0, 16));
        }
        cassandra.flush(target.journalKeyspace());
        cassandra.flush(target.snapshotKeyspace());

        // 2. every file of the node; the only hits allowed are the canary's
        SeedRowSearch withCanary = new SeedRowSearch(seedRows);
        Path node = cassandra.server().orElseThrow().settings().directory();
        byte[] ciphertext = ciphertexts.get(0);
        long hits = 0;
        boolean ciphertextInSstable = false;
        boolean canaryInSstable = false;
        try (Stream<Path> files = Files.walk(node)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                long found = withCanary.count(bytes);
                long seeds = search.count(bytes);
                assertEquals(0, seeds, "seed bytes in clear in " + f);
                hits += found;
                boolean sstable = f.getFileName().toString().endsWith("-Data.db");
                canaryInSstable |= sstable && found > 0;
                ciphertextInSstable |= sstable && indexOf(bytes, ciphertext) >= 0;
            }
        }
        assertTrue(canaryInSstable, "control: the clear canary is found in a flushed SSTable");
        assertTrue(ciphertextInSstable, "control: the sealed seed is found in a flushed SSTable");
        assertTrue(hits > 0);
    }

    private static SealedSeed sealKnownSeed(EncryptionCard card, SensorId sensor, int version, SecureRandom random,
                                            List<byte[]> rows) {
        KeySeed seed = KeySeed.generate(random, version, 2026);
        try {
            byte[] encoded = seed.toBytes();
            for (int off = KeySeed.HEADER_LENGTH; off < encoded.length; off += KeySeed.ROW_BYTES) {
                rows.add(Arrays.copyOfRange(encoded, off, off + KeySeed.ROW_BYTES));
            }
            Arrays.fill(encoded, (byte) 0);
            return card.seal(sensor, CipherSuite.AES128, seed);
        } finally {
            seed.destroy();
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Finds 16-byte rows at any offset: sorted 8-byte prefixes, then a full comparison. */
    static final class SeedRowSearch {
        private final long[] prefixes;
        private final List<byte[]> rows;

        SeedRowSearch(List<byte[]> rows) {
            this.rows = List.copyOf(rows);
            this.prefixes = rows.stream().mapToLong(r -> ByteBuffer.wrap(r).getLong()).sorted().toArray();
        }

        long count(byte[] data) {
            ByteBuffer buf = ByteBuffer.wrap(data);
            long found = 0;
            for (int i = 0; i + 16 <= data.length; i++) {
                long prefix = buf.getLong(i);
                if (prefix != 0 && Arrays.binarySearch(prefixes, prefix) >= 0 && matchesRow(data, i)) {
                    found++;
                }
            }
            return found;
        }

        private boolean matchesRow(byte[] data, int offset) {
            for (byte[] row : rows) {
                if (Arrays.equals(data, offset, offset + 16, row, 0, 16)) {
                    return true;
                }
            }
            return false;
        }
    }
}
