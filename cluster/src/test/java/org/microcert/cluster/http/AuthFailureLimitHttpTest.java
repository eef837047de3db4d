package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.http.HostileClientTest.Answer;
import org.microcert.cluster.trail.AuditRecord;
import org.microcert.cluster.trail.InMemoryAuditTrail;

/** Failed operator authentications from one address: limited, answered 429, audited in aggregate. */
class AuthFailureLimitHttpTest {

    static final String ALICE = "alice-token-0123456789abcdef";

    @TempDir
    static Path dir;
    static TestNode node;
    static final InMemoryAuditTrail TRAIL = new InMemoryAuditTrail();

    @BeforeAll
    static void start() throws Exception {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(ALICE) + " operator alice\n");
        node = new TestNode("AuthFailureLimitHttpTest", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString(
                "microcert.http.tokens-file = \"" + tokens + "\"\n"
                + "microcert.http.operator-auth-failures { max-failures = 5, window = 1h }")),
                new TestFleet(dir.resolve("card")).openCard("limit-test"), TRAIL);
        OperatorTokensHttpTest.node = node; // its raw-socket helper talks to this node
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void aSourceOverItsFailureLimitGets429EvenWithAGoodTokenAndTheTrailGetsTwoRecordsNotOnePerFailure() throws Exception {
        assertEquals(200, OperatorTokensHttpTest.audit("Authorization: Bearer " + ALICE + "\r\n").status());
        for (int i = 0; i < 5; i++) {
            assertEquals(401, OperatorTokensHttpTest.audit("Authorization: Bearer wrong-" + i + "\r\n").status());
        }
        for (int i = 0; i < 20; i++) {
            Answer a = OperatorTokensHttpTest.audit("Authorization: Bearer " + (i == 0 ? ALICE : "wrong-again-" + i) + "\r\n");
            assertEquals(429, a.status(), a.body());
            assertEquals("TOO_MANY_AUTH_FAILURES", HostileClientTest.JSON.readTree(a.body()).path("error").asText());
            long retryAfter = Long.parseLong(a.headers().get("retry-after"));
            assertTrue(retryAfter > 3000 && retryAfter <= 3600, "Retry-After until the window ends: " + retryAfter);
        }
        List<AuditRecord> failures = TRAIL.query(Instant.EPOCH, Instant.now(), null, 1000).toCompletableFuture().get()
                .stream().filter(r -> r.action().equals("AUTH_FAILURE")).toList();
        assertEquals(List.of("THROTTLED", "UNAUTHENTICATED"), failures.stream().map(AuditRecord::result).toList(),
                "newest first: the first failure and the one that blocked, none for the 23 others");
        assertTrue(failures.get(0).detail().startsWith("source 127.0.0.1: GET /v1/audit: 5 failures"), failures.get(0).detail());
        String metrics = new String(new java.net.URL(node.url("/metrics")).openStream().readAllBytes());
        assertTrue(metrics.contains("microcert_operator_auth_failures_total{result=\"refused\"} 5.0"), metrics);
        assertTrue(metrics.contains("microcert_operator_auth_failures_total{result=\"throttled\"} 20.0"), metrics);
    }
}
