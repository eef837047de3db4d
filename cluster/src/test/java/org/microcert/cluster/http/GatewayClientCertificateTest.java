package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.tls.ClusterCertificates;
import org.microcert.cluster.tls.ClusterCertificates.Authority;
import org.microcert.cluster.tls.ClusterCertificates.Purpose;
import org.microcert.cluster.tls.TlsFiles;
import org.microcert.protocol.SensorChip;

/**
 * Forwarding gateways that prove who they are, on real sockets: with {@code gateway-trust} and an
 * allow-list, an allowed gateway's certificate gets verdicts (counted under its name); a client without
 * a certificate completes the handshake but a device endpoint answers 401 GATEWAY_CERTIFICATE_REQUIRED
 * (health and operator endpoints still answer); a certificate of another CA, or of the gateway CA for a
 * name not allowed, fails the handshake. Each refusal is counted and audited (the refused name, or the
 * source address), and {@link GatewayIdentity#clientId} names the verified gateway.
 */
class GatewayClientCertificateTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final char[] PASSWORD = "gateway test keystores".toCharArray();
    static final String OPERATOR = "gateway-test-operator-token-0123456789";

    @TempDir
    static Path dir;
    static TestNode node;
    static TestFleet fleet;

    /**
     * Writes into {@code dir}: the node's {@code server.p12} (CN localhost) and its password file
     * {@code server.pw} (returned), {@code gateway-ca.crt}, and per name N a gateway keystore
     * {@code N.p12} with CN {@code gw-N} issued by that gateway CA.
     */
    static Path certificates(Path dir, String... gateways) throws Exception {
        Authority serverCa = ClusterCertificates.newAuthority("Test server CA", Duration.ofDays(2));
        serverCa.issue("localhost", List.of("127.0.0.1", "localhost"), Purpose.NODE, Duration.ofDays(1))
                .writePkcs12(dir.resolve("server.p12"), PASSWORD);
        Authority gatewayCa = ClusterCertificates.newAuthority("Test gateway CA", Duration.ofDays(2));
        ClusterCertificates.writePem(dir.resolve("gateway-ca.crt"), List.of(gatewayCa.certificate()));
        for (String name : gateways) {
            gatewayCa.issue("gw-" + name, List.of(), Purpose.GATEWAY, Duration.ofDays(1))
                    .writePkcs12(dir.resolve(name + ".p12"), PASSWORD);
        }
        return Files.writeString(dir.resolve("server.pw"), new String(PASSWORD));
    }

    @BeforeAll
    static void start() throws Exception {
        Path passwordFile = certificates(dir, "allowed", "unlisted");
        ClusterCertificates.newAuthority("Another CA", Duration.ofDays(2))
                .issue("gw-allowed", List.of(), Purpose.GATEWAY, Duration.ofDays(1)).writePkcs12(dir.resolve("foreign.p12"), PASSWORD);
        Path tokens = Files.writeString(dir.resolve("tokens"),
                org.microcert.cluster.http.BearerTokens.sha256Hex(OPERATOR) + " operator alice\n");
        fleet = new TestFleet(dir.resolve("card"));
        node = new TestNode("GatewayClientCertificateTest", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString("""
                microcert.http.tokens-file = "%s"
                microcert.http.tls {
                  enabled = on
                  keystore = "%s"
                  password-file = "%s"
                  gateway-trust = "%s"
                  allowed-gateways = ["gw-allowed"]
                }
                """.formatted(tokens, dir.resolve("server.p12"), passwordFile, dir.resolve("gateway-ca.crt")))),
                fleet.openCard("gateway-test"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static HttpResponse<String> send(SSLContext ctx, String method, String url, byte[] body, String token) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) {
            b.header("Content-Type", token == null ? "application/octet-stream" : "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** A client that trusts the node's server CA and shows {@code keystore}'s certificate (null: none). */
    static SSLContext gateway(String keystore) throws Exception {
        return gateway(dir, keystore);
    }

    /** As above, with the node's {@code server.p12} and the gateway keystores in {@code dir}. */
    static SSLContext gateway(Path dir, String keystore) throws Exception {
        // the server CA's certificate: the second entry of the node keystore's chain
        var chain = TlsFiles.pkcs12(dir.resolve("server.p12"), PASSWORD, "test").getCertificateChain("key");
        SSLContext ctx = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = null;
        if (keystore != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(TlsFiles.pkcs12(dir.resolve(keystore), PASSWORD, "test"), PASSWORD);
        }
        ctx.init(kmf == null ? null : new javax.net.ssl.KeyManager[] {alwaysShows(
                (javax.net.ssl.X509KeyManager) kmf.getKeyManagers()[0])}, new javax.net.ssl.TrustManager[] {
                TlsFiles.trustManager(List.of((java.security.cert.X509Certificate) chain[1]))}, null);
        return ctx;
    }

    /**
     * A key manager that shows its certificate whatever CAs the server names (the JDK's would send none
     * for a CA the server does not list, as a hostile client would not).
     */
    static javax.net.ssl.X509ExtendedKeyManager alwaysShows(javax.net.ssl.X509KeyManager keys) {
        return new javax.net.ssl.X509ExtendedKeyManager() {
            @Override
            public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine e) {
                return "key";
            }

            @Override
            public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket s) {
                return "key";
            }

            @Override
            public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
                return new String[] {"key"};
            }

            @Override
            public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
                return null;
            }

            @Override
            public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket s) {
                return null;
            }

            @Override
            public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
                return keys.getCertificateChain(alias);
            }

            @Override
            public java.security.PrivateKey getPrivateKey(String alias) {
                return keys.getPrivateKey(alias);
            }
        };
    }

    static long metric(String line) throws Exception {
        String body = send(gateway(null), "GET", node.url("/metrics"), null, null).body();
        return body.lines().filter(l -> l.startsWith(line + " ")).mapToLong(l -> (long) Double.parseDouble(
                l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(0);
    }

    static ListAppender<ILoggingEvent> auditLog() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("microcert.audit")).addAppender(appender);
        return appender;
    }

    static List<String> lines(ListAppender<ILoggingEvent> appender) {
        synchronized (appender.list) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Test
    void anAllowedGatewayIsServedAndCountedByName() throws Exception {
        SensorChip chip = TestFleet.chip(0x6a7e_0001L, Instant.now());
        HttpResponse<String> provisioned = send(gateway(null), "POST", node.url("/v1/sensors"), ("{\"envelope\":\""
                + Base64.getEncoder().encodeToString(fleet.transportEnvelope(chip)) + "\"}").getBytes(StandardCharsets.UTF_8),
                OPERATOR);
        assertEquals(201, provisioned.statusCode(), "operators need no client certificate: " + provisioned.body());
        long before = metric("microcert_gateway_requests_total{gateway=\"gw-allowed\"}");
        HttpResponse<String> r = send(gateway("allowed.p12"), "POST", node.url("/v1/authenticate"),
                chip.authenticate(Instant.now()).encode(), null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("ACCEPTED", JSON.readTree(r.body()).get("outcome").asText());
        assertEquals(before + 1, metric("microcert_gateway_requests_total{gateway=\"gw-allowed\"}"));
    }

    @Test
    void withoutACertificateDeviceEndpointsRefuseAndHealthStillAnswers() throws Exception {
        ListAppender<ILoggingEvent> audit = auditLog();
        try {
            long before = metric("microcert_gateway_refusals_total{reason=\"no_certificate\"}");
            for (String path : List.of("/v1/authenticate", "/v1/decrypt", "/v1/verify", "/v1/authenticate/batch")) {
                HttpResponse<String> r = send(gateway(null), "POST", node.url(path), new byte[] {1}, null);
                assertEquals(401, r.statusCode(), path + ": " + r.body());
                JsonNode body = JSON.readTree(r.body());
                assertEquals("GATEWAY_CERTIFICATE_REQUIRED", body.get("error").asText());
                assertTrue(r.headers().firstValue("X-Request-Id").isPresent());
            }
            assertEquals(before + 4, metric("microcert_gateway_refusals_total{reason=\"no_certificate\"}"));
            assertEquals(200, send(gateway(null), "GET", node.url("/health/alive"), null, null).statusCode());
            // the audit log gets a line per reason at most once a second while refusals go on
            org.microcert.cluster.Poll.until(Duration.ofSeconds(5), "an audit line of the refusal", () -> {
                send(gateway(null), "POST", node.url("/v1/authenticate"), new byte[] {1}, null);
                return lines(audit).stream().anyMatch(l -> l.startsWith("GATEWAY_REFUSED reason=no_certificate gateway=from 127.0.0.1"));
            });
        } finally {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("microcert.audit")).detachAppender(audit);
        }
    }

    @Test
    void aCertificateOfAnotherCaOrOfAnUnlistedGatewayFailsTheHandshake() throws Exception {
        ListAppender<ILoggingEvent> audit = auditLog();
        try {
            long untrusted = metric("microcert_gateway_refusals_total{reason=\"untrusted\"}");
            long notAllowed = metric("microcert_gateway_refusals_total{reason=\"not_allowed\"}");
            for (String keystore : List.of("foreign.p12", "unlisted.p12")) {
                IOException refused = assertThrows(IOException.class, () -> send(gateway(keystore), "POST",
                        node.url("/v1/authenticate"), new byte[] {1}, null), keystore + " was answered");
                assertFalse(refused instanceof HttpTimeoutException, keystore + ": no answer instead of a refusal");
            }
            assertEquals(untrusted + 1, metric("microcert_gateway_refusals_total{reason=\"untrusted\"}"));
            assertEquals(notAllowed + 1, metric("microcert_gateway_refusals_total{reason=\"not_allowed\"}"));
            // a handshake refused is refused for every endpoint, health included
            assertThrows(IOException.class, () -> send(gateway("unlisted.p12"), "GET", node.url("/health/alive"), null, null));
            org.microcert.cluster.Poll.until(Duration.ofSeconds(5), "audit lines of both refusals", () -> {
                List<String> logged = lines(audit);
                if (logged.contains("GATEWAY_REFUSED reason=untrusted gateway=claimed CN gw-allowed (unverified)")
                        && logged.contains("GATEWAY_REFUSED reason=not_allowed gateway=CN gw-unlisted")) {
                    return true;
                }
                for (String keystore : List.of("foreign.p12", "unlisted.p12")) { // a line at most once a second
                    assertThrows(IOException.class, () -> send(gateway(keystore), "GET", node.url("/health/alive"), null, null));
                }
                return false;
            });
        } finally {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("microcert.audit")).detachAppender(audit);
        }
    }

    @Test
    void gatewayTrustWithoutHttpsOrFromABadFileIsRefusedInOneLine() throws Exception {
        var plain = ConfigFactory.parseString("tls { enabled = off, gateway-trust = \"" + dir.resolve("gateway-ca.crt")
                + "\" }").withFallback(node.system().settings().config().getConfig("microcert.http"));
        HttpServer.TlsConfigException noHttps = assertThrows(HttpServer.TlsConfigException.class, () -> HttpServer.https(plain));
        assertTrue(noHttps.getMessage().contains("needs HTTPS"), noHttps.getMessage());
        Path notPem = Files.writeString(dir.resolve("not-a-ca.crt"), "no certificate here\n");
        var bad = ConfigFactory.parseString("tls.gateway-trust = \"" + notPem + "\"")
                .withFallback(node.system().settings().config().getConfig("microcert.http"));
        HttpServer.TlsConfigException badFile = assertThrows(HttpServer.TlsConfigException.class, () -> HttpServer.https(bad));
        assertTrue(badFile.getMessage().contains(notPem.toString()) && !badFile.getMessage().contains("\n"), badFile.getMessage());
    }

    @Test
    void clientIdIsTheVerifiedGatewayElseTheSourceAddress() throws Exception {
        // a second binding of the node's HTTPS settings whose only route answers the accessor's value
        var http = node.system().settings().config().getConfig("microcert.http").withValue("port",
                com.typesafe.config.ConfigValueFactory.fromAnyRef(0));
        AllDirectives d = new AllDirectives() {};
        ServerBinding binding = HttpServer.start(node.system(),
                d.extractRequest(request -> d.complete(GatewayIdentity.clientId(request))), http, HttpServer.https(http))
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        try {
            String url = "https://127.0.0.1:" + binding.localAddress().getPort() + "/";
            assertEquals("CN=gw-allowed", send(gateway("allowed.p12"), "GET", url, null, null).body());
            assertEquals("127.0.0.1", send(gateway(null), "GET", url, null, null).body());
        } finally {
            binding.unbind().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}
