package org.microcert.cluster.http;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.protocol.Secret;
import org.microcert.cluster.tls.GatewayTrust;
import org.microcert.cluster.tls.TlsFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the gateway (HTTP, or HTTPS from a PKCS#12 keystore) and registers the unbind with
 * coordinated shutdown, so a leaving node stops taking requests before sharding hands its sensors
 * over and in-flight requests get up to 5 s to finish.
 */
public final class HttpServer {

    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    /** The TLS configuration cannot be used; the message names the file, never the password. */
    public static final class TlsConfigException extends RuntimeException {
        TlsConfigException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private HttpServer() {}

    /**
     * The HTTPS context {@code microcert.http.tls} asks for (empty for plain HTTP). Loads the
     * keystore now, so a node can refuse a bad one before it joins the cluster.
     *
     * @throws TlsConfigException the keystore or its password cannot be used
     */
    public static Optional<HttpsConnectionContext> https(Config http) {
        Config tls = http.getConfig("tls");
        if (!http.getBoolean("tls.enabled")) {
            if (!tls.getString("gateway-trust").isBlank()) {
                throw new TlsConfigException("microcert.http.tls.gateway-trust (--gateway-trust) needs HTTPS: set "
                        + "--tls-keystore too", null);
            }
            return Optional.empty();
        }
        if (tls.getString("gateway-trust").isBlank()) {
            return Optional.of(ConnectionContext.httpsServer(sslContext(tls)));
        }
        // Gateways prove who they are: every client is asked for a certificate (operators and probes may
        // send none), and one that GatewayTrust refuses fails the handshake.
        SSLContext context = sslContext(tls, new TrustManager[] {gatewayTrust(tls)});
        return Optional.of(ConnectionContext.httpsServer(() -> {
            SSLEngine engine = context.createSSLEngine();
            engine.setUseClientMode(false);
            engine.setWantClientAuth(true);
            return engine;
        }));
    }

    private static GatewayTrust gatewayTrust(Config tls) {
        try {
            return new GatewayTrust(TlsFiles.pemCertificates(Path.of(tls.getString("gateway-trust")),
                    "microcert.http.tls.gateway-trust"), Set.copyOf(tls.getStringList("allowed-gateways")));
        } catch (TlsFiles.TlsFileException e) {
            throw new TlsConfigException(e.getMessage(), null);
        }
    }

    /** Binds {@code route} where {@code http} ({@code microcert.http}) says, over {@code https} if present. */
    public static CompletionStage<ServerBinding> start(ActorSystem<?> system, Route route, Config http,
            Optional<HttpsConnectionContext> https) {
        ServerBuilder builder = Http.get(system).newServerAt(http.getString("interface"), http.getInt("port"));
        if (https.isPresent()) {
            builder = builder.enableHttps(https.get());
        }
        return builder.bind(route).thenApplyAsync(binding -> {
            binding.addToCoordinatedShutdown(Duration.ofSeconds(5), system);
            LOG.info("gateway listening on {}://{}:{}", https.isPresent() ? "https" : "http",
                    binding.localAddress().getHostString(), binding.localAddress().getPort());
            return binding;
        }, system.executionContext());
    }

    /** An SSLContext from the PKCS#12 keystore named by {@code tls.keystore}. */
    static SSLContext sslContext(Config tls) {
        return sslContext(tls, null);
    }

    /** As {@link #sslContext(Config)}, checking client certificates with {@code trust} (null: none asked). */
    static SSLContext sslContext(Config tls, TrustManager[] trust) {
        if (tls.getString("keystore").isBlank()) { // Path.of("") is the working directory: the error would name nothing
            throw new TlsConfigException("microcert.http.tls.enabled is on but microcert.http.tls.keystore names no file "
                    + "(a PKCS#12 keystore)", null);
        }
        Path keystore = Path.of(tls.getString("keystore"));
        char[] password = password(tls);
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), trust, null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            // The cause names what failed (file, format, wrong password) and never holds the password.
            throw new TlsConfigException("cannot use the TLS keystore " + keystore + ": " + e.getMessage(), null);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static char[] password(Config tls) {
        String file = tls.getString("password-file");
        if (!file.isBlank()) {
            try (Secret password = Secret.fromFileContent(Files.readAllBytes(Path.of(file)))) {
                return password.chars();
            } catch (IOException e) {
                throw new TlsConfigException("cannot read the TLS password file " + file, null);
            }
        }
        try (Secret password = Secret.fromEnvironment(System::getenv, tls.getString("password-env")).orElseThrow(() ->
                new TlsConfigException("no TLS keystore password: set " + tls.getString("password-env")
                        + " or microcert.http.tls.password-file", null))) {
            return password.chars();
        }
    }
}
