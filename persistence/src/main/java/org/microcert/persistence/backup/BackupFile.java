package org.microcert.persistence.backup;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collection;
import java.util.function.Consumer;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.microcert.persistence.card.CardException;
import org.microcert.persistence.card.EncryptionCard;
import org.microcert.persistence.card.RecordDigest;
import org.microcert.persistence.card.SetDigest;
import org.microcert.persistence.sensor.SensorRecord;
import org.microcert.protocol.SensorId;

/**
 * The backup file: every sensor's {@link SensorRecord} (seeds sealed, never clear) with the set
 * digest of its sealed seeds, MAC'd by the encryption card, and a keyed MAC over the whole file.
 * Format (big-endian), documented in {@code docs/persistence.md}:
 * <pre>
 *   magic "MCBACKUP" | u16 format (1) | u64 created (epoch ms) | u32 records
 *   set digest (SetDigest.toBytes()) | u16 n | card.mac(set digest) (n bytes)
 *   records x (u16 m | serializer manifest (m bytes UTF-8) | u32 k | Jackson CBOR of SensorRecord (k bytes))
 *   u16 n | card.mac(file digest) (n bytes)
 * </pre>
 * The file digest is the SHA-256 of every byte before it, held as a one-entry {@link SetDigest} so
 * the card (which MACs set digests) can MAC it: only a card with the center's integrity key can
 * make or check it. {@link #verify} reads the whole file and checks everything before
 * {@link #read} hands out a single record, so a corrupted or truncated file is refused before
 * anything is imported.
 */
public final class BackupFile {

    private static final byte[] MAGIC = "MCBACKUP".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT = 1;
    private static final int MAX_MANIFEST = 1024;
    private static final int MAX_RECORD = 1 << 20;

    /** What a verified file holds. */
    public record Summary(long createdEpochMilli, int records, SetDigest setDigest) {
    }

    private BackupFile() {
    }

