package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.Poll;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.protocol.MicroCertificate;
import org.microcert.protocol.SensorChip;

/**
 * {@code /v1/verify} for a sensor hosted on another node: the request crosses Artery, whose frames
 * are at most 256 KiB, while the API takes up to 1 MiB of body. Two nodes in this JVM, each with its
 * own in-memory journal (a sensor stays where it was provisioned: no node leaves).
 */
class VerifyAcrossNodesTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String OPERATOR = "operator-token-across-nodes-0123456789";

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static TestNode a;
    static TestNode b;
    static final TestNode.Client client = new TestNode.Client();

    @BeforeAll
    static void start() throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(OPERATOR) + " operator alice\n");
        Config config = TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString(
                "microcert.http.tokens-file = \"" + tokens + "\""));
        a = new TestNode("VerifyAcrossNodesTest", config, fleet.openCard("a"));
        b = new TestNode("VerifyAcrossNodesTest", config, fleet.openCard("b"), null, a);
        Poll.until(java.time.Duration.ofSeconds(30), "the second node joining", () ->
                java.util.stream.StreamSupport.stream(Cluster.get(a.system()).state().getMembers().spliterator(), false)
                        .filter(m -> m.status() == MemberStatus.up()).count() >= 2);
    }

    @AfterAll
    static void stop() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** A sensor provisioned through node A whose entity lives on node B. */
    static SensorChip hostedOnB() throws Exception {
        Address bAddress = Cluster.get(b.system()).selfMember().address();
        String bHost = bAddress.getHost().orElseThrow() + ":" + bAddress.getPort().orElseThrow();
        for (long id = 0x2000; id < 0x2040; id++) {
            SensorChip chip = TestFleet.chip(id, Instant.now());
            HttpResponse<String> r = client.postJson(a.url("/v1/sensors"),
                    "{\"envelope\":\"" + b64(fleet.transportEnvelope(chip)) + "\"}", OPERATOR);
            assertEquals(201, r.statusCode(), r.body());
            if (JSON.readTree(r.body()).get("hostedBy").asText().equals(bHost)) {
                return chip;
            }
        }
        throw new IllegalStateException("no sensor was allocated to node B");
    }

    static HttpResponse<String> verify(TestNode via, MicroCertificate cert, byte[] data) {
        return client.postJson(via.url("/v1/verify"),
                "{\"certificate\":\"" + b64(cert.encode()) + "\",\"data\":\"" + b64(data) + "\"}", null);
    }

    @Test
    void largeDataIsVerifiedBySensorOnAnotherNode() throws Exception {
        SensorChip chip = hostedOnB();
        // 700 KiB: base64 in JSON stays under the 1 MiB body limit, far above one Artery frame
        byte[] data = new byte[700 * 1024];
        ThreadLocalRandom.current().nextBytes(data);

        HttpResponse<String> ok = verify(a, chip.sign(data, Instant.now()), data);
        assertEquals(200, ok.statusCode(), ok.body());
        JsonNode v = JSON.readTree(ok.body());
        assertEquals("ACCEPTED", v.get("outcome").asText());
        assertNotNull(v.get("seedVersion"));

        MicroCertificate other = chip.sign(data, Instant.now());
        data[data.length - 1] ^= 1;
        HttpResponse<String> wrong = verify(a, other, data);
        assertEquals(403, wrong.statusCode(), wrong.body());
        assertEquals("BAD_TAG", JSON.readTree(wrong.body()).get("reason").asText());
    }
}
