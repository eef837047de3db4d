package org.microcert.cluster.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's TLS server side check of a forwarding gateway's client certificate: it must chain to
 * one of the gateway CAs and, when an allow-list is set, name an allowed gateway (subject CN). Anything
 * else fails the handshake, so the client never sends a request. Each refusal is counted
 * ({@link #refusals()}, the metric {@code microcert_gateway_refusals_total}) and written to the audit
 * log, at most one line a second per reason (a flood of handshakes must not flood the log).
 */
public final class GatewayTrust extends X509ExtendedTrustManager {

    /** Why a gateway was refused. */
    public enum Refusal {
        /** Its certificate does not chain to a gateway CA (or is expired, or not for TLS clients). */
        UNTRUSTED,
        /** A certificate of a gateway CA whose CN is not in the allow-list. */
        NOT_ALLOWED,
        /** No client certificate, on a device endpoint that requires one (counted by the routes). */
        NO_CERTIFICATE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static final Logger AUDIT_LOG = LoggerFactory.getLogger("microcert.audit");
    private static final Map<Refusal, AtomicLong> COUNTS = new EnumMap<>(Refusal.class);
    private static final Map<Refusal, AtomicLong> LAST_LINE = new EnumMap<>(Refusal.class);
    private static final Map<Refusal, AtomicLong> SINCE_LAST_LINE = new EnumMap<>(Refusal.class);

    static {
        for (Refusal r : Refusal.values()) {
            COUNTS.put(r, new AtomicLong());
            LAST_LINE.put(r, new AtomicLong(Long.MIN_VALUE / 2));
            SINCE_LAST_LINE.put(r, new AtomicLong());
        }
    }

    private final X509TrustManager cas;
    private final Set<String> allowed;

    /** Gateways whose certificate chains to {@code cas}; if {@code allowed} is not empty, only those CNs. */
    public GatewayTrust(List<X509Certificate> cas, Set<String> allowed) {
        this.cas = TlsFiles.trustManager(cas);
        this.allowed = Set.copyOf(allowed);
    }

    /** Refusals so far in this process, by reason (the metric reads them). */
    public static Map<Refusal, Long> refusals() {
        Map<Refusal, Long> out = new EnumMap<>(Refusal.class);
        COUNTS.forEach((r, n) -> out.put(r, n.get()));
        return out;
    }

    /**
     * Counts a refusal and writes it to the audit log (throttled). {@code who} is what the audit line
     * names: a verified CN, a claimed (unverified) one, or a source address; it is made printable here.
     */
    public static void refused(Refusal reason, String who) {
        COUNTS.get(reason).incrementAndGet();
        long now = System.nanoTime();
        AtomicLong last = LAST_LINE.get(reason);
        long prev = last.get();
        if (now - prev >= 1_000_000_000L && last.compareAndSet(prev, now)) {
            long more = SINCE_LAST_LINE.get(reason).getAndSet(0);
            AUDIT_LOG.info("GATEWAY_REFUSED reason={} gateway={}{}", reason.label(), ClusterCertificates.printable(who),
                    more == 0 ? "" : " (and " + more + " more refusals of this reason since the last line)");
        } else {
            SINCE_LAST_LINE.get(reason).incrementAndGet();
        }
    }

    private void check(X509Certificate[] chain, String authType) throws CertificateException {
        String cn = chain == null || chain.length == 0 ? "" : TlsFiles.commonName(chain[0]);
        try {
            cas.checkClientTrusted(chain, authType);
        } catch (CertificateException | IllegalArgumentException e) {
            refused(Refusal.UNTRUSTED, "claimed CN " + cn + " (unverified)");
            throw e instanceof CertificateException c ? c : new CertificateException(e.getMessage());
        }
        if (!allowed.isEmpty() && !allowed.contains(cn)) {
            refused(Refusal.NOT_ALLOWED, "CN " + cn);
            throw new CertificateException("gateway " + ClusterCertificates.printable(cn) + " is not allowed");
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, authType);
    }

    // This trust manager is the server's, for its clients: it never judges a server.
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw notForServers();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
        throw notForServers();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException {
        throw notForServers();
    }

    private static CertificateException notForServers() {
        return new CertificateException("the gateway's trust manager checks client certificates only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return cas.getAcceptedIssuers();
    }
}
