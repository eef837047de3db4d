package org.microcert.simulator.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.microcert.protocol.CipherSuite;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;
import org.microcert.simulator.gateway.GatewayClient;

/** The import's counts when the center answers a line UNAVAILABLE first (a shard hand-over). */
class FleetImportTest {

    @Test
    void aRetriedLineAnsweredAlreadyProvisionedIsCountedAsAlreadyProvisioned() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/sensors/import", ex -> {
            ex.getRequestBody().readAllBytes();
            String answer = requests.incrementAndGet() == 1
                    ? "{\"line\":1,\"result\":\"ALREADY_PROVISIONED\"}\n"
                        + "{\"line\":2,\"result\":\"FAILED\",\"error\":\"UNAVAILABLE\",\"message\":\"shard moving\"}\n"
                        + "{\"summary\":{\"lines\":2}}\n"
                    : "{\"line\":1,\"result\":\"ALREADY_PROVISIONED\"}\n{\"summary\":{\"lines\":1}}\n";
            byte[] b = answer.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            GatewayClient gateway = new GatewayClient(List.of(URI.create("http://127.0.0.1:" + server.getAddress().getPort())),
                    Duration.ofSeconds(5), executor, "operator-token-for-tests");
            List<SensorChip> chips = List.of(SensorChip.manufacture(new SensorId(1), CipherSuite.AES128, Instant.now()),
                    SensorChip.manufacture(new SensorId(2), CipherSuite.AES128, Instant.now()));
            FleetLoader.Spec spec = new FleetLoader.Spec(2, 0, 0, 0, CipherSuite.AES128, null, 1000, 1);
            FleetImport.Imported r = FleetImport.importAll(chips, new byte[32], gateway, spec,
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertEquals(2, requests.get());
            assertEquals(0, r.provisioned(), "no line was provisioned by this import");
            assertEquals(2, r.alreadyProvisioned());
            assertEquals(0, r.failed());
            assertEquals(List.of(chips.get(0), chips.get(1)), r.alreadyProvisionedChips());
        } finally {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
