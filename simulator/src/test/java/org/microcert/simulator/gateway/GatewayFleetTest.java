package org.microcert.simulator.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.microcert.simulator.traffic.Verdict;

/**
 * The fleet behaviour against a real HTTP server scripted answer by answer, and a gateway address
 * where nothing listens (a dead gateway): retries after Retry-After elsewhere, REPLAY on a retry of a
 * possibly accepted good item read as accepted before, a fresh certificate after REPLAY_WINDOW_RESET.
 */
class GatewayFleetTest {

    private HttpServer server;
    private ExecutorService executor;
    private GatewayClient client;
    // the next answers of the live gateway, in order: status and body
    private final Queue<String[]> script = new ConcurrentLinkedQueue<>();
    private final List<String> received = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            synchronized (received) {
                received.add(ex.getRequestURI().getPath() + " " + new String(body, StandardCharsets.UTF_8));
            }
            String[] next = script.poll();
            byte[] b = next[1].getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            if (next[0].equals("503")) {
                ex.getResponseHeaders().add("Retry-After", "0");
            }
            ex.sendResponseHeaders(Integer.parseInt(next[0]), b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort(); // closed again: connections are refused there
        }
        executor = Executors.newFixedThreadPool(2);
        client = new GatewayClient(List.of(URI.create("http://127.0.0.1:" + dead),
                URI.create("http://127.0.0.1:" + server.getAddress().getPort())), Duration.ofSeconds(10), executor, null)
                .asFleet(4);
    }

    @AfterEach
    void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    static final String UNAVAILABLE = "{\"outcome\":\"REJECTED\",\"reason\":\"UNAVAILABLE\",\"error\":\"UNAVAILABLE\"}";
    static final String REPLAY = "{\"outcome\":\"REJECTED\",\"reason\":\"REPLAY\",\"error\":\"REPLAY\"}";

    @Test
    void aGoodCertificateRetriedAfter503AndAnsweredReplayWasAcceptedBefore() throws Exception {
        script.add(new String[] {"503", UNAVAILABLE});
        script.add(new String[] {"403", REPLAY});
        // the dead gateway first (round-robin), then the live one twice
        assertEquals(Verdict.ACCEPTED, client.authenticate(new byte[] {1}, () -> new byte[] {2}).get());
        assertEquals(1, client.fleet().acceptedBefore());
        assertEquals(2, client.fleet().retries(), "the refused connection and the 503");
        // the dead gateway is left alone now: the next request goes to the live one at once
        script.add(new String[] {"200", "{\"outcome\":\"ACCEPTED\"}"});
        assertEquals(Verdict.ACCEPTED, client.authenticate(new byte[] {3}, () -> new byte[] {4}).get());
        assertEquals(2, client.fleet().retries());
    }

    @Test
    void aCertificateOfUnknownOriginAnsweredReplayOnARetryStaysAReplay() throws Exception {
        script.add(new String[] {"503", UNAVAILABLE});
        script.add(new String[] {"403", REPLAY});
        assertEquals(Verdict.rejected("REPLAY"), client.authenticate(new byte[] {1}).get());
        assertEquals(0, client.fleet().acceptedBefore());
    }

    @Test
    void aBatchSendsOnlyItsUnansweredItemsAgainAndAFreshCertificateAfterAWindowReset() throws Exception {
        String b64a = Base64.getEncoder().encodeToString(new byte[] {10});
        String b64b = Base64.getEncoder().encodeToString(new byte[] {11});
        String b64fresh = Base64.getEncoder().encodeToString(new byte[] {12});
        script.add(new String[] {"200", "{\"results\":[{\"outcome\":\"ACCEPTED\"}," + UNAVAILABLE + "]}"});
        script.add(new String[] {"200", "{\"results\":[{\"outcome\":\"REJECTED\",\"reason\":\"REPLAY_WINDOW_RESET\"}]}"});
        script.add(new String[] {"200", "{\"results\":[{\"outcome\":\"ACCEPTED\"}]}"});
        List<Supplier<byte[]>> fresh = List.of(() -> new byte[] {99}, () -> new byte[] {12});
        GatewayClient.PreparedBatch batch = client.prepareBatch(List.of(new byte[] {10}, new byte[] {11}), fresh);
        // prepared for the dead gateway (round-robin): refused, then sent whole to the live one
        assertEquals(List.of(Verdict.ACCEPTED, Verdict.ACCEPTED), client.send(batch).get());
        assertEquals(1, client.fleet().freshAfterReset());
        synchronized (received) {
            assertEquals(3, received.size(), received.toString());
            assertEquals("/v1/authenticate/batch {\"certificates\":[\"" + b64a + "\",\"" + b64b + "\"]}", received.get(0));
            assertEquals("/v1/authenticate/batch {\"certificates\":[\"" + b64b + "\"]}", received.get(1));
            assertEquals("/v1/authenticate/batch {\"certificates\":[\"" + b64fresh + "\"]}", received.get(2));
        }
    }
}
