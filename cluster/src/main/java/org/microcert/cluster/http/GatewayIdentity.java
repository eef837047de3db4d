package org.microcert.cluster.http;

import com.typesafe.config.Config;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.SslSessionInfo;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.tls.GatewayTrust;
import org.microcert.cluster.tls.TlsFiles;

/**
 * Who sent a request: the forwarding gateway its TLS client certificate proves (verified in the
 * handshake by {@link GatewayTrust}: chains to a gateway CA, allowed), else only its TCP source
 * address. {@link #clientId} is the one accessor per-client policies (rate limits, audit) key on.
 */
public final class GatewayIdentity {

    /** Distinct gateway names used as metric labels at most; beyond them "other" (bounded cardinality). */
    static final int MAX_LABELS = 64;

    private GatewayIdentity() {}

    /**
     * The client of {@code request} for per-client policies: {@code "CN=<name>"} of the gateway whose
     * client certificate the TLS handshake verified, else the TCP source address (never a header a
     * client writes); "unknown" if neither is known. A gateway name cannot be mistaken for an address.
     */
    public static String clientId(HttpRequest request) {
        return verifiedGateway(request).map(cn -> "CN=" + cn).orElseGet(() -> sourceAddress(request));
    }

    /** The CN of the client certificate the handshake verified, if the request came with one. */
    public static Optional<String> verifiedGateway(HttpRequest request) {
        Optional<SslSessionInfo> tls = request.getAttribute(AttributeKeys.sslSession);
        if (tls.isEmpty()) {
            return Optional.empty();
        }
        try {
            Certificate[] peer = tls.get().getSession().getPeerCertificates();
            // only GatewayTrust asks for client certificates, and the handshake fails unless it accepts one
            return peer.length > 0 && peer[0] instanceof X509Certificate x
                    ? Optional.of(TlsFiles.commonName(x)) : Optional.empty();
        } catch (SSLPeerUnverifiedException noCertificate) {
            return Optional.empty();
        }
    }

    /** The TCP peer's address, or "unknown". */
    static String sourceAddress(HttpRequest request) {
        return request.getAttribute(AttributeKeys.remoteAddress).flatMap(RemoteAddress::getAddress)
                .map(a -> a.getHostAddress()).orElse("unknown");
    }

    /**
     * What the device endpoints ask of a client: with gateway trust configured
     * ({@code microcert.http.tls.gateway-trust}), a verified gateway certificate; otherwise nothing.
     * Counts device requests per gateway in {@code microcert_gateway_requests_total{gateway}}.
     */
    public static final class Policy extends AllDirectives {
        private final boolean required;
        private final Set<String> allowed;
        private final Metrics metrics;
        private final Set<String> labels = ConcurrentHashMap.newKeySet();

        Policy(boolean required, Set<String> allowed, Metrics metrics) {
            this.required = required;
            this.allowed = Set.copyOf(allowed);
            this.metrics = metrics;
        }

        /** The policy {@code http} ({@code microcert.http}) configures. */
        public static Policy fromConfig(Config http, Metrics metrics) {
            boolean required = http.getBoolean("tls.enabled") && !http.getString("tls.gateway-trust").isBlank();
            return new Policy(required, Set.copyOf(http.getStringList("tls.allowed-gateways")), metrics);
        }

        /** No requirement (plain HTTP, tests). */
        public static Policy none(Metrics metrics) {
            return new Policy(false, Set.of(), metrics);
        }

        boolean required() {
            return required;
        }

        /** {@code inner} (the device routes) for a request that satisfies the policy, else 401 GATEWAY_CERTIFICATE_REQUIRED. */
        Route deviceTraffic(Route inner) {
            return extractRequest(request -> {
                Optional<String> gateway = verifiedGateway(request);
                if (gateway.isEmpty() && required) {
                    GatewayTrust.refused(GatewayTrust.Refusal.NO_CERTIFICATE, "from " + sourceAddress(request));
                    return complete(ErrorHandling.errorResponse(StatusCodes.UNAUTHORIZED, "GATEWAY_CERTIFICATE_REQUIRED",
                            "device endpoints answer registered gateways only: connect with the gateway's client certificate"));
                }
                metrics.gatewayRequest(gateway.map(this::label).orElse("none"));
                return inner;
            });
        }

        /** A gateway's metric label: its CN if allow-listed or among the first {@value #MAX_LABELS} seen, else "other". */
        String label(String cn) {
            if (allowed.contains(cn) || labels.contains(cn)) {
                return cn;
            }
            if (allowed.isEmpty() && labels.size() < MAX_LABELS && labels.add(cn)) {
                return cn;
            }
            return "other";
        }
    }
}
