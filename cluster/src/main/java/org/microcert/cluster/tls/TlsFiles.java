package org.microcert.cluster.tls;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The files TLS settings name: a PKCS#12 keystore (this side's key and certificate chain, its password
 * from a file or an environment variable, never from a flag or a config value) and a PEM bundle of CA
 * certificates to trust (several during a CA rotation). Errors name the file and setting, never a password.
 */
public final class TlsFiles {

    /** A TLS file or setting cannot be used; the message names it and never holds a secret. */
    public static final class TlsFileException extends RuntimeException {
        public TlsFileException(String message) {
            super(message);
        }
    }

    private TlsFiles() {}

    /**
     * Key managers from the PKCS#12 keystore of {@code tls} (keys {@code keystore}, {@code password-file},
     * {@code password-env}); {@code setting} is the section's path, for messages. The password is wiped
     * once the keystore is read.
     */
    public static KeyManager[] keyManagers(Config tls, String setting) {
        String file = tls.getString("keystore");
        if (file.isBlank()) {
            throw new TlsFileException(setting + ".keystore names no file (a PKCS#12 keystore)");
        }
        char[] password = password(tls, setting);
        try {
            KeyStore ks = pkcs12(Path.of(file), password, setting + ".keystore");
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            return kmf.getKeyManagers();
        } catch (GeneralSecurityException e) {
            throw new TlsFileException("cannot use the keystore " + file + " (" + setting + ".keystore): " + e.getMessage());
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /** A PKCS#12 keystore; {@code what} names the setting for messages. */
    public static KeyStore pkcs12(Path file, char[] password, String what) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            // the JDK's message says what failed (no such file, wrong password, not PKCS#12), never the password
            throw new TlsFileException("cannot read the PKCS#12 keystore " + file + " (" + what + "): "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
    }

    /** The keystore password: {@code password-file} if set, else the variable named by {@code password-env}. */
    static char[] password(Config tls, String setting) {
        String file = tls.getString("password-file");
        if (!file.isBlank()) {
            try {
                return new String(Files.readAllBytes(Path.of(file)), StandardCharsets.UTF_8).strip().toCharArray();
            } catch (IOException e) {
                throw new TlsFileException("cannot read the password file " + file + " (" + setting + ".password-file)");
            }
        }
        String env = System.getenv(tls.getString("password-env"));
        if (env == null) {
            throw new TlsFileException("no keystore password for " + setting + ": set " + tls.getString("password-env")
                    + " or " + setting + ".password-file");
        }
        return env.toCharArray();
    }

    /** Every certificate of a PEM file (at least one); {@code what} names the setting for messages. */
    public static List<X509Certificate> pemCertificates(Path file, String what) {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new TlsFileException("no certificate in " + file + " (" + what + ", PEM expected)");
            }
            return out;
        } catch (IOException | CertificateException e) {
            throw new TlsFileException("cannot read the certificates " + file + " (" + what + "): "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
    }

    /** A PKIX trust manager whose only anchors are {@code cas}. */
    public static X509TrustManager trustManager(List<X509Certificate> cas) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                trust.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("the PKIX trust manager factory made no X509TrustManager");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a trust manager: " + e.getMessage(), e);
        }
    }

    /** The CN of a certificate's subject, or "" if it has none. */
    public static String commonName(X509Certificate certificate) {
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
            return "";
        } catch (InvalidNameException e) {
            return "";
        }
    }
}
