package org.microcert.persistence.card;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import org.microcert.protocol.SensorId;

/**
 * The card's append-only reference log, next to its state file ({@code <state>.refs-<epoch>}): one
 * entry per change the card was told about, {@code delta i32 | sensor id (8) | seed version u32 |
 * key version u32 | record digest (32)}, after a header {@code "MCRL" | 0x01 | epoch u64}. The
 * entries form a SHA-256 hash chain; the card's state file holds the number of entries and the chain
 * head under its MAC, so the log cannot be edited, truncated, reordered or extended without the card:
 * the log needs no MAC of its own and an update appends 52 bytes instead of rewriting a file that
 * grows with the fleet. Entries beyond the state file's count (a crash between the two writes) are
 * ignored and cut off when the card next opens. Compaction (at open, when most entries are superseded)
 * writes the net references into the next epoch's file; the state file then names that epoch.
 */
final class ReferenceLog implements AutoCloseable {

    static final int ENTRY_BYTES = 4 + 8 + 4 + 4 + RecordDigest.BYTES;
    private static final byte[] MAGIC = "MCRL".getBytes(StandardCharsets.US_ASCII);
    private static final byte FORMAT = 1;
    private static final int HEADER_BYTES = MAGIC.length + 1 + Long.BYTES;
    private static final byte[] CHAIN_LABEL = "microcert/card-refs/v1".getBytes(StandardCharsets.US_ASCII);

    /** Where a log stands: its epoch (which file), its number of entries and the hash chain head over them. */
    record Head(long epoch, long entries, byte[] hash) {
        Head {
            hash = hash.clone();
        }

        Head then(byte[] entry) {
            return new Head(epoch, entries + 1, chain(hash, entry));
        }
    }

    private final FileChannel channel;

    private ReferenceLog(FileChannel channel) {
        this.channel = channel;
    }

    /** The head of an empty log of {@code epoch}. */
    static Head start(long epoch) {
        MessageDigest sha = sha256();
        sha.update(CHAIN_LABEL);
        return new Head(epoch, 0, sha.digest(header(epoch)));
    }

    static byte[] entry(SealedSeed record, RecordDigest digest, int delta) {
        return entry(record.sensorId(), record.seedVersion(), record.keyVersion(), digest, delta);
    }

    private static byte[] entry(SensorId sensor, int seedVersion, int keyVersion, RecordDigest digest, int delta) {
        return ByteBuffer.allocate(ENTRY_BYTES).putInt(delta).putLong(sensor.value()).putInt(seedVersion)
                .putInt(keyVersion).put(digest.value()).array();
    }

    static Path path(Path stateFile, long epoch) {
        return stateFile.resolveSibling(stateFile.getFileName() + ".refs-" + epoch);
    }

    /**
     * Reads the first {@code head.entries()} entries of the log {@code head} names and checks that
     * they chain to {@code head.hash()}.
     *
     * @throws CardException {@code STATE_TAMPERED} when the log is missing, short or does not chain
     */
    static CardReferences read(Path stateFile, Head head) {
        Path file = path(stateFile, head.epoch());
        CardReferences.Builder refs = new CardReferences.Builder();
        Head at = start(head.epoch());
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            byte[] header = in.readNBytes(HEADER_BYTES);
            if (!Arrays.equals(header, header(head.epoch()))) {
                throw tampered(file, "its header is not this epoch's");
            }
            byte[] e = new byte[ENTRY_BYTES];
            while (at.entries() < head.entries()) {
                if (in.readNBytes(e, 0, ENTRY_BYTES) != ENTRY_BYTES) {
                    throw tampered(file, "it is shorter than the card's state file says");
                }
                at = at.then(e);
                ByteBuffer b = ByteBuffer.wrap(e);
                int delta = b.getInt();
                SensorId sensor = new SensorId(b.getLong());
                int seedVersion = b.getInt();
                int keyVersion = b.getInt();
                byte[] digest = new byte[RecordDigest.BYTES];
                b.get(digest);
                refs.add(sensor, seedVersion, keyVersion, new RecordDigest(digest), delta);
            }
        } catch (NoSuchFileException e) {
            if (head.entries() > 0) {
                throw tampered(file, "it is missing");
            }
            return CardReferences.empty();
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot read card reference log " + file, e);
        }
        if (!MessageDigest.isEqual(at.hash(), head.hash())) {
            throw tampered(file, "its entries do not match the card's state file (edited, reordered or replaced)");
        }
        return refs.build();
    }

    /** Opens the log of {@code head} for appending, creating it when new and cutting off entries beyond the head. */
    static ReferenceLog openForAppend(Path stateFile, Head head) {
        Path file = path(stateFile, head.epoch());
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (ch.size() < HEADER_BYTES) {
                ch.write(ByteBuffer.wrap(header(head.epoch())), 0);
            }
            ch.truncate(HEADER_BYTES + head.entries() * ENTRY_BYTES);
            ch.force(true);
            return new ReferenceLog(ch);
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot open card reference log " + file, e);
        }
    }

    /** Writes {@code entries} as entries {@code first}, {@code first + 1}, ... and forces them to disk (idempotent on retry). */
    void append(List<byte[]> entries, long first) {
        if (entries.isEmpty()) {
            return;
        }
        ByteBuffer all = ByteBuffer.allocate(entries.size() * ENTRY_BYTES);
        entries.forEach(all::put);
        all.flip();
        try {
            long position = HEADER_BYTES + first * ENTRY_BYTES;
            while (all.hasRemaining()) {
                position += channel.write(all, position);
            }
            channel.force(false);
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot append to the card reference log", e);
        }
    }

    /**
     * Writes a complete log of epoch {@code epoch} holding {@code refs} (net counts, zeros kept: the card
     * remembers records it saw removed), forced to disk, and returns its head. The caller then
     * writes the state file naming it, and only then deletes the previous epoch's file.
     */
    static Head rewrite(Path stateFile, long epoch, CardReferences.Builder refs) {
        Path file = path(stateFile, epoch);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Head head = start(epoch);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            buf.put(header(epoch));
            for (var e : refs.entries().entrySet()) {
                for (CardReferences.Reference r : e.getValue()) {
                    byte[] entry = entry(e.getKey(), r.seedVersion(), r.keyVersion(), r.digest(), Math.toIntExact(r.count()));
                    head = head.then(entry);
                    if (buf.remaining() < ENTRY_BYTES) {
                        drain(ch, buf);
                    }
                    buf.put(entry);
                }
            }
            drain(ch, buf);
            ch.force(true);
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot write card reference log " + file, e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot write card reference log " + file, e);
        }
        return head;
    }

    /** Deletes the logs of other epochs (superseded by a compaction or a reset). */
    static void deleteOtherEpochs(Path stateFile, long keep) {
        Path dir = stateFile.toAbsolutePath().getParent();
        String prefix = stateFile.getFileName() + ".refs-";
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*")) {
            for (Path f : files) {
                if (!f.getFileName().toString().equals(prefix + keep)) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            // Left-over files are harmless: the state file names the epoch in use.
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // Everything appended was forced already.
        }
    }

    private static void drain(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        buf.clear();
    }

    private static byte[] header(long epoch) {
        return ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).put(FORMAT).putLong(epoch).array();
    }

    static byte[] chain(byte[] hash, byte[] entry) {
        MessageDigest sha = sha256();
        sha.update(hash);
        return sha.digest(entry);
    }

    private static CardException tampered(Path file, String why) {
        return new CardException(CardException.Reason.STATE_TAMPERED, "card reference log " + file + " was refused: " + why);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
