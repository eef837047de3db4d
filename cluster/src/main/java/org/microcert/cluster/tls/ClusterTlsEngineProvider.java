package org.microcert.cluster.tls;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.event.LogSource$;
import org.apache.pekko.event.Logging;
import org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider;
import scala.Option;

/**
 * Artery's TLS ({@code pekko.remote.artery.transport = tls-tcp}) with this node's key and certificate
 * from a PKCS#12 keystore and the cluster CA(s) from a PEM file ({@code microcert.cluster-tls}). Both
 * ends show a certificate: a connecting node is refused unless its certificate chains to a trusted CA
 * and is a node certificate (extended key usage serverAuth and clientAuth, as {@code cluster-certs node}
 * issues it), so a gateway's client certificate from the same CA cannot deliver a message either.
 * Protocol and cipher suites are Pekko's ({@code pekko.remote.artery.ssl.config-ssl-engine}: TLS 1.3).
 * Keys are read once, at the first connection: a new certificate needs a restart (docs/security.md).
 */
public final class ClusterTlsEngineProvider extends ConfigSSLEngineProvider {

    /** The settings' path. */
    public static final String SETTINGS = "microcert.cluster-tls";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private final Config tls;

    public ClusterTlsEngineProvider(ActorSystem system) {
        super(system.settings().config().getConfig("pekko.remote.artery.ssl.config-ssl-engine"),
                Logging.withMarker(system, ClusterTlsEngineProvider.class.getName(), LogSource$.MODULE$.fromString()));
        this.tls = system.settings().config().getConfig(SETTINGS);
    }

    @Override
    public KeyManager[] keyManagers() {
        return TlsFiles.keyManagers(tls, SETTINGS);
    }

    @Override
    public TrustManager[] trustManagers() {
        return new TrustManager[] {TlsFiles.trustManager(trusted(tls))};
    }

    /** On the accepting side: the connecting peer must be a node, not only someone the CA knows. */
    @Override
    public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
        return Option.apply(notANode(session));
    }

    /** On the connecting side: the same for the node it reached. */
    @Override
    public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
        return Option.apply(notANode(session));
    }

    private static Throwable notANode(SSLSession session) {
        try {
            X509Certificate peer = (X509Certificate) session.getPeerCertificates()[0];
            List<String> usages = peer.getExtendedKeyUsage() == null ? List.of() : peer.getExtendedKeyUsage();
            return usages.contains(SERVER_AUTH) && usages.contains(CLIENT_AUTH) ? null
                    : new SSLException("the peer's certificate " + ClusterCertificates.subject(peer)
                            + " is not a node certificate (extended key usage serverAuth and clientAuth)");
        } catch (SSLPeerUnverifiedException | CertificateParsingException e) {
            return e;
        }
    }

    private static List<X509Certificate> trusted(Config tls) {
        String trust = tls.getString("trust");
        if (trust.isBlank()) {
            throw new TlsFiles.TlsFileException(SETTINGS + ".trust names no file (PEM: the cluster CA certificate)");
        }
        return TlsFiles.pemCertificates(Path.of(trust), SETTINGS + ".trust");
    }

    /**
     * Checks {@code config}'s cluster TLS before the node starts (Pekko would read the files only at the
     * first connection, and report a problem there): the keystore and its password, the trusted CAs,
     * this node's certificate chaining to one of them, mutual authentication on. Returns a line for the
     * log, or empty when Artery runs without TLS.
     *
     * @throws TlsFiles.TlsFileException in one line naming the file or setting at fault
     */
    public static String check(Config config) {
        boolean tlsTransport = config.getString("pekko.remote.artery.transport").equals("tls-tcp");
        boolean ours = config.getString("pekko.remote.artery.ssl.ssl-engine-provider")
                .equals(ClusterTlsEngineProvider.class.getName());
        if (!tlsTransport) {
            return "";
        }
        if (!ours) {
            return "cluster traffic: TLS by " + config.getString("pekko.remote.artery.ssl.ssl-engine-provider");
        }
        if (!config.getBoolean("pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication")) {
            throw new TlsFiles.TlsFileException("pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication "
                    + "is off: any host could then connect to this node; MicroCert needs it on");
        }
        Config tls = config.getConfig(SETTINGS);
        List<X509Certificate> cas = trusted(tls);
        char[] password = TlsFiles.password(tls, SETTINGS);
        try {
            KeyStore ks = TlsFiles.pkcs12(Path.of(tls.getString("keystore")), password, SETTINGS + ".keystore");
            String alias = Collections.list(ks.aliases()).stream().filter(a -> isKey(ks, a)).findFirst()
                    .orElseThrow(() -> new TlsFiles.TlsFileException(tls.getString("keystore") + " (" + SETTINGS
                            + ".keystore) holds no private key"));
            X509Certificate[] chain = Arrays.stream(ks.getCertificateChain(alias)).map(c -> (X509Certificate) c)
                    .toArray(X509Certificate[]::new);
            try {
                TlsFiles.trustManager(cas).checkServerTrusted(chain, "UNKNOWN");
            } catch (GeneralSecurityException e) {
                throw new TlsFiles.TlsFileException("this node's certificate " + ClusterCertificates.subject(chain[0])
                        + " (" + SETTINGS + ".keystore) is not valid under the CAs of " + SETTINGS + ".trust: "
                        + e.getMessage());
            }
            Instant expires = chain[0].getNotAfter().toInstant();
            return "cluster traffic: TLS, both ends authenticated, as " + ClusterCertificates.subject(chain[0])
                    + " (valid until " + expires + (expires.isBefore(Instant.now().plus(Duration.ofDays(30)))
                            ? ", LESS THAN 30 DAYS: rotate it" : "") + "), trusting " + cas.size() + " CA(s)";
        } catch (GeneralSecurityException e) {
            throw new TlsFiles.TlsFileException("cannot read " + tls.getString("keystore") + " (" + SETTINGS
                    + ".keystore): " + e.getMessage());
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static boolean isKey(KeyStore ks, String alias) {
        try {
            return ks.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
