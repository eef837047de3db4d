package org.microcert.cluster.tls;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.microcert.cluster.tls.ClusterCertificates.Authority;
import org.microcert.cluster.tls.ClusterCertificates.Issued;
import org.microcert.cluster.tls.ClusterCertificates.Purpose;

/**
 * {@code ops/bin/cluster-certs}: makes a CA and issues node and gateway keystores with it
 * (docs/security.md). Passwords come from files or the environment, never from flags; no key or
 * password is ever printed. Exit status 0, or 2 with one line on stderr.
 */
public final class ClusterCertsCommand {

    static final String USAGE = """
            Usage: ops/bin/cluster-certs COMMAND [options]
              ca      --out DIR [--name NAME] [--days N]
                      a new CA: DIR/ca.p12 (its key: keep it offline) and DIR/ca.crt (what peers trust)
              node    --ca DIR --name NAME [--host H,H...] [--days N] --out FILE.p12
                      a node's keystore for Artery TLS (microcert.cluster-tls), signed by DIR's CA
              gateway --ca DIR --name NAME [--days N] --out FILE.p12
                      a forwarding gateway's client keystore (microcert.http.tls.gateways), signed by DIR's CA
            Passwords, never as flags: the CA keystore's from --ca-password-file FILE or MICROCERT_CA_PASSWORD;
            the new keystore's from --password-file FILE or MICROCERT_KEYSTORE_PASSWORD. A password file
            that does not exist is created, owner-only, with a random password. Files are never overwritten.
            """;

    static final int EXIT_USAGE = 2;

    private static final Set<String> FLAGS = Set.of("--out", "--name", "--days", "--ca", "--host",
            "--password-file", "--ca-password-file");

