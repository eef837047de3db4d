package org.microcert.simulator.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.microcert.simulator.traffic.Verdict;

/** The client against a real HTTP server that answers what docs/http-api.md says the gateway answers. */
class GatewayClientTest {

    private HttpServer server;
    private ExecutorService executor;
    private GatewayClient client;
    private final AtomicReference<String> lastAuthorization = new AtomicReference<>();
    private final AtomicReference<String> importAnswer = new AtomicReference<>();
    private final AtomicReference<String> readyAnswer = new AtomicReference<>();
    private static final String IMPORT_ANSWER = "{\"line\":1,\"sensorId\":\"00000000000004d2\",\"result\":\"PROVISIONED\"}\n"
            + "{\"line\":2,\"result\":\"ALREADY_PROVISIONED\"}\n"
            + "{\"line\":3,\"result\":\"FAILED\",\"error\":\"BAD_ENVELOPE\",\"message\":\"does not open\"}\n"
            + "{\"summary\":{\"lines\":3}}\n";

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        answer("/v1/authenticate", 403, "{\"outcome\":\"REJECTED\",\"reason\":\"REPLAY\",\"error\":\"REPLAY\"}");
        answer("/v1/verify", 200, "{\"outcome\":\"ACCEPTED\",\"sensorId\":\"00000000000004d2\"}");
        answer("/v1/decrypt", 200, "{\"outcome\":\"ACCEPTED\",\"plaintext\":\"AQID\"}");
        answer("/v1/authenticate/batch", 200, "{\"accepted\":1,\"rejected\":2,\"results\":["
                + "{\"index\":0,\"outcome\":\"ACCEPTED\"},{\"index\":1,\"outcome\":\"REJECTED\",\"reason\":\"BAD_TAG\"},"
                + "{\"index\":2,\"outcome\":\"REJECTED\",\"reason\":\"UNAVAILABLE\"}]}");
        importAnswer.set(IMPORT_ANSWER);
        server.createContext("/v1/sensors/import", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] b = importAnswer.get().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        answer("/v1/sensors/00000000000004d2/revoke", 409, "{\"error\":\"REVOKED\",\"message\":\"already\"}");
        answer("/v1/sensors/00000000000004d3/revoke", 401, "{\"error\":\"UNAUTHENTICATED\"}");
        readyAnswer.set("{\"status\":\"NOT_READY\",\"journal\":\"DOWN\"}");
        server.createContext("/health/ready", ex -> {
            byte[] b = readyAnswer.get().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(503, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        executor = Executors.newFixedThreadPool(2);
        client = new GatewayClient(List.of(URI.create("http://127.0.0.1:" + server.getAddress().getPort())),
                Duration.ofSeconds(5), executor, "s3cret-token");
    }

    private void answer(String path, int status, String body) {
        server.createContext(path, ex -> {
            lastAuthorization.set(ex.getRequestHeaders().getFirst("Authorization"));
            ex.getRequestBody().readAllBytes();
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
    }

    @AfterEach
    void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    @Test
    void verdictsAreReadFromTheAnswerBody() {
        assertEquals(Verdict.rejected("REPLAY"), client.authenticate(new byte[] {1}).join());
        assertEquals(Verdict.ACCEPTED, client.verify(new byte[] {1}, new byte[] {2}).join());
    }

    @Test
    void aDecryptIsAcceptedOnlyWithTheRightPlaintext() {
        assertEquals(Verdict.ACCEPTED, client.decrypt(new byte[] {9}, new byte[] {1, 2, 3}).join());
        assertEquals(Verdict.rejected("PLAINTEXT_MISMATCH"), client.decrypt(new byte[] {9}, new byte[] {1, 2}).join());
    }

    @Test
    void batchItemsGetOneVerdictEachAndUnavailableIsNoVerdict() {
        List<Verdict> v = client.batch(List.of(new byte[] {1}, new byte[] {2}, new byte[] {3})).join();
        assertEquals(List.of(Verdict.ACCEPTED, Verdict.rejected("BAD_TAG"), Verdict.failed("UNAVAILABLE")), v);
    }

    @Test
    void anUnreachableGatewayIsAFailureNotARejection() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        GatewayClient dead = new GatewayClient(List.of(URI.create("http://127.0.0.1:" + port)), Duration.ofSeconds(2),
                executor, null);
        assertEquals(Verdict.failed("connect-refused"), dead.authenticate(new byte[] {1}).join());
        GatewayException e = assertThrows(GatewayException.class, dead::checkReady);
        assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
        assertTrue(assertThrows(GatewayException.class, () -> dead.revoke("00000000000004d2", "x"))
                .getMessage().contains("operator token"));
    }

    @Test
    void aGatewayThatIsNotReadySaysWhy() {
        GatewayException e = assertThrows(GatewayException.class, client::checkReady);
        assertTrue(e.getMessage().contains("not ready") && e.getMessage().contains("DOWN"), e.getMessage());
    }

    @Test
    void anotherServersLongAnswerIsQuotedShortAndWithoutControlCharacters() {
        readyAnswer.set("<html>\u001b[2J" + "x".repeat(5_000) + "</html>");
        String m = assertThrows(GatewayException.class, client::checkReady).getMessage();
        assertTrue(m.contains("<html>\\u001b[2Jxxx") && m.contains("... (5017 characters)"), m);
        assertTrue(m.length() < 400 && m.chars().noneMatch(Character::isISOControl), m);
    }

    @Test
    void operatorCallsCarryTheTokenAndReportRefusals() throws InterruptedException {
        client.revoke("00000000000004d2", "simulator"); // already revoked is fine
        assertEquals("Bearer s3cret-token", lastAuthorization.get());
        GatewayException e = assertThrows(GatewayException.class,
                () -> client.revoke("00000000000004d3", "simulator"));
        assertTrue(e.getMessage().contains("UNAUTHENTICATED"));
        assertTrue(!e.getMessage().contains("s3cret"));
    }

    @Test
    void aTokenThatCannotBeAHeaderIsRefusedWithoutShowingIt() {
        for (String bad : List.of("s3cret\nhalf", "s3cret half", "s3cret\u0007", "s3cr\u00e9t")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GatewayClient(
                    List.of(URI.create("http://127.0.0.1:9")), Duration.ofSeconds(1), executor, bad));
            assertTrue(e.getMessage().contains("visible ASCII") && !e.getMessage().contains("s3cr"), e.getMessage());
        }
        assertEquals(null, OperatorToken.problem("Abc-._~+/9=="));
    }

    @Test
    void importResultsAreCountedPerLine() {
        ImportResult r = client.importManifest(List.of(new byte[] {1}, new byte[] {2}, new byte[] {3}));
        assertEquals(3, r.lines());
        assertEquals(1, r.provisioned());
        assertEquals(1, r.alreadyProvisioned());
        assertEquals(1, r.failed());
        assertTrue(r.failures().get(0).contains("BAD_ENVELOPE"));
        assertEquals(List.of(1), r.alreadyProvisionedLines());
    }

    @Test
    void anImportAnswerThatDoesNotMatchTheManifestIsAnError() {
        List<byte[]> three = List.of(new byte[] {1}, new byte[] {2}, new byte[] {3});
        String[] lines = IMPORT_ANSWER.split("\n");
        for (String[] bad : List.of(
                new String[] {lines[0] + "\n" + lines[1] + "\n", "answered 2 of the 3 lines sent and no summary"},
                new String[] {lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n", "answered 3 of the 3 lines sent and no summary"},
                new String[] {"", "answered 0 of the 3 lines sent"},
                new String[] {IMPORT_ANSWER.replace("\"line\":3", "\"line\":7"), "result for line 7 of a manifest of 3"},
                new String[] {IMPORT_ANSWER.replace("\"line\":3", "\"line\":2"), "answered line 2 twice"},
                new String[] {IMPORT_ANSWER.replace("\"line\":3,", ""), "result for line (none) of a manifest of 3"},
                new String[] {IMPORT_ANSWER.replace("\"lines\":3", "\"lines\":4"), "summary counts 4 lines, but 3 were sent"})) {
            importAnswer.set(bad[0]);
            GatewayException e = assertThrows(GatewayException.class,
                    () -> client.importManifest(three), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
