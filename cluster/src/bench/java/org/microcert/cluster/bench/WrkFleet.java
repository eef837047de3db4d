package org.microcert.cluster.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.microcert.persistence.card.FactoryTransportKey;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SeedExpiredException;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;

/**
 * The fleet behind {@code ops/bin/bench-wrk}, not a test: provisions SENSORS new sensors (ids from
 * a random base) into a running node through its bulk import, sends each one certificate (its
 * recovery and first reservation happen here, not in the measurement), then writes the files the
 * wrk script sends: {@code warm.certs} and {@code measure.certs}, COUNT authenticate certificates
 * each (round robin over the sensors, every one used once), as {@code length u16 | bytes} records.
 * The certificates carry the time they were built: send them within the node's clock skew (120 s).
 *
 * <pre>mc_exec test cluster org.microcert.cluster.bench.WrkFleet -- GATEWAY KTRANS_FILE KTRANS_PASSWORD_FILE
 *   OPERATOR_TOKEN_FILE OUT_DIR SENSORS COUNT</pre>
 */
public final class WrkFleet {

    private WrkFleet() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: WrkFleet GATEWAY KTRANS_FILE KTRANS_PASSWORD_FILE OPERATOR_TOKEN_FILE OUT_DIR SENSORS COUNT");
            System.exit(2);
        }
        String gateway = args[0];
        byte[] ktrans = FactoryTransportKey.load(Path.of(args[1]), Files.readString(Path.of(args[2])).strip().toCharArray());
        String token = Files.readString(Path.of(args[3])).strip();
        Path out = Path.of(args[4]);
        int sensors = Integer.parseInt(args[5]);
        int count = Integer.parseInt(args[6]);
        SecureRandom random = new SecureRandom();
        long base = (0x0E00L | random.nextInt(0x100)) << 32 | (long) random.nextInt(1 << 16) << 16;
        List<SensorChip> chips = new ArrayList<>();
        StringBuilder manifest = new StringBuilder();
        for (int i = 0; i < sensors; i++) {
            SensorChip chip = SensorChip.manufacture(new SensorId(base + i), CipherSuite.AES128, Instant.now(), random);
            chips.add(chip);
            manifest.append("{\"envelope\":\"").append(Base64.getEncoder().encodeToString(chip.transportEnvelope(ktrans).encode()))
                    .append("\"}\n");
        }
        java.util.Arrays.fill(ktrans, (byte) 0);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> imported = http.send(HttpRequest.newBuilder(URI.create(gateway + "/v1/sensors/import"))
                .timeout(Duration.ofMinutes(10)).header("Content-Type", "application/x-ndjson")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(manifest.toString())).build(), HttpResponse.BodyHandlers.ofString());
        String body = imported.body();
        String summary = body.substring(body.lastIndexOf('\n', body.length() - 2) + 1).strip();
        long provisioned = new ObjectMapper().readTree(summary).path("summary").path("provisioned").asLong();
        if (imported.statusCode() != 200 || provisioned != sensors) {
            System.err.println("wrk fleet: the import provisioned " + provisioned + " of " + sensors + " (HTTP "
                    + imported.statusCode() + "): " + summary);
            System.exit(1);
        }
        wake(http, gateway, chips);
        write(out.resolve("warm.certs"), chips, count);
        write(out.resolve("measure.certs"), chips, count);
        System.out.printf("wrk fleet: %d sensors provisioned and woken, 2 x %d certificates in %s%n", sensors, count, out);
    }

    /** One certificate per sensor, 64 in flight: recovery and first reservation before the measurement. */
    static void wake(HttpClient http, String gateway, List<SensorChip> chips) throws Exception {
        Semaphore inFlight = new Semaphore(64);
        AtomicLong refused = new AtomicLong();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (SensorChip chip : chips) {
            inFlight.acquire();
            HttpRequest r = HttpRequest.newBuilder(URI.create(gateway + "/v1/authenticate")).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(chip.authenticate(Instant.now()).encode())).build();
            all.add(http.sendAsync(r, HttpResponse.BodyHandlers.discarding()).whenComplete((resp, f) -> {
                if (f != null || resp.statusCode() != 200) {
                    refused.incrementAndGet();
                }
                inFlight.release();
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).exceptionally(f -> null).join();
        if (refused.get() > 0) {
            System.err.println("wrk fleet: " + refused.get() + " of " + chips.size() + " wake certificates not accepted");
            System.exit(1);
        }
    }

    static void write(Path file, List<SensorChip> chips, int count) throws IOException, SeedExpiredException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(count * 64);
        DataOutputStream data = new DataOutputStream(bytes);
        Instant now = Instant.now();
        for (int k = 0; k < count; k++) {
            byte[] cert = chips.get(k % chips.size()).authenticate(now).encode();
            data.writeShort(cert.length);
            data.write(cert);
        }
        Files.write(file, bytes.toByteArray());
    }
}
