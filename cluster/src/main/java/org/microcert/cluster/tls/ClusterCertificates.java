package org.microcert.cluster.tls;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small certificate authority for one MicroCert deployment: the cluster CA that issues node
 * certificates (Artery TLS, both ends authenticated), and a gateway CA that issues the client
 * certificates of forwarding gateways. Keys are EC P-256; a CA key rests only in its PKCS#12 file,
 * an issued key only in the keystore handed to its node or gateway. Nothing here prints a key or a
 * password. The command line is {@link ClusterCertsCommand} ({@code ops/bin/cluster-certs}).
 */
public final class ClusterCertificates {

    /** What an issued certificate may be used for. */
    public enum Purpose {
        /** A cluster node: TLS server and client of Artery (both ends show a certificate). */
        NODE(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth),
        /** A forwarding gateway: TLS client of the device endpoints. */
        GATEWAY(KeyPurposeId.id_kp_clientAuth);

        private final KeyPurposeId[] usages;

        Purpose(KeyPurposeId... usages) {
            this.usages = usages;
        }
    }

    /** A subject CN (and host name) we issue: letters, digits and . _ - only, 1 to 64 characters. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static final SecureRandom RANDOM = new SecureRandom();

    private ClusterCertificates() {}

    /** A CA: its key (in memory only while issuing) and its self-signed certificate. */
    public record Authority(PrivateKey key, X509Certificate certificate) {

        /** This CA from its PKCS#12 file (alias "ca"). */
        public static Authority load(Path keystore, char[] password) {
            KeyStore ks = TlsFiles.pkcs12(keystore, password, "the CA keystore");
            try {
                PrivateKey key = (PrivateKey) ks.getKey("ca", password);
                X509Certificate cert = (X509Certificate) ks.getCertificate("ca");
                if (key == null || cert == null) {
                    throw new TlsFiles.TlsFileException(keystore + " holds no CA key (alias \"ca\"): not made by cluster-certs ca");
                }
                return new Authority(key, cert);
            } catch (GeneralSecurityException e) {
                throw new TlsFiles.TlsFileException("cannot read the CA key from " + keystore + ": " + e.getMessage());
            }
        }

        /**
         * A certificate for {@code name} (its CN) signed by this CA, with {@code hosts} (DNS names or IP
         * addresses) as subject alternative names, valid from now for {@code validity}.
         */
        public Issued issue(String name, List<String> hosts, Purpose purpose, Duration validity) {
            checkName(name);
            KeyPair pair = newKeyPair();
            try {
                Instant now = Instant.now();
                X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(),
                        Date.from(now.minusSeconds(300)), Date.from(now.plus(validity)), x500(name), pair.getPublic());
                JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose.usages));
                b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
                b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
                if (!hosts.isEmpty()) {
                    b.addExtension(Extension.subjectAlternativeName, false, alternativeNames(hosts));
                }
                return new Issued(pair.getPrivate(), sign(b, key), certificate);
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalStateException("cannot issue a certificate for " + name + ": " + e.getMessage(), e);
            }
        }

        /** Writes this CA: the key and certificate to {@code keystore} (PKCS#12), the certificate to {@code pem}. */
        public void write(Path keystore, char[] password, Path pem) throws IOException {
            writePkcs12(keystore, "ca", key, new Certificate[] {certificate}, password);
            writePem(pem, List.of(certificate));
        }
    }

    /** An issued key and certificate, and the CA certificate that signed it. */
    public record Issued(PrivateKey key, X509Certificate certificate, X509Certificate issuer) {

        /** Writes the key with its chain (certificate, CA) to a PKCS#12 keystore, alias "key". */
        public void writePkcs12(Path keystore, char[] password) throws IOException {
            ClusterCertificates.writePkcs12(keystore, "key", key, new Certificate[] {certificate, issuer}, password);
        }
    }

    /** A new CA named {@code name} (its CN), valid from now for {@code validity}. */
    public static Authority newAuthority(String name, Duration validity) {
        KeyPair pair = newKeyPair();
        try {
            Instant now = Instant.now();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).addRDN(BCStyle.O, "MicroCert").build();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minusSeconds(300)), Date.from(now.plus(validity)), subject, pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0)); // issues end entities only
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            return new Authority(pair.getPrivate(), sign(b, pair.getPrivate()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make the CA certificate: " + e.getMessage(), e);
        }
    }

    static void checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad name '" + printable(name)
                    + "': 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    /** {@code s} with anything but printable ASCII replaced by '?', at most 64 characters (for messages). */
    static String printable(String s) {
        String p = s.replaceAll("[^\\x20-\\x7e]", "?");
        return p.length() > 64 ? p.substring(0, 64) + "..." : p;
    }

    private static X500Name x500(String cn) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).addRDN(BCStyle.O, "MicroCert").build();
    }

    private static GeneralNames alternativeNames(List<String> hosts) {
        List<GeneralName> names = new ArrayList<>();
        for (String h : hosts) {
            if (h.matches("[0-9.]+") || h.contains(":")) {
                try {
                    InetAddress.getByName(h); // a literal: no lookup
                } catch (IOException e) {
                    throw new IllegalArgumentException("bad IP address '" + printable(h) + "'");
                }
                names.add(new GeneralName(GeneralName.iPAddress, h));
            } else {
                checkName(h);
                names.add(new GeneralName(GeneralName.dNSName, h));
            }
        }
        return new GeneralNames(names.toArray(new GeneralName[0]));
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 key generator", e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(1, randomBytes(16));
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        b[0] &= 0x7f;
        return b;
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey issuerKey) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign: " + e.getMessage(), e);
        }
    }

    /** Writes a PKCS#12 keystore, owner-only, refusing to overwrite an existing file. */
    static void writePkcs12(Path file, String alias, PrivateKey key, Certificate[] chain, char[] password) throws IOException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(alias, key, password, chain);
            try (OutputStream out = newOwnerOnlyFile(file)) {
                ks.store(out, password);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the keystore " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes certificates as PEM (public: readable by all), refusing to overwrite an existing file. */
    public static void writePem(Path file, List<X509Certificate> certificates) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            for (X509Certificate c : certificates) {
                w.writeObject(c);
            }
        }
        Files.writeString(file, s.toString(), StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
    }

    /** A new file readable and writable by its owner only (the permissions are set before anything is written). */
    static OutputStream newOwnerOnlyFile(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
        return Files.newOutputStream(file, StandardOpenOption.WRITE);
    }

    /** SHA-256 of a certificate's encoding, hex (what an operator compares when rotating). */
    public static String fingerprint(X509Certificate c) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The subject of a certificate as RFC 2253 text. */
    public static String subject(X509Certificate c) {
        return c.getSubjectX500Principal().getName(X500Principal.RFC2253);
    }
}
