package org.microcert.persistence.card;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * The card-local file that holds a card's {@link SetDigest} between runs:
 * {@code "MCSD" | format 0x02 | generation u64 | SetDigest.toBytes() | reference log epoch u64 |
 * entries u64 | chain head (32) | HMAC-SHA-256}, the MAC made with the integrity key over a fixed
 * label and every byte before it; the reference-log fields authenticate the {@link ReferenceLog}.
 * Format 0x01 (the same without the reference-log fields) is still read, as a card with an empty
 * log; the next write turns it into format 0x02. Written to a temporary file,
 * forced to disk and moved into place, so a crash leaves the old or the new state, never half.
 * The MAC stops edits, not the replacement of the whole file by an older genuine copy (see docs).
 */
final class CardStateFile {

    private static final byte[] MAGIC = "MCSD".getBytes(StandardCharsets.US_ASCII);
    private static final byte FORMAT_V1 = 1;
    private static final byte FORMAT = 2;
    private static final byte[] MAC_LABEL = "microcert/card-state/v1".getBytes(StandardCharsets.US_ASCII);
    private static final int V1_BODY_BYTES = MAGIC.length + 1 + Long.BYTES + SetDigest.ENCODED_BYTES;
    private static final int BODY_BYTES = V1_BODY_BYTES + 2 * Long.BYTES + 32;
    static final int FILE_BYTES = BODY_BYTES + 32;

    /** A decoded state: the digest, how many times the file was written, and where the reference log stands. */
    record State(long generation, SetDigest digest, ReferenceLog.Head references) {
    }

    private CardStateFile() {
    }

    /** Reads and checks a state file; a missing file is the empty state of a new card. */
    static State read(Path file, UnaryOperator<byte[]> hmac) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new State(0, SetDigest.empty(), ReferenceLog.start(0));
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot read card state file " + file, e);
        }
        return decode(file, all, hmac);
    }

    /** Reads a state file that must exist (another node's). */
    static State readExisting(Path file, UnaryOperator<byte[]> hmac) {
        if (!Files.isRegularFile(file)) {
            throw new CardException(CardException.Reason.NOT_FOUND, "no card state file at " + file);
        }
        return read(file, hmac);
    }

    private static State decode(Path file, byte[] all, UnaryOperator<byte[]> hmac) {
        boolean v1 = all.length == V1_BODY_BYTES + 32 && all.length > MAGIC.length && all[MAGIC.length] == FORMAT_V1;
        boolean v2 = all.length == FILE_BYTES && all[MAGIC.length] == FORMAT;
        if (!(v1 || v2) || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CardException(CardException.Reason.STATE_TAMPERED,
                    "card state file " + file + " is not a MicroCert card state (format or length)");
        }
        int bodyBytes = all.length - 32;
        byte[] body = Arrays.copyOf(all, bodyBytes);
        byte[] mac = Arrays.copyOfRange(all, bodyBytes, all.length);
        if (!MessageDigest.isEqual(mac, hmac.apply(macInput(body)))) {
            throw new CardException(CardException.Reason.STATE_TAMPERED,
                    "card state file " + file + " failed its MAC check: edited, or made by another center's card");
        }
        ByteBuffer buf = ByteBuffer.wrap(body, MAGIC.length + 1, bodyBytes - MAGIC.length - 1);
        long generation = buf.getLong();
        byte[] digest = new byte[SetDigest.ENCODED_BYTES];
        buf.get(digest);
        if (v1) {
            return new State(generation, SetDigest.fromBytes(digest), ReferenceLog.start(0));
        }
        long epoch = buf.getLong();
        long entries = buf.getLong();
        byte[] head = new byte[32];
        buf.get(head);
        return new State(generation, SetDigest.fromBytes(digest), new ReferenceLog.Head(epoch, entries, head));
    }

    static void write(Path file, State state, UnaryOperator<byte[]> hmac) {
        ByteBuffer body = ByteBuffer.allocate(BODY_BYTES);
        body.put(MAGIC).put(FORMAT).putLong(state.generation()).put(state.digest().toBytes())
                .putLong(state.references().epoch()).putLong(state.references().entries()).put(state.references().hash());
        byte[] mac = hmac.apply(macInput(body.array()));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(body.array()));
                ch.write(ByteBuffer.wrap(mac));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new CardException(CardException.Reason.IO, "cannot write card state file " + file, e);
        }
    }

    private static byte[] macInput(byte[] body) {
        byte[] in = Arrays.copyOf(MAC_LABEL, MAC_LABEL.length + body.length);
        System.arraycopy(body, 0, in, MAC_LABEL.length, body.length);
        return in;
    }
}
