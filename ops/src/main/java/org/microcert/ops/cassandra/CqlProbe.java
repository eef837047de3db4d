package org.microcert.ops.cassandra;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Collections;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Asks a server whether it speaks CQL: sends a native-protocol v4 OPTIONS frame and expects a
 * SUPPORTED frame back. Cassandra opens its native transport last, so an answer means it serves
 * queries. Needs no driver, which keeps ops free of client dependencies.
 */
final class CqlProbe {

    private static final byte[] OPTIONS_V4 = {0x04, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00};
    private static final int OPCODE_SUPPORTED = 0x06;

    private CqlProbe() {
    }

    static boolean answers(String host, int port, Duration timeout) {
        return answers(host, port, CassandraServer.ClientSecurity.NONE, timeout);
    }

    /**
     * With client TLS on, the probe speaks TLS as the server itself: it presents the server's own
     * certificate (accepted where client certificates are required, as the server's CA signed it)
     * and trusts only the certificates of the server's key entry.
     */
    static boolean answers(String host, int port, CassandraServer.ClientSecurity security, Duration timeout) {
        int millis = (int) timeout.toMillis();
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(host, port), millis);
            plain.setSoTimeout(millis);
            Socket socket = security.tls() ? serverContext(security).getSocketFactory().createSocket(plain, host, port, true)
                    : plain;
            OutputStream out = socket.getOutputStream();
            out.write(OPTIONS_V4);
            out.flush();
            byte[] header = new byte[9];
            new DataInputStream(socket.getInputStream()).readFully(header);
            return (header[0] & 0x80) != 0 && header[4] == OPCODE_SUPPORTED;
        } catch (IOException | GeneralSecurityException e) {
            return false;
        }
    }

    private static SSLContext serverContext(CassandraServer.ClientSecurity security) throws IOException, GeneralSecurityException {
        char[] password = security.keystorePassword().toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(security.keystore())) {
            keys.load(in, password);
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        for (String alias : Collections.list(keys.aliases())) {
            Certificate[] chain = keys.getCertificateChain(alias);
            for (int i = 0; chain != null && i < chain.length; i++) {
                trust.setCertificateEntry(alias + "-" + i, chain[i]);
            }
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }
}
