package org.microcert.cluster.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.InputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;

/** The gateway over HTTPS from a PKCS#12 keystore (made by keytool, as docs/cluster.md shows). */
class TlsGatewayTest {

    static final String PASSWORD = "tls keystore password";

    @TempDir
    static Path dir;
    static TestNode node;
    static Path keystore;

    @BeforeAll
    static void start() throws Exception {
        keystore = dir.resolve("gateway.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "gateway", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD).redirectErrorStream(true)
                .redirectOutput(dir.resolve("keytool.log").toFile()).start();
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0,
                () -> "keytool failed: " + read(dir.resolve("keytool.log")));
        Path passwordFile = dir.resolve("tls.pw");
        Files.writeString(passwordFile, PASSWORD + "\n");
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        node = new TestNode("TlsGatewayTest", TestNode.inMemoryJournal().withFallback(ConfigFactory.parseString("""
                microcert.http.tls.enabled = on
                microcert.http.tls.keystore = "%s"
                microcert.http.tls.password-file = "%s"
                """.formatted(keystore, passwordFile))), fleet.openCard("tls"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** A client that trusts exactly the gateway's certificate. */
    static HttpClient trustingClient() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        Certificate cert = ks.getCertificate("gateway");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("gateway", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Test
    void gatewayAnswersOverHttpsWithTheKeystoresCertificate() throws Exception {
        assertTrue(node.url("/").startsWith("https://"));
        HttpResponse<String> r = trustingClient().send(HttpRequest.newBuilder(URI.create(node.url("/health/alive")))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.sslSession().isPresent());
        assertTrue(List.of("TLSv1.3", "TLSv1.2").contains(r.sslSession().get().getProtocol()));
        HttpResponse<String> api = trustingClient().send(HttpRequest.newBuilder(URI.create(node.url("/v1/authenticate")))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1})).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, api.statusCode(), "the API itself is served over TLS");
    }

    @Test
    void clientsThatDoNotTrustTheCertificateOrSpeakPlainHttpGetNothing() {
        HttpClient defaultTrust = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThrows(SSLHandshakeException.class, () -> defaultTrust.send(
                HttpRequest.newBuilder(URI.create(node.url("/health/alive"))).build(), HttpResponse.BodyHandlers.ofString()));
        String plain = node.url("/health/alive").replace("https://", "http://");
        // refused at once (the TLS server drops the plain request), not answered nothing until the timeout
        IOException refused = assertThrows(IOException.class, () -> defaultTrust.send(HttpRequest.newBuilder(URI.create(plain))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()));
        assertFalse(refused instanceof HttpTimeoutException, "no answer to plain HTTP within 5 s: " + refused);
    }
}
