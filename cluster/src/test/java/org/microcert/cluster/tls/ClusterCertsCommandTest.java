package org.microcert.cluster.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ops/bin/cluster-certs: a CA, node and gateway keystores that validate under it and only under it. */
class ClusterCertsCommandTest {

    @TempDir
    Path dir;

    record Run(int status, String out, String err) {}

    Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ClusterCertsCommand.run(args, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    X509Certificate[] chain(Path keystore, Path passwordFile) throws Exception {
        char[] pw = Files.readString(passwordFile).strip().toCharArray();
        KeyStore ks = TlsFiles.pkcs12(keystore, pw, "test");
        assertTrue(ks.isKeyEntry("key"));
        return Arrays.stream(ks.getCertificateChain("key")).map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
    }

    @Test
    void issuedKeystoresValidateUnderTheirCaOnlyAndNoSecretIsPrinted() throws Exception {
        Path ca = dir.resolve("ca");
        Path caPw = dir.resolve("ca.pw");
        Run made = run("ca", "--out", ca.toString(), "--name", "Test cluster CA", "--ca-password-file", caPw.toString());
        assertEquals(0, made.status(), made.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(caPw)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.resolve("ca.p12"))));
        Run node = run("node", "--ca", ca.toString(), "--ca-password-file", caPw.toString(), "--name", "node1",
                "--host", "127.0.0.1,node1.internal", "--out", dir.resolve("node1.p12").toString(),
                "--password-file", dir.resolve("node1.pw").toString());
        assertEquals(0, node.status(), node.err());
        Run gateway = run("gateway", "--ca", ca.toString(), "--ca-password-file", caPw.toString(), "--name", "gw-1",
                "--out", dir.resolve("gw.p12").toString(), "--password-file", dir.resolve("gw.pw").toString());
        assertEquals(0, gateway.status(), gateway.err());
        for (String secret : List.of(Files.readString(caPw).strip(), Files.readString(dir.resolve("node1.pw")).strip(),
                Files.readString(dir.resolve("gw.pw")).strip())) {
            for (Run r : List.of(made, node, gateway)) {
                assertFalse((r.out() + r.err()).contains(secret), "a password was printed");
            }
        }

        X509TrustManager trust = TlsFiles.trustManager(TlsFiles.pemCertificates(ca.resolve("ca.crt"), "test"));
        X509Certificate[] nodeChain = chain(dir.resolve("node1.p12"), dir.resolve("node1.pw"));
        trust.checkServerTrusted(nodeChain, "UNKNOWN");
        trust.checkClientTrusted(nodeChain, "UNKNOWN");
        assertEquals("node1", TlsFiles.commonName(nodeChain[0]));
        assertTrue(nodeChain[0].getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("node1.internal")));
        X509Certificate[] gwChain = chain(dir.resolve("gw.p12"), dir.resolve("gw.pw"));
        trust.checkClientTrusted(gwChain, "UNKNOWN");
        assertThrows(CertificateException.class, () -> trust.checkServerTrusted(gwChain, "UNKNOWN"),
                "a gateway certificate is for TLS clients only");

        // a second CA's node certificate does not validate under the first
        Path other = dir.resolve("other");
        assertEquals(0, run("ca", "--out", other.toString(), "--ca-password-file", caPw.toString()).status());
        assertEquals(0, run("node", "--ca", other.toString(), "--ca-password-file", caPw.toString(), "--name", "node1",
                "--out", dir.resolve("foreign.p12").toString(), "--password-file", dir.resolve("node1.pw").toString()).status());
        X509Certificate[] foreign = chain(dir.resolve("foreign.p12"), dir.resolve("node1.pw"));
        assertThrows(CertificateException.class, () -> trust.checkClientTrusted(foreign, "UNKNOWN"));
    }

    @Test
    void badInputIsOneLineAndWritesNothing() throws Exception {
        Path ca = dir.resolve("ca");
        Path caPw = dir.resolve("ca.pw");
        assertEquals(0, run("ca", "--out", ca.toString(), "--ca-password-file", caPw.toString()).status());
        List<String[]> bad = List.of(
                new String[] {"node", "--ca", ca.toString(), "--ca-password-file", caPw.toString(), "--name", "bad name",
                        "--out", dir.resolve("x.p12").toString(), "--password-file", dir.resolve("x.pw").toString()},
                new String[] {"node", "--ca", ca.toString(), "--ca-password-file", caPw.toString(), "--name", "n",
                        "--days", "0", "--out", dir.resolve("x.p12").toString()},
                new String[] {"node", "--ca", ca.toString(), "--name", "n", "--out", dir.resolve("x.p12").toString()},
                new String[] {"gateway", "--ca", ca.toString(), "--ca-password-file", caPw.toString(), "--name", "g",
                        "--host", "1.2.3.4", "--out", dir.resolve("x.p12").toString()},
                new String[] {"ca", "--out", ca.toString(), "--ca-password-file", caPw.toString()},
                new String[] {"node", "--bogus", "1"},
                new String[] {"sign"});
        for (String[] args : bad) {
            Run r = run(args);
            assertEquals(ClusterCertsCommand.EXIT_USAGE, r.status(), String.join(" ", args));
            assertTrue(r.err().startsWith("cluster-certs: ") && r.err().strip().lines().count() == 1,
                    String.join(" ", args) + " -> " + r.err());
        }
        assertFalse(Files.exists(dir.resolve("x.p12")));
        Path wrongPw = dir.resolve("wrong.pw");
        Files.writeString(wrongPw, "not the CA password\n");
        Run wrong = run("node", "--ca", ca.toString(), "--ca-password-file", wrongPw.toString(), "--name", "n",
                "--out", dir.resolve("x.p12").toString(), "--password-file", dir.resolve("x.pw").toString());
        assertEquals(ClusterCertsCommand.EXIT_USAGE, wrong.status());
        assertFalse(wrong.err().contains("not the CA password"), wrong.err());
        assertFalse(Files.exists(dir.resolve("x.p12")));
    }
}
