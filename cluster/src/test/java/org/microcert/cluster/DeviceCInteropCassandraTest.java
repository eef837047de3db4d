package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.card.FactoryTransportKey;
import org.microcert.persistence.card.KeyCeremony;

/**
 * Sensors running the C device library (device-c/, program {@code mc_interop}) against a real
 * MicroCert node on the real Cassandra, for every backend (OpenSSL; Mbed TLS; Mbed TLS without heap,
 * the firmware variant) and both suites: the
 * node provisions them from their TRANSPORT envelopes and accepts their AUTH, SIGN and ENC_UP
 * certificates, refuses their replayed, tampered and forged ones; the C chips open the node's
 * ENC_DOWN payloads and obey its SEED_UPDATE and REVOKE commands (and refuse tampered or replayed
 * ones). The test plays the gateway that relays bytes between the sensor and the node.
 *
 * <p>The C program is built here with CMake into {@code target/device-c-build} from
 * {@code ../device-c} (system property {@code microcert.devicec.source} overrides the source
 * directory); with {@code -Dmicrocert.devicec.bin=DIR} the prebuilt {@code DIR/mc_interop_openssl},
 * {@code DIR/mc_interop_mbedtls} and {@code DIR/mc_interop_mbedtls_noheap} are used instead. A
 * missing C toolchain fails the test: it is never skipped.
 */
