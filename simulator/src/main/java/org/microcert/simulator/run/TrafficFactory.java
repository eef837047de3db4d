package org.microcert.simulator.run;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.load.Operation;
import org.microcert.simulator.traffic.Device;
import org.microcert.simulator.traffic.Fleet;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.TrafficMix;
import org.microcert.simulator.traffic.Verdict;

/**
 * Turns a {@link TrafficMix} and a {@link Fleet} into requests against the gateways. Each request is
 * built when it is sent, with the current time, as a real sensor would.
 */
public final class TrafficFactory implements Operation.Source {

    /** How far a skewed clock is off: well beyond any sane skew window (docs/http-api.md: 120 s). */
    static final long SKEW_SECONDS = 3_600;
    private static final int REPLAY_POOL = 1_024;

    private final TrafficMix mix;
    private final Fleet fleet;
    private final GatewayClient gateway;
    private final LongSupplier epochSeconds;
    private final int batchSize;
    private final int payloadBytes;
    /** Certificates the center accepted, to be replayed. */
    private final AtomicReferenceArray<byte[]> accepted = new AtomicReferenceArray<>(REPLAY_POOL);
    private final AtomicLong acceptedCount = new AtomicLong();

    public TrafficFactory(TrafficMix mix, Fleet fleet, GatewayClient gateway, LongSupplier epochSeconds,
                          int batchSize, int payloadBytes) {
        for (TrafficKind k : List.of(TrafficKind.REVOKED_SENSOR, TrafficKind.UNKNOWN_SENSOR, TrafficKind.EXPIRED_SEED)) {
            if (mix.includes(k) && devicesFor(fleet, k).isEmpty()) {
                throw new IllegalArgumentException("the mix has " + k.label() + " traffic but the fleet has no such sensor");
            }
        }
        this.mix = mix;
        this.fleet = fleet;
        this.gateway = gateway;
        this.epochSeconds = epochSeconds;
        this.batchSize = batchSize;
        this.payloadBytes = payloadBytes;
    }

    private static List<Device> devicesFor(Fleet f, TrafficKind k) {
        return switch (k) {
            case REVOKED_SENSOR -> f.revoked();
            case UNKNOWN_SENSOR -> f.unknown();
            case EXPIRED_SEED -> f.expiredSeed();
            default -> f.active();
        };
    }

    @Override
    public Operation create(long index) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        TrafficKind kind = mix.pick(rnd);
        if (kind == TrafficKind.REPLAYED && acceptedCount.get() == 0) {
            kind = TrafficKind.AUTHENTICATE; // nothing accepted yet to replay
        }
        long now = epochSeconds.getAsLong();
        return switch (kind) {
            case AUTHENTICATE -> single(kind, () -> {
                Device d = pick(fleet.active(), rnd);
                byte[] cert = d.authenticate(now);
                return gateway.authenticate(cert, () -> d.authenticate(epochSeconds.getAsLong())).thenApply(v -> remember(cert, v));
            });
            case SIGN -> single(kind, () -> {
                byte[] data = payload(rnd);
                Device d = pick(fleet.active(), rnd);
                return gateway.verify(d.sign(now, data), data, () -> d.sign(epochSeconds.getAsLong(), data));
            });
            case ENCRYPT -> single(kind, () -> {
                byte[] plain = payload(rnd);
                Device d = pick(fleet.active(), rnd);
                return gateway.decrypt(d.encrypt(now, plain), plain, () -> d.encrypt(epochSeconds.getAsLong(), plain));
            });
            case BATCH -> batch(rnd, now);
            case REPLAYED -> single(kind, () -> gateway.authenticate(replayable(rnd)));
            case FORGED_TAG -> single(kind, () -> gateway.authenticate(forge(pick(fleet.active(), rnd).authenticate(now), rnd)));
            case SKEWED_CLOCK -> single(kind, () -> gateway.authenticate(
                    pick(fleet.active(), rnd).authenticate(now + (rnd.nextBoolean() ? SKEW_SECONDS : -SKEW_SECONDS))));
            case UNKNOWN_SENSOR, REVOKED_SENSOR, EXPIRED_SEED -> {
                Device d = pick(devicesFor(fleet, kind), rnd);
                yield single(kind, () -> gateway.authenticate(d.authenticate(now)));
            }
            case MALFORMED -> single(kind, () -> gateway.authenticate(malform(pick(fleet.active(), rnd).authenticate(now), rnd)));
        };
    }

    private Operation batch(ThreadLocalRandom rnd, long now) {
        List<byte[]> certs = new ArrayList<>(batchSize);
        List<java.util.function.Supplier<byte[]>> fresh = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            Device d = pick(fleet.active(), rnd);
            certs.add(d.authenticate(now));
            fresh.add(() -> d.authenticate(epochSeconds.getAsLong()));
        }
        // encoded now, not at send(): a batch prebuilt before a measurement (Prebuilt) costs nothing while measured
        GatewayClient.PreparedBatch prepared = gateway.prepareBatch(certs, fresh);
        return new Operation() {
            @Override
            public TrafficKind kind() {
                return TrafficKind.BATCH;
            }

            @Override
            public CompletableFuture<List<Item>> send() {
                return gateway.send(prepared).thenApply(vs -> vs.stream().map(v -> new Item(TrafficKind.BATCH, v)).toList());
            }
        };
    }

    private Verdict remember(byte[] cert, Verdict v) {
        if (v instanceof Verdict.Accepted) {
            accepted.set((int) (acceptedCount.getAndIncrement() % REPLAY_POOL), cert);
        }
        return v;
    }

    private byte[] replayable(ThreadLocalRandom rnd) {
        int filled = (int) Math.min(acceptedCount.get(), REPLAY_POOL);
        return accepted.get(rnd.nextInt(filled)).clone();
    }

    /** Flips one bit of the tag (the last bytes of every certificate). */
    static byte[] forge(byte[] cert, ThreadLocalRandom rnd) {
        byte[] out = cert.clone();
        out[out.length - 1 - rnd.nextInt(4)] ^= (byte) (1 << rnd.nextInt(8));
        return out;
    }

    /**
     * Makes bytes that cannot decode: empty, truncated, one byte too long, or an unknown version.
     * Never random bytes of the right length, which might decode and be judged for another reason.
     */
    static byte[] malform(byte[] cert, ThreadLocalRandom rnd) {
        return switch (rnd.nextInt(4)) {
            case 0 -> new byte[0];
            case 1 -> java.util.Arrays.copyOf(cert, 1 + rnd.nextInt(cert.length - 1));
            case 2 -> java.util.Arrays.copyOf(cert, cert.length + 1);
            default -> {
                byte[] out = cert.clone();
                out[0] = (byte) 0xFF;
                yield out;
            }
        };
    }

    private byte[] payload(ThreadLocalRandom rnd) {
        byte[] b = new byte[payloadBytes];
        rnd.nextBytes(b);
        return b;
    }

    private static Device pick(List<Device> devices, ThreadLocalRandom rnd) {
        return devices.get(rnd.nextInt(devices.size()));
    }

    private static Operation single(TrafficKind kind, java.util.function.Supplier<CompletableFuture<Verdict>> call) {
        return new Operation() {
            @Override
            public TrafficKind kind() {
                return kind;
            }

            @Override
            public CompletableFuture<List<Item>> send() {
                return call.get().thenApply(v -> List.of(new Item(kind, v)));
            }
        };
    }
}
