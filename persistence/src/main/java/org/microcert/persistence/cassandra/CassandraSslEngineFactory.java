package org.microcert.persistence.cassandra;

import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import com.datastax.oss.driver.api.core.context.DriverContext;
import com.datastax.oss.driver.api.core.metadata.EndPoint;
import com.datastax.oss.driver.api.core.ssl.SslEngineFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * Client TLS for the driver, configured like its {@code DefaultSslEngineFactory}
 * ({@code hostname-validation}, default on; {@code cipher-suites}) but with MicroCert's files:
 * {@code truststore-path} is a PEM file of CA certificates or a PKCS#12 truststore,
 * {@code keystore-path} an optional PKCS#12 client keystore (mutual TLS); their passwords come from
 * {@code truststore-password-file} / {@code keystore-password-file} or the variables
 * {@code MICROCERT_CASSANDRA_TRUSTSTORE_PASSWORD} / {@code MICROCERT_CASSANDRA_KEYSTORE_PASSWORD},
 * never from a config value, and are wiped once the stores are read.
 *
 * <p>Hostname validation checks the server certificate against the address as configured or as
 * Cassandra reports its peers (the contact point's name, else the IP address), not against a reverse
 * DNS lookup of it as the driver's default factory does (which turns 127.0.0.1 into "localhost").
 *
 * <p>Named in {@code datastax-java-driver.advanced.ssl-engine-factory.class}.
 */
public final class CassandraSslEngineFactory implements SslEngineFactory {

    private final SSLContext context;
    private final String[] cipherSuites;
    private final boolean hostnameValidation;

    public CassandraSslEngineFactory(DriverContext driverContext) {
        DriverExecutionProfile config = driverContext.getConfig().getDefaultProfile();
        try {
            this.context = buildContext(config);
        } catch (GeneralSecurityException e) {
            throw new CassandraAccessException("cannot set up TLS to Cassandra: " + e.getMessage());
        }
        List<String> suites = config.getStringList(DefaultDriverOption.SSL_CIPHER_SUITES, List.of());
        this.cipherSuites = suites.isEmpty() ? null : suites.toArray(String[]::new);
        this.hostnameValidation = config.getBoolean(DefaultDriverOption.SSL_HOSTNAME_VALIDATION, true);
    }

    @Override
    public SSLEngine newSslEngine(EndPoint remoteEndpoint) {
        SocketAddress remote = remoteEndpoint.resolve();
        SSLEngine engine = remote instanceof InetSocketAddress a
                ? context.createSSLEngine(a.getHostString(), a.getPort()) // no reverse lookup
                : context.createSSLEngine();
        engine.setUseClientMode(true);
        if (cipherSuites != null) {
            engine.setEnabledCipherSuites(cipherSuites);
        }
        if (hostnameValidation) {
            SSLParameters parameters = engine.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(parameters);
        }
        return engine;
    }

    @Override
    public void close() {
        // nothing held open
    }

    private static SSLContext buildContext(DriverExecutionProfile config) throws GeneralSecurityException {
        String trust = config.getString(DefaultDriverOption.SSL_TRUSTSTORE_PATH, "");
        String keys = config.getString(DefaultDriverOption.SSL_KEYSTORE_PATH, "");
        TrustManagerFactory tmf = null;
        if (!trust.isBlank()) {
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(truststore(Path.of(trust), config));
        }
        KeyManagerFactory kmf = null;
        if (!keys.isBlank()) {
            char[] password = CassandraAccess.password(config.getString(CassandraAccess.KEYSTORE_PASSWORD_FILE, ""),
                    CassandraAccess.KEYSTORE_PASSWORD_ENV, System::getenv, "password for the Cassandra client keystore "
                    + keys, CassandraAccess.KEYSTORE_PASSWORD_FLAG);
            try {
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(pkcs12(Path.of(keys), password, CassandraAccess.KEYSTORE_FLAG), password);
            } finally {
                Arrays.fill(password, '\0');
            }
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
        return context;
    }

    /** The CAs to trust: every certificate of a PEM file, or a PKCS#12 truststore (which needs its password). */
    private static KeyStore truststore(Path file, DriverExecutionProfile config) throws GeneralSecurityException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CassandraAccessException("cannot read the Cassandra truststore " + file + " ("
                    + CassandraAccess.TRUSTSTORE_FLAG + "): " + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()));
        }
        if (new String(content, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try {
                store.load(null, null);
                int i = 0;
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(content))) {
                    store.setCertificateEntry("ca-" + i++, c);
                }
            } catch (IOException | GeneralSecurityException e) {
                throw new CassandraAccessException("cannot read the CA certificates in " + file + " ("
                        + CassandraAccess.TRUSTSTORE_FLAG + "): " + e.getMessage());
            }
            return store;
        }
        char[] password = CassandraAccess.password(config.getString(CassandraAccess.TRUSTSTORE_PASSWORD_FILE, ""),
                CassandraAccess.TRUSTSTORE_PASSWORD_ENV, System::getenv, "password for the PKCS#12 Cassandra truststore "
                + file + " (a PEM CA file needs none)", CassandraAccess.TRUSTSTORE_PASSWORD_FLAG);
        try {
            return pkcs12(file, password, CassandraAccess.TRUSTSTORE_FLAG);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static KeyStore pkcs12(Path file, char[] password, String flag) {
        try (var in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            return store;
        } catch (IOException | GeneralSecurityException e) {
            // the JDK says what failed (no such file, wrong password, not PKCS#12), never the password
            throw new CassandraAccessException("cannot read the PKCS#12 file " + file + " (" + flag + "): "
                    + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()));
        }
    }
}