@ExtendWith(CassandraExtension.class)
class DeviceCInteropCassandraTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "devc-operator-token-0123456789";
    static final HexFormat HEX = HexFormat.of();
    static final List<String> BACKENDS = List.of("openssl", "mbedtls", "mbedtls_noheap");

    @TempDir
    static Path dir;
    static TestFleet fleet;
    static Config config;
    static byte[] transportKey;
    static Path binaries;
    static final TestNode.Client client = new TestNode.Client();

    @BeforeAll
    static void setUp(TestCassandra cassandra) throws Exception {
        binaries = buildDeviceC();
        fleet = new TestFleet(dir.resolve("card"));
        // The factory station's copy of K_trans, exported from the ceremony's keystore as TestFleet does.
        Path export = dir.resolve("factory-transport.key");
        char[] exportPassword = "device-c factory password".toCharArray();
        KeyCeremony.exportTransport(fleet.keystore(), TestFleet.PASSWORD.clone(), export, exportPassword.clone(),
                FactoryTransportKey.MIN_ITERATIONS);
        transportKey = FactoryTransportKey.load(export, exportPassword);
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator dora\n");
        config = ConfigFactory.parseString("""
                microcert.http.tokens-file = "%s"
                microcert.http.journal-probe.interval = 200ms
                # the first write creates the keyspaces and tables: slow on a busy machine
                microcert.http.ask-timeout = 40s
                """.formatted(tokens)).withFallback(TestNode.cassandraJournal(cassandra, "devc_it"));
    }

    /** The directory holding mc_interop_{openssl,mbedtls}: prebuilt, or built now with CMake. */
    static Path buildDeviceC() throws Exception {
        String prebuilt = System.getProperty("microcert.devicec.bin");
        if (prebuilt != null && !prebuilt.isBlank()) {
            Path bin = Path.of(prebuilt).toAbsolutePath();
            for (String backend : BACKENDS) {
                assertTrue(Files.isExecutable(bin.resolve("mc_interop_" + backend)),
                        "microcert.devicec.bin=" + bin + " has no executable mc_interop_" + backend);
            }
            return bin;
        }
        String fallback = Path.of(System.getProperty("user.dir")).resolve("../device-c").toString();
        Path source = Path.of(System.getProperty("microcert.devicec.source", fallback)).toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(source.resolve("CMakeLists.txt")), "no device-c sources at " + source);
        Path build = Path.of("target", "device-c-build").toAbsolutePath();
        run(List.of("cmake", "-S", source.toString(), "-B", build.toString(), "-DCMAKE_BUILD_TYPE=Release"));
        List<String> make = new ArrayList<>(List.of("cmake", "--build", build.toString(), "-j", "2", "--target"));
        for (String backend : BACKENDS) {
            make.add("mc_interop_" + backend);
        }
        run(make);
        return build;
    }

    /** Runs a build command; any failure (including a missing cmake or compiler) fails the test. */
    static void run(List<String> command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command.get(0) + " (the C toolchain is required: "
                    + "device-c/ci.sh installs it): " + e.getMessage(), e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "build timed out: " + command);
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + output);
    }

    /** One C sensor process (mc_interop), driven line by line. */
    static final class Device implements AutoCloseable {
        private final Process process;
        private final Writer in;
        private final BufferedReader out;
        final String name;

        Device(Path binary) throws IOException {
            name = binary.getFileName().toString();
            process = new ProcessBuilder(binary.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        }

        /** Sends one command and returns the answer line. */
        String call(String line) throws Exception {
            in.write(line + "\n");
            in.flush();
            String answer = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).get(30, TimeUnit.SECONDS);
            if (answer == null) {
                throw new AssertionError(name + " exited on '" + line.split(" ")[0] + "'");
            }
            return answer;
        }

        /** The hex value of an "OK <hex>" answer. */
        byte[] ok(String line) throws Exception {
            String answer = call(line);
            assertTrue(answer.startsWith("OK "), name + " " + line.split(" ")[0] + ": " + answer);
            String value = answer.substring(3);
            return value.equals("-") ? new byte[0] : HEX.parseHex(value);
        }

        @Override
        public void close() throws Exception {
            in.write("quit\n");
            in.flush();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            assertEquals(0, process.exitValue(), name + " exit status");
        }
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static byte[] unb64(JsonNode n) {
        return Base64.getDecoder().decode(n.asText());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static HttpResponse<String> authenticate(TestNode node, byte[] cert) {
        return client.send("POST", node.url("/v1/authenticate"), "application/octet-stream", cert, null);
    }

    static void assertRejected(HttpResponse<String> r, String reason) throws Exception {
        assertEquals(403, r.statusCode(), r.body());
        assertEquals("REJECTED", json(r).get("outcome").asText(), r.body());
        assertEquals(reason, json(r).get("reason").asText(), r.body());
    }

    static void assertAccepted(HttpResponse<String> r, int seedVersion) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("ACCEPTED", json(r).get("outcome").asText(), r.body());
        assertEquals(seedVersion, json(r).get("seedVersion").asInt(), r.body());
    }

    @Test
    void cSensorsOfEveryBackendAndBothSuitesInteroperateWithALiveNode() throws Exception {
        try (TestNode node = new TestNode("DeviceCIT", config, fleet.openCard("devc"))) {
            CassandraIntegrationTest.awaitReady(node);
            long id = 0xDC00_0001L;
            for (String backend : BACKENDS) {
                for (String suite : List.of("AES128", "SM4")) {
                    try (Device device = new Device(binaries.resolve("mc_interop_" + backend))) {
                        lifecycle(node, device, String.format("%016x", id++), suite);
                    }
                }
            }
        }
    }

    private static void lifecycle(TestNode node, Device device, String sensor, String suite) throws Exception {
        String what = device.name + " " + suite + " " + sensor + ": ";
        // Provisioning from the chip's TRANSPORT envelope under the ceremony's K_trans.
        byte[] envelope = device.ok("manufacture " + sensor + " " + suite + " " + HEX.formatHex(transportKey));
        HttpResponse<String> p = client.postJson(node.url("/v1/sensors"),
                "{\"envelope\":\"" + b64(envelope) + "\"}", TOKEN);
        assertEquals(201, p.statusCode(), what + p.body());
        assertEquals(suite, json(p).get("suite").asText(), what + p.body());
        assertEquals(sensor, json(p).get("sensorId").asText(), what + p.body());

        // AUTH: accepted once; the replay, a flipped tag bit and a forgery under a guessed seed are refused.
        byte[] auth = device.ok("auth");
        assertAccepted(authenticate(node, auth), 1);
        assertRejected(authenticate(node, auth), "REPLAY");
        byte[] tampered = device.ok("auth");
        tampered[tampered.length - 1] ^= 1;
        assertRejected(authenticate(node, tampered), "BAD_TAG");
        assertRejected(authenticate(node, device.ok("forge")), "BAD_TAG");

        // SIGN over data, checked by the node against the data; other data is refused.
        byte[] data = ("reading from " + sensor + " temperature=21.5C").getBytes(StandardCharsets.US_ASCII);
        byte[] sign = device.ok("sign " + HEX.formatHex(data));
        HttpResponse<String> v = client.postJson(node.url("/v1/verify"),
                "{\"certificate\":\"" + b64(sign) + "\",\"data\":\"" + b64(data) + "\"}", null);
        assertAccepted(v, 1);
        byte[] otherSign = device.ok("sign " + HEX.formatHex(data));
        byte[] other = data.clone();
        other[0] ^= 1;
        assertRejected(client.postJson(node.url("/v1/verify"),
                "{\"certificate\":\"" + b64(otherSign) + "\",\"data\":\"" + b64(other) + "\"}", null), "BAD_TAG");

        // ENC_UP: the node opens the C chip's payload.
        byte[] secret = ("payload of " + sensor).getBytes(StandardCharsets.US_ASCII);
        byte[] encUp = device.ok("encrypt " + HEX.formatHex(secret));
        HttpResponse<String> d = client.send("POST", node.url("/v1/decrypt"), "application/octet-stream", encUp, null);
        assertAccepted(d, 1);
        assertArrayEquals(secret, unb64(json(d).get("plaintext")), what + "ENC_UP plaintext");

        // ENC_DOWN: the C chip opens the node's payload once; replays and tampering are refused.
        byte[] order = ("firmware setting for " + sensor).getBytes(StandardCharsets.US_ASCII);
        HttpResponse<String> e = client.postJson(node.url("/v1/sensors/" + sensor + "/encrypt"),
                "{\"plaintext\":\"" + b64(order) + "\"}", TOKEN);
        assertEquals(200, e.statusCode(), what + e.body());
        byte[] encDown = unb64(json(e).get("certificate"));
        assertArrayEquals(order, device.ok("decrypt " + HEX.formatHex(encDown)), what + "ENC_DOWN plaintext");
        assertEquals("ERR REPLAY", device.call("decrypt " + HEX.formatHex(encDown)), what);
        encDown[25] ^= 1;
        assertEquals("ERR BAD_TAG", device.call("decrypt " + HEX.formatHex(encDown)), what);

        // Seed update: the node's COMMAND makes the chip send an UPDATE envelope the node completes.
        HttpResponse<String> s = client.send("POST", node.url("/v1/sensors/" + sensor + "/seed-update"), null, null,
                TOKEN);
        assertEquals(200, s.statusCode(), what + s.body());
        byte[] command = unb64(json(s).get("command"));
        byte[] forgedCommand = command.clone();
        forgedCommand[command.length - 1] ^= 1;
        assertEquals("ERR BAD_TAG", device.call("accept " + HEX.formatHex(forgedCommand)), what);
        assertEquals("OK 1 0 0", device.call("status"), what + "a refused command changes nothing");
        String accepted = device.call("accept " + HEX.formatHex(command));
        assertTrue(accepted.startsWith("OK SEED_UPDATE 2 "), what + accepted);
        assertEquals("ERR REPLAY", device.call("accept " + HEX.formatHex(command)), what);
        byte[] update = HEX.parseHex(accepted.substring("OK SEED_UPDATE 2 ".length()));
        HttpResponse<String> c = client.postJson(node.url("/v1/sensors/" + sensor + "/seed-update/complete"),
                "{\"envelope\":\"" + b64(update) + "\"}", TOKEN);
        assertEquals(200, c.statusCode(), what + c.body());
        assertEquals(2, json(c).get("pendingSeedVersion").asInt(), what + c.body()); // offered: completes with a cert under it
        byte[] oldSeedAuth = device.ok("auth"); // still under seed 1: the chip has not activated yet
        assertEquals("OK 2", device.call("activate"), what);
        assertAccepted(authenticate(node, device.ok("auth")), 2);
        assertRejected(authenticate(node, oldSeedAuth), "BAD_TAG");

        // Revoke: the chip obeys the node's COMMAND and stops; the node refuses the sensor.
        byte[] unsent = device.ok("auth");
        HttpResponse<String> r = client.postJson(node.url("/v1/sensors/" + sensor + "/revoke"),
                "{\"reason\":\"interop test\"}", TOKEN);
        assertEquals(200, r.statusCode(), what + r.body());
        assertEquals("OK REVOKE 2", device.call("accept " + HEX.formatHex(unb64(json(r).get("command")))), what);
        assertTrue(device.call("status").matches("OK \\d+ 1 0"), what + "revoked");
        assertEquals("ERR REVOKED", device.call("auth"), what);
        assertEquals("ERR REVOKED", device.call("encrypt 00"), what);
        assertRejected(authenticate(node, unsent), "REVOKED");
    }
}
