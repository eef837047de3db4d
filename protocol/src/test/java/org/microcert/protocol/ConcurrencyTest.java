package org.microcert.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The verifier's per-thread engines: many threads verifying at once all get the right answers. */
class ConcurrencyTest {

    @Test
    void concurrentVerificationsOfGoodAndForgedCertificatesAreAllDecidedCorrectly() throws Exception {
        Instant now = Instant.parse("2026-11-25T18:00:00Z");
        KeySeed seed = KeySeed.generate(KeySeed.newDrbg(), 1, 2026);
        CertificateVerifier verifier = new CertificateVerifier();
        List<byte[]> good = new ArrayList<>();
        for (CipherSuite suite : CipherSuite.values()) {
            SensorChip chip = SensorChip.withSeed(new SensorId(suite.ordinal()), suite, KeySeed.fromBytes(seed.toBytes()),
                    KeySeed.newDrbg(), verifier.maxSkew());
            for (int i = 0; i < 200; i++) {
                good.add(chip.authenticate(now).encode());
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int shift = t;
                results.add(pool.submit(() -> {
                    int accepted = 0;
                    for (int i = 0; i < good.size(); i++) {
                        byte[] cert = good.get((i + shift * 50) % good.size()).clone();
                        boolean forge = i % 2 == 1;
                        if (forge) {
                            cert[31] ^= 1;
                        }
                        try {
                            verifier.verifyAuth(seed, cert, now);
                            accepted++;
                        } catch (VerificationException e) {
                            assertEquals(RejectReason.BAD_TAG, e.reason());
                        }
                    }
                    return accepted;
                }));
            }
            for (Future<Integer> f : results) {
                assertEquals(good.size() / 2, f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
