package org.microcert.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A chip's public state as persisted ({@link ChipStore#saveState}), byte for byte the C library's
 * STATE blob: seed version u32, revoked u8 (0 or 1), replay floor u32, count u16, then count x
 * (timestamp u32, random u64); big-endian, exact length. A revoked chip's version is the version it
 * held when revoked.
 *
 * @param replayFloor inbound certificates with a timestamp below this are refused as replays
 * @param seen        the (timestamp, random) of inbound certificates accepted within the skew window
 */
public record ChipState(int seedVersion, boolean revoked, long replayFloor, List<Seen> seen) {

    /** One accepted inbound certificate. */
    public record Seen(long timestamp, long random) {
    }

    public static final int HEADER_BYTES = 11;
    public static final int SEEN_BYTES = 12;

    public ChipState {
        if (replayFloor < 0 || replayFloor > CskDerivation.MAX_TIMESTAMP) {
            throw new IllegalArgumentException("replay floor outside 0..2^32-1");
        }
        if (seen.size() > SensorChip.MAX_REMEMBERED) {
            throw new IllegalArgumentException("more than " + SensorChip.MAX_REMEMBERED + " remembered certificates");
        }
        seen = List.copyOf(seen);
    }

    public byte[] toBytes() {
        byte[] out = new byte[HEADER_BYTES + SEEN_BYTES * seen.size()];
        Bytes.putInt(out, 0, seedVersion);
        out[4] = (byte) (revoked ? 1 : 0);
        Bytes.putInt(out, 5, (int) replayFloor);
        out[9] = (byte) (seen.size() >>> 8);
        out[10] = (byte) seen.size();
        int at = HEADER_BYTES;
        for (Seen s : seen) {
            Bytes.putInt(out, at, (int) s.timestamp());
            Bytes.putLong(out, at + 4, s.random());
            at += SEEN_BYTES;
        }
        return out;
    }

    /** Decodes strictly: exact length, a revoked flag of 0 or 1, at most {@link SensorChip#MAX_REMEMBERED} entries. */
    public static ChipState fromBytes(byte[] in) throws MalformedChipStateException {
        if (in == null || in.length < HEADER_BYTES) {
            throw new MalformedChipStateException(Defect.TOO_SHORT, "chip state must be at least " + HEADER_BYTES
                    + " bytes, got " + (in == null ? "none" : in.length));
        }
        int count = (in[9] & 0xff) << 8 | in[10] & 0xff;
        if (count > SensorChip.MAX_REMEMBERED) {
            throw new MalformedChipStateException(Defect.BAD_FIELD, "chip state remembers " + count
                    + " certificates, at most " + SensorChip.MAX_REMEMBERED + " allowed");
        }
        if (in.length != HEADER_BYTES + SEEN_BYTES * count) {
            throw new MalformedChipStateException(Defect.BAD_LENGTH, "chip state with " + count + " entries must be "
                    + (HEADER_BYTES + SEEN_BYTES * count) + " bytes, got " + in.length);
        }
        if (in[4] != 0 && in[4] != 1) {
            throw new MalformedChipStateException(Defect.BAD_FIELD, "chip state revoked flag must be 0 or 1, got " + in[4]);
        }
        List<Seen> seen = new ArrayList<>(count);
        for (int at = HEADER_BYTES; at < in.length; at += SEEN_BYTES) {
            seen.add(new Seen(Integer.toUnsignedLong(Bytes.getInt(in, at)), Bytes.getLong(in, at + 4)));
        }
        return new ChipState(Bytes.getInt(in, 0), in[4] == 1, Integer.toUnsignedLong(Bytes.getInt(in, 5)),
                Collections.unmodifiableList(seen));
    }

    /** A persisted chip state that failed strict decoding. */
    public static final class MalformedChipStateException extends MalformedInputException {
        public MalformedChipStateException(Defect reason, String message) {
            super(reason, message);
        }
    }
}
