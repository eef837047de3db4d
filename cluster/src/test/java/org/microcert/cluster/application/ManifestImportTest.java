package org.microcert.cluster.application;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.Poll;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.sensor.SensorMessages;
import org.microcert.protocol.SensorChip;
import org.microcert.protocol.SensorId;
import com.typesafe.config.ConfigFactory;

/**
 * The bulk import with manifests far larger than a socket buffer, sent the way the simulator sends
 * them: one {@code java.net.http} request whose body is produced while it uploads.
 */
class ManifestImportTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String OPERATOR = "operator-token-0123456789abcdef";

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(OPERATOR) + " operator factory\n");
        node = new TestNode("ManifestImportTest", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString(
                "microcert.http.tokens-file = \"" + tokens + "\"")), fleet.openCard("import-test"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    String line(SensorChip chip) {
        return "{\"envelope\":\"" + Base64.getEncoder().encodeToString(fleet.transportEnvelope(chip)) + "\"}\n";
    }

    @Test
    void oneRequestOfThousandsOfLinesAnswersEveryLineInOrder() throws Exception {
        int n = 2000;
        int bad = 1234; // 1-based number of a line that is not JSON
        List<SensorChip> chips = IntStream.range(0, n).mapToObj(i -> TestFleet.chip(0x6100_0000L + i, Instant.now())).toList();
        // the body is made while it uploads (as the simulator makes it), one line at a time
        Iterator<InputStream> lines = IntStream.rangeClosed(1, n).mapToObj(i -> (InputStream) new ByteArrayInputStream(
                (i == bad ? "not json\n" : line(chips.get(i - 1))).getBytes(StandardCharsets.US_ASCII))).iterator();
        HttpRequest req = HttpRequest.newBuilder(URI.create(node.url("/v1/sensors/import")))
                .timeout(Duration.ofMinutes(5)).header("Content-Type", "application/x-ndjson")
                .header("Authorization", "Bearer " + OPERATOR)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new SequenceInputStream(new Enumeration(lines))))
                .build();
        HttpResponse<java.util.stream.Stream<String>> r = HttpClient.newHttpClient().send(req,
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, r.statusCode());
        // answered after the upload, not during it: Pekko HTTP closes the connection after an early response
        assertEquals(java.util.Optional.empty(), r.headers().firstValue("Connection").filter("close"::equalsIgnoreCase),
                r.headers().map().toString());
        List<String> answer = r.body().toList();
        assertEquals(n + 1, answer.size(), "one result per line and the summary");
        for (int i = 1; i <= n; i++) {
            JsonNode result = JSON.readTree(answer.get(i - 1));
            assertEquals(i, result.get("line").asInt(), "results come in input order");
            if (i == bad) {
                assertEquals("FAILED", result.get("result").asText());
                assertEquals("BAD_JSON", result.get("error").asText());
            } else {
                assertEquals("PROVISIONED", result.get("result").asText(), answer.get(i - 1));
                assertEquals(chips.get(i - 1).sensorId().toString(), result.get("sensorId").asText());
            }
        }
        JsonNode summary = JSON.readTree(answer.get(n)).get("summary");
        assertEquals(n, summary.get("lines").asInt());
        assertEquals(n - 1, summary.get("provisioned").asInt());
        assertEquals(1, summary.get("failed").asInt());
    }

    @Test
    void noResultLeavesBeforeTheWholeBodyIsRead() throws Exception {
        SensorClient sensors = new SensorClient(node.system(), Duration.ofSeconds(5));
        ManifestImport job = unaudited(sensors);
        List<SensorChip> chips = IntStream.range(0, 4).mapToObj(i -> TestFleet.chip(0x6200_0000L + i, Instant.now())).toList();
        List<String> received = new CopyOnWriteArrayList<>();
        var running = Source.<ByteString>queue(16).preMaterialize(node.system());
        BoundedSourceQueue<ByteString> body = running.first();
        CompletionStage<Done> finished = job.run(running.second(), 2)
                .runWith(Sink.foreach(b -> received.add(b.utf8String())), node.system());

        for (SensorChip chip : chips.subList(0, 3)) {
            body.offer(ByteString.fromString(line(chip)));
        }
        awaitProvisioned(sensors, chips.subList(0, 3));
        // by the time a fourth line has been provisioned, earlier results would long have gone out
        body.offer(ByteString.fromString(line(chips.get(3))));
        awaitProvisioned(sensors, chips.subList(3, 4));
        assertEquals(List.of(), received, "results wait for the end of the upload");

        body.complete();
        finished.toCompletableFuture().get(10, TimeUnit.SECONDS);
        List<String> answer = String.join("", received).lines().toList();
        assertEquals(5, answer.size(), String.join("\n", answer));
        for (int i = 0; i < 4; i++) {
            assertEquals("PROVISIONED", JSON.readTree(answer.get(i)).get("result").asText());
        }
        assertEquals(4, JSON.readTree(answer.get(4)).get("summary").get("provisioned").asInt());
    }

    @Test
    void resultsNobodyClaimsAfterTheUploadAreDropped() throws Exception {
        SensorClient sensors = new SensorClient(node.system(), Duration.ofSeconds(5));
        ManifestImport job = unaudited(sensors);
        List<SensorChip> chips = IntStream.range(0, 2).mapToObj(i -> TestFleet.chip(0x6300_0000L + i, Instant.now())).toList();
        ManifestImport.Started started = job.start(Source.from(chips.stream().map(c -> ByteString.fromString(line(c))).toList()),
                2, org.apache.pekko.stream.Materializer.matFromSystem(node.system()), Duration.ofMillis(200));
        started.bodyRead().toCompletableFuture().get(10, TimeUnit.SECONDS);
        awaitProvisioned(sensors, chips);
        // the client left between its upload and the answer: nothing pulls the results
        Thread.sleep(1_000); // past the 200 ms this import was given, not timing anything
        // The results were dropped: a late claim finds the queue cancelled, not one line of them.
        java.util.concurrent.ExecutionException dropped = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> started.lines().runWith(Sink.seq(), node.system())
                        .toCompletableFuture().get(10, TimeUnit.SECONDS), "the import's results were still held");
        assertTrue(dropped.getCause() instanceof org.apache.pekko.stream.StreamDetachedException, String.valueOf(dropped.getCause()));
    }

    @Test
    void anUploadThatBreaksOffIsTheClientsErrorAndNamedSo() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", URI.create(node.url("/")).getPort())) {
            socket.setSoTimeout(20_000);
            String chip = line(TestFleet.chip(0x6400_0000L, Instant.now()));
            String request = "POST /v1/sensors/import HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + OPERATOR
                    + "\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(chip.length()) + "\r\n" + chip + "\r\n"
                    + "not-a-chunk-size\r\n"; // the chunked body breaks off here
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String answer = new String(socket.getInputStream().readNBytes(600), StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
            assertTrue(answer.contains("\"UPLOAD_FAILED\""), answer);
        }
    }

    /** An import driven directly, without the gateway's audit records. */
    static ManifestImport unaudited(SensorClient sensors) {
        return new ManifestImport((id, envelope, line) -> sensors.provision(id, envelope, "factory"), 64 * 1024);
    }

    /** Polls the sensors' status until each is provisioned (the import runs on its own). */
    static void awaitProvisioned(SensorClient sensors, List<SensorChip> chips) throws Exception {
        for (SensorChip chip : chips) {
            SensorId id = chip.sensorId();
            Poll.until(Duration.ofSeconds(10), "sensor " + id + " being provisioned", () ->
                    sensors.status(id).toCompletableFuture().get(5, TimeUnit.SECONDS) instanceof SensorMessages.Done);
        }
    }

    /** An Iterator as the Enumeration SequenceInputStream wants. */
    private record Enumeration(Iterator<InputStream> it) implements java.util.Enumeration<InputStream> {
        public boolean hasMoreElements() {
            return it.hasNext();
        }

        public InputStream nextElement() {
            return it.next();
        }
    }
}
