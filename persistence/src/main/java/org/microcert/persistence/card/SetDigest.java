package org.microcert.persistence.card;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.microcert.protocol.SensorId;

/**
 * An order-independent digest over a set of sealed-seed records: for each of {@value #BUCKETS}
 * buckets (chosen by sensor id), the number of records and the sum modulo 2^256 of their
 * {@link RecordDigest}s. Adding and removing records commute, so the value a card accumulates as
 * records are stored, replaced and revoked equals the value an audit recomputes from the journal,
 * whatever the order; accumulators of several nodes {@link #combine combine} by adding. A sum (unlike
 * XOR) also catches a record counted twice. Buckets let an audit narrow a mismatch to the sensors of
 * one bucket and tell records added or removed (count differs) from records altered or rolled back
 * (count equal, sum differs). Immutable; not secret.
 */
public final class SetDigest {

    /** Number of buckets. Part of the state-file and backup formats: changing it is a format change. */
    public static final int BUCKETS = 256;

    static final int ENCODED_BYTES = BUCKETS * (Long.BYTES + RecordDigest.BYTES);
    private static final BigInteger MODULUS = BigInteger.ONE.shiftLeft(256);
    private static final SetDigest EMPTY = new Builder().build();

    private final long[] counts;
    private final BigInteger[] sums;

    private SetDigest(long[] counts, BigInteger[] sums) {
        this.counts = counts;
        this.sums = sums;
    }

    /** The digest of the empty set. */
    public static SetDigest empty() {
        return EMPTY;
    }

    /** The bucket a sensor's records fall in: a fixed mix of the id, so sequential ids spread evenly. */
    public static int bucketOf(SensorId sensorId) {
        long z = sensorId.value() + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (int) ((z ^ (z >>> 31)) >>> 56);
    }

    /** Net number of records (may be negative in one node's accumulator; see {@link #combine}). */
    public long count() {
        return Arrays.stream(counts).sum();
    }

    /** Sum of all buckets' sums modulo 2^256, big-endian: one value to display or compare. */
    public byte[] total() {
        BigInteger t = BigInteger.ZERO;
        for (BigInteger s : sums) {
            t = t.add(s);
        }
        return toBytes32(t.mod(MODULUS));
    }

    /** The digest of the union of two record sets: how the accumulators of several nodes add up. */
    public SetDigest combine(SetDigest other) {
        Builder b = toBuilder();
        for (int i = 0; i < BUCKETS; i++) {
            b.counts[i] += other.counts[i];
            b.sums[i] = b.sums[i].add(other.sums[i]).mod(MODULUS);
        }
        return b.build();
    }

    /** A bucket where two digests differ; {@code countDelta} is this digest's count minus the other's. */
    public record BucketDifference(int bucket, long countDelta) {
        /** True when the counts agree but the sums do not: records altered, rolled back or swapped. */
        public boolean sameCount() {
            return countDelta == 0;
        }
    }

    /** The buckets where this digest and {@code other} differ, in bucket order; empty when equal. */
    public List<BucketDifference> differences(SetDigest other) {
        List<BucketDifference> out = new ArrayList<>();
        for (int i = 0; i < BUCKETS; i++) {
            if (counts[i] != other.counts[i] || !sums[i].equals(other.sums[i])) {
                out.add(new BucketDifference(i, counts[i] - other.counts[i]));
            }
        }
        return out;
    }

    /** Fixed-size encoding: per bucket, the count (8 bytes) then the sum (32 bytes), big-endian. */
    public byte[] toBytes() {
        ByteBuffer buf = ByteBuffer.allocate(ENCODED_BYTES);
        for (int i = 0; i < BUCKETS; i++) {
            buf.putLong(counts[i]).put(toBytes32(sums[i]));
        }
        return buf.array();
    }

    /**
     * Decodes {@link #toBytes()}.
     *
     * @throws CardException {@code INVALID_ARGUMENT} when the length is wrong
     */
    public static SetDigest fromBytes(byte[] encoded) {
        if (encoded == null || encoded.length != ENCODED_BYTES) {
            throw new CardException(CardException.Reason.INVALID_ARGUMENT,
                    "an encoded set digest is " + ENCODED_BYTES + " bytes");
        }
        ByteBuffer buf = ByteBuffer.wrap(encoded);
        Builder b = new Builder();
        byte[] sum = new byte[32];
        for (int i = 0; i < BUCKETS; i++) {
            b.counts[i] = buf.getLong();
            buf.get(sum);
            b.sums[i] = new BigInteger(1, sum);
        }
        return b.build();
    }

    public Builder toBuilder() {
        return new Builder(counts.clone(), sums.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SetDigest d && Arrays.equals(counts, d.counts) && Arrays.equals(sums, d.sums);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(counts) * 31 + Arrays.hashCode(sums);
    }

    @Override
    public String toString() {
        return "SetDigest[count=" + count() + ", total=" + HexFormat.of().formatHex(total()) + "]";
    }

    private static byte[] toBytes32(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }

    /** Mutable accumulator, e.g. for an audit summing the digests of every record it reads. Not thread-safe. */
    public static final class Builder {
        private final long[] counts;
        private final BigInteger[] sums;

        public Builder() {
            this(new long[BUCKETS], filledWithZero());
        }

        private Builder(long[] counts, BigInteger[] sums) {
            this.counts = counts;
            this.sums = sums;
        }

        private static BigInteger[] filledWithZero() {
            BigInteger[] s = new BigInteger[BUCKETS];
            Arrays.fill(s, BigInteger.ZERO);
            return s;
        }

        /** Counts a record of {@code sensorId} with digest {@code digest} into the set. */
        public Builder add(SensorId sensorId, RecordDigest digest) {
            int b = bucketOf(sensorId);
            counts[b]++;
            sums[b] = sums[b].add(new BigInteger(1, digest.value())).mod(MODULUS);
            return this;
        }

        /** Takes a record out of the set (the inverse of {@link #add}). */
        public Builder remove(SensorId sensorId, RecordDigest digest) {
            int b = bucketOf(sensorId);
            counts[b]--;
            sums[b] = sums[b].subtract(new BigInteger(1, digest.value())).mod(MODULUS);
            return this;
        }

        public SetDigest build() {
            return new SetDigest(counts.clone(), sums.clone());
        }
    }
}