    private ClusterCertsCommand() {}

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Runs the command; returns the exit status. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (args.length == 0 || List.of("--help", "-h", "help").contains(args[0])) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? EXIT_USAGE : 0;
        }
        try {
            Map<String, String> flags = flags(Arrays.copyOfRange(args, 1, args.length));
            switch (args[0]) {
                case "ca" -> ca(flags, env, out);
                case "node" -> issue(flags, env, Purpose.NODE, out);
                case "gateway" -> issue(flags, env, Purpose.GATEWAY, out);
                default -> throw new IllegalArgumentException("unknown command '" + ClusterCertificates.printable(args[0])
                        + "' (ca, node, gateway; --help)");
            }
            return 0;
        } catch (IllegalArgumentException | TlsFiles.TlsFileException e) {
            err.println("cluster-certs: " + e.getMessage());
            return EXIT_USAGE;
        } catch (FileAlreadyExistsException e) {
            err.println("cluster-certs: " + e.getFile() + " exists: not overwritten (move it away first)");
            return EXIT_USAGE;
        } catch (IOException e) {
            err.println("cluster-certs: cannot write: " + e);
            return EXIT_USAGE;
        }
    }

    private static void ca(Map<String, String> flags, Map<String, String> env, PrintStream out) throws IOException {
        Path dir = Path.of(required(flags, "--out"));
        String name = flags.getOrDefault("--name", "MicroCert CA");
        if (name.isBlank() || name.length() > 64 || !name.matches("[\\x20-\\x7e]+")) {
            throw new IllegalArgumentException("bad --name: 1 to 64 printable ASCII characters");
        }
        Duration validity = days(flags, 3650);
        Files.createDirectories(dir);
        char[] password = password(flags.get("--ca-password-file"), env.get("MICROCERT_CA_PASSWORD"), "the CA keystore");
        try {
            Authority ca = ClusterCertificates.newAuthority(name, validity);
            ca.write(dir.resolve("ca.p12"), password, dir.resolve("ca.crt"));
            out.println("CA \"" + name + "\": key in " + dir.resolve("ca.p12") + " (keep it offline), certificate in "
                    + dir.resolve("ca.crt") + ", valid until " + ca.certificate().getNotAfter().toInstant()
                    + ", SHA-256 " + ClusterCertificates.fingerprint(ca.certificate()));
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static void issue(Map<String, String> flags, Map<String, String> env, Purpose purpose, PrintStream out)
            throws IOException {
        Path caDir = Path.of(required(flags, "--ca"));
        String name = required(flags, "--name");
        ClusterCertificates.checkName(name);
        Path target = Path.of(required(flags, "--out"));
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        List<String> hosts = flags.containsKey("--host")
                ? Arrays.stream(flags.get("--host").split(",")).map(String::trim).filter(h -> !h.isEmpty()).toList()
                : List.of();
        if (purpose == Purpose.GATEWAY && !hosts.isEmpty()) {
            throw new IllegalArgumentException("--host is for node certificates (a gateway is known by its name)");
        }
        Duration validity = days(flags, 397);
        char[] caPassword = password(flags.get("--ca-password-file"), env.get("MICROCERT_CA_PASSWORD"), "the CA keystore");
        Issued issued;
        try {
            issued = Authority.load(caDir.resolve("ca.p12"), caPassword).issue(name, hosts, purpose, validity);
        } finally {
            Arrays.fill(caPassword, '\0');
        }
        char[] password = password(flags.get("--password-file"), env.get("MICROCERT_KEYSTORE_PASSWORD"), "the new keystore");
        try {
            issued.writePkcs12(target, password);
        } finally {
            Arrays.fill(password, '\0');
        }
        out.println(purpose.name().toLowerCase(java.util.Locale.ROOT) + " \"" + name + "\": " + target
                + (hosts.isEmpty() ? "" : " (hosts " + String.join(", ", hosts) + ")") + ", valid until "
                + issued.certificate().getNotAfter().toInstant() + ", issued by "
                + ClusterCertificates.subject(issued.issuer()));
    }

    /**
     * A password from {@code file} (created owner-only with 24 random bytes, hex, if it does not exist),
     * else from {@code fromEnv}.
     */
    static char[] password(String file, String fromEnv, String what) throws IOException {
        if (file != null) {
            Path p = Path.of(file);
            if (!Files.exists(p)) {
                byte[] random = new byte[24];
                new SecureRandom().nextBytes(random);
                byte[] hex = HexFormat.of().formatHex(random).getBytes(StandardCharsets.US_ASCII);
                try (OutputStream o = ClusterCertificates.newOwnerOnlyFile(p)) {
                    o.write(hex);
                    o.write('\n');
                } finally {
                    Arrays.fill(random, (byte) 0);
                    Arrays.fill(hex, (byte) 0);
                }
            }
            char[] pw = new String(Files.readAllBytes(p), StandardCharsets.UTF_8).strip().toCharArray();
            if (pw.length == 0) {
                throw new IllegalArgumentException("the password file " + file + " (" + what + ") is empty");
            }
            return pw;
        }
        if (fromEnv == null || fromEnv.isEmpty()) {
            throw new IllegalArgumentException("no password for " + what + ": give a password file or set the variable "
                    + "(--help)");
        }
        return fromEnv.toCharArray();
    }

    private static Duration days(Map<String, String> flags, int fallback) {
        String d = flags.get("--days");
        if (d == null) {
            return Duration.ofDays(fallback);
        }
        try {
            int n = Integer.parseInt(d);
            if (n >= 1 && n <= 36_500) {
                return Duration.ofDays(n);
            }
        } catch (NumberFormatException e) {
            // the usage error below
        }
        throw new IllegalArgumentException("bad --days '" + ClusterCertificates.printable(d) + "': 1 to 36500");
    }

    private static String required(Map<String, String> flags, String flag) {
        String v = flags.get(flag);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(flag + " is required (--help)");
        }
        return v;
    }

    private static Map<String, String> flags(String[] args) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!FLAGS.contains(a)) {
                throw new IllegalArgumentException("unknown option '" + ClusterCertificates.printable(a) + "' (--help)");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            if (flags.put(a, args[++i]) != null) {
                throw new IllegalArgumentException("option " + a + " given twice");
            }
        }
        return flags;
    }
}