    /** Writes {@code records} to {@code file} (through a temporary file, moved into place when complete). */
    public static Summary write(Path file, Collection<SensorRecord> records, EncryptionCard card, Serialization serialization) {
        SetDigest.Builder digest = new SetDigest.Builder();
        for (SensorRecord r : records) {
            if (r.hasSeed()) {
                digest.add(r.sensorId(), card.digest(r.seed()));
            }
        }
        SetDigest setDigest = digest.build();
        long created = System.currentTimeMillis();
        Path tmp = file.resolveSibling(file.getFileName() + ".partial");
        try {
            MessageDigest sha = sha256();
            try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(tmp));
                 DataOutputStream out = new DataOutputStream(new DigestOutputStream(raw, sha))) {
                out.write(MAGIC);
                out.writeShort(FORMAT);
                out.writeLong(created);
                out.writeInt(records.size());
                out.write(setDigest.toBytes());
                writeBlock(out, card.mac(setDigest));
                for (SensorRecord r : records) {
                    Serializer serializer = serialization.findSerializerFor(r);
                    byte[] manifest = Serializers.manifestFor(serializer, r).getBytes(StandardCharsets.UTF_8);
                    byte[] bytes = serializer.toBinary(r);
                    out.writeShort(manifest.length);
                    out.write(manifest);
                    out.writeInt(bytes.length);
                    out.write(bytes);
                }
                out.flush();
                byte[] fileMac = card.mac(fileDigest(sha.digest()));
                raw.write(new byte[] {(byte) (fileMac.length >>> 8), (byte) fileMac.length});
                raw.write(fileMac);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BackupException(BackupException.Reason.IO, "cannot write " + file + ": " + e.getMessage(), e);
        }
        return new Summary(created, records.size(), setDigest);
    }

    /**
     * Reads the whole file and checks its structure, the card's MACs, that every sealed seed
     * authenticates under the card and that their set digest is the MAC'd one.
     *
     * @throws BackupException NOT_A_BACKUP, UNSUPPORTED_VERSION, TRUNCATED, CORRUPTED or DIGEST_MISMATCH
     */
    public static Summary verify(Path file, EncryptionCard card, Serialization serialization) {
        return pass(file, load(file), card, serialization, r -> { });
    }

    /**
     * Verifies the whole file, then hands each record to {@code sink}. The file is read into memory
     * once, so what is handed out is exactly what was verified (about 1.5 KB per sensor).
     */
    public static Summary read(Path file, EncryptionCard card, Serialization serialization, Consumer<SensorRecord> sink) {
        byte[] content = load(file);
        pass(file, content, card, serialization, r -> { });
        return pass(file, content, card, serialization, sink);
    }

    private static byte[] load(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BackupException(BackupException.Reason.IO, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Summary pass(Path file, byte[] content, EncryptionCard card, Serialization serialization,
                                Consumer<SensorRecord> sink) {
        MessageDigest sha = sha256();
        try (InputStream raw = new java.io.ByteArrayInputStream(content)) {
            DataInputStream in = new DataInputStream(new DigestInputStream(raw, sha));
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new BackupException(BackupException.Reason.NOT_A_BACKUP, file + " is not a MicroCert backup");
            }
            int format = in.readUnsignedShort();
            if (format != FORMAT) {
                throw new BackupException(BackupException.Reason.UNSUPPORTED_VERSION, file + " has backup format "
                        + format + "; this version reads format " + FORMAT);
            }
            long created = in.readLong();
            int count = in.readInt();
            if (count < 0) {
                throw corrupted(file, "negative record count");
            }
            byte[] digestBytes = new byte[SetDigest.empty().toBytes().length];
            in.readFully(digestBytes);
            SetDigest declared = SetDigest.fromBytes(digestBytes);
            byte[] digestMac = readBlock(in, file);
            SetDigest.Builder recomputed = new SetDigest.Builder();
            for (int i = 0; i < count; i++) {
                SensorRecord r = readRecord(in, serialization, file, i);
                if (r.hasSeed()) {
                    try {
                        card.authenticate(r.seed());
                    } catch (CardException e) {
                        throw new BackupException(BackupException.Reason.DIGEST_MISMATCH, "record " + i + " (sensor "
                                + r.sensorId() + ") does not authenticate under this card: " + e.getMessage());
                    }
                    recomputed.add(r.sensorId(), card.digest(r.seed()));
                }
                sink.accept(r);
            }
            byte[] bodyDigest = sha.digest();
            byte[] fileMac = readBlockRaw(raw, file);
            if (raw.read() != -1) {
                throw corrupted(file, "bytes after the end");
            }
            try {
                card.verifyMac(fileDigest(bodyDigest), fileMac);
            } catch (CardException e) {
                throw corrupted(file, "the file MAC does not check (changed, or made by another center's card)");
            }
            try {
                card.verifyMac(declared, digestMac);
            } catch (CardException e) {
                throw new BackupException(BackupException.Reason.DIGEST_MISMATCH, file + ": the set digest MAC does not check");
            }
            if (!recomputed.build().equals(declared)) {
                throw new BackupException(BackupException.Reason.DIGEST_MISMATCH, file
                        + ": the records' set digest is not the one recorded in the file");
            }
            return new Summary(created, count, declared);
        } catch (EOFException e) {
            throw new BackupException(BackupException.Reason.TRUNCATED, file + " ends early (truncated)");
        } catch (CardException e) {
            throw corrupted(file, e.getMessage());
        } catch (IOException e) {
            throw new BackupException(BackupException.Reason.IO, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static SensorRecord readRecord(DataInputStream in, Serialization serialization, Path file, int index)
            throws IOException {
        int m = in.readUnsignedShort();
        if (m == 0 || m > MAX_MANIFEST) {
            throw corrupted(file, "record " + index + " has a bad manifest length");
        }
        String manifest = new String(readExactly(in, m), StandardCharsets.UTF_8);
        int k = in.readInt();
        if (k <= 0 || k > MAX_RECORD) {
            throw corrupted(file, "record " + index + " has a bad length");
        }
        byte[] bytes = readExactly(in, k);
        scala.util.Try<Object> decoded = serialization.deserialize(bytes,
                serialization.serializerFor(SensorRecord.class).identifier(), manifest);
        if (decoded.isFailure() || !(decoded.get() instanceof SensorRecord r)) {
            throw corrupted(file, "record " + index + " does not decode");
        }
        return r;
    }

    private static byte[] readExactly(DataInputStream in, int n) throws IOException {
        byte[] out = new byte[n];
        in.readFully(out);
        return out;
    }

    private static void writeBlock(DataOutputStream out, byte[] block) throws IOException {
        out.writeShort(block.length);
        out.write(block);
    }

    private static byte[] readBlock(DataInputStream in, Path file) throws IOException {
        int n = in.readUnsignedShort();
        if (n == 0 || n > 1024) {
            throw corrupted(file, "bad MAC length");
        }
        return readExactly(in, n);
    }

    private static byte[] readBlockRaw(InputStream raw, Path file) throws IOException {
        return readBlock(new DataInputStream(raw), file);
    }

    /** The SHA-256 of the file's body as a one-entry set digest, the form the card MACs. */
    private static SetDigest fileDigest(byte[] sha256) {
        return new SetDigest.Builder().add(new SensorId(0), new RecordDigest(sha256)).build();
    }

    private static BackupException corrupted(Path file, String detail) {
        return new BackupException(BackupException.Reason.CORRUPTED, file + " is corrupted: " + detail);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
