package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.http.HostileClientTest.Answer;

/** Operator tokens on a real node over raw sockets: strict header, expiry, reload without restart. */
class OperatorTokensHttpTest {

    static final String ALICE = "alice-token-0123456789abcdef";
    static final String EXPIRED = "expired-token-0123456789abcdef";

    @TempDir
    static Path dir;
    static Path tokens;
    static TestNode node; // also set by AuthFailureLimitHttpTest, which shares audit()

    @BeforeAll
    static void start() throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(ALICE) + " operator alice\n"
                + BearerTokens.sha256Hex(EXPIRED) + " auditor bob expires=" + Instant.now().minusSeconds(60) + "\n");
        node = new TestNode("OperatorTokensHttpTest", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString(
                "microcert.http.tokens-file = \"" + tokens + "\"\nmicrocert.http.tokens-reload-interval = 100ms\n"
                + "microcert.http.operator-auth-failures.max-failures = 1000")),
                fleet.openCard("tokens-test"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static Answer audit(String authorizationLines) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", URI.create(node.url("/")).getPort())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /v1/audit?limit=1000 HTTP/1.1\r\nHost: localhost\r\n" + authorizationLines + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return HostileClientTest.read(socket.getInputStream());
        }
    }

    static String message(Answer a) throws IOException {
        JsonNode body = HostileClientTest.JSON.readTree(a.body());
        assertEquals(401, a.status(), a.body());
        assertEquals("UNAUTHENTICATED", body.path("error").asText());
        assertTrue(a.headers().getOrDefault("www-authenticate", "").startsWith("Bearer"), a.headers().toString());
        return body.path("message").asText();
    }

    @Test
    void exactlyOneWellFormedBearerHeaderAuthenticates() throws IOException {
        assertEquals(200, audit("Authorization: Bearer " + ALICE + "\r\n").status());
        assertEquals(200, audit("Authorization: bearer " + ALICE + "\r\n").status(), "scheme case-insensitive (RFC 9110)");
        assertEquals("more than one Authorization header",
                message(audit("Authorization: Bearer " + ALICE + "\r\nAuthorization: Bearer " + ALICE + "\r\n")));
        assertTrue(message(audit("Authorization: Bearer " + ALICE + " junk\r\n")).startsWith("malformed"));
        assertTrue(message(audit("Authorization: Basic " + ALICE + "\r\n")).startsWith("malformed"));
        assertEquals("missing bearer token", message(audit("")));
        assertEquals("unknown bearer token", message(audit("Authorization: Bearer nobody-knows-this\r\n")));
        assertEquals("expired bearer token", message(audit("Authorization: Bearer " + EXPIRED + "\r\n")));
    }

    @Test
    void anEditedTokensFileTakesEffectWithoutARestart() throws Exception {
        String carol = "carol-token-0123456789abcdef";
        Files.writeString(tokens, BearerTokens.sha256Hex(ALICE) + " operator alice\n"
                + BearerTokens.sha256Hex(carol) + " auditor carol\n");
        awaitStatus(carol, 200);
        assertEquals(200, audit("Authorization: Bearer " + ALICE + "\r\n").status());
        Files.writeString(tokens, BearerTokens.sha256Hex(carol) + " auditor carol\n");
        awaitStatus(ALICE, 401);
        assertEquals(200, audit("Authorization: Bearer " + carol + "\r\n").status());
        JsonNode records = HostileClientTest.JSON.readTree(audit("Authorization: Bearer " + carol + "\r\n").body());
        for (JsonNode r : records.path("records")) {
            assertFalse(r.toString().contains(carol) || r.toString().contains(ALICE), "no token in the audit trail");
        }
    }

    /** Polls until {@code token} gets {@code status} (the reload check runs every 100 ms). */
    static void awaitStatus(String token, int status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int last;
        do {
            last = audit("Authorization: Bearer " + token + "\r\n").status();
            if (last == status) {
                return;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        assertEquals(status, last, "the reloaded tokens file did not take effect within 10 s");
    }
}
