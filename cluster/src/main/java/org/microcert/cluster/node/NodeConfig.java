package org.microcert.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.microcert.persistence.cassandra.CassandraAccess;

/**
 * A node's configuration, layered (highest wins): command-line flags, environment variables, the
 * file named by {@code --config} or {@code MICROCERT_CONFIG} (a path, or a classpath resource such as
 * {@code local1.conf}), then {@code application.conf} and the libraries' defaults.
 *
 * <p>Secrets are deliberately not settable by flag (flags show in {@code ps}): the card password
 * and the TLS keystore password come from files or environment variables only.
 */
public final class NodeConfig {

    /** One setting that a flag and an environment variable can both set. */
    private record Option(String flag, String env, String path, Function<String, Object> value, String help) {}

    private static final List<Option> OPTIONS = List.of(
            new Option("--hostname", "MICROCERT_HOSTNAME", "pekko.remote.artery.canonical.hostname", s -> s,
                    "address other nodes reach this one at"),
            new Option("--remote-port", "MICROCERT_REMOTE_PORT", "pekko.remote.artery.canonical.port", NodeConfig::port,
                    "cluster (Artery) port"),
            new Option("--seed-nodes", "MICROCERT_SEED_NODES", "pekko.cluster.seed-nodes", NodeConfig::seedNodes,
                    "comma-separated host:port of seed nodes"),
            new Option("--http-port", "MICROCERT_HTTP_PORT", "microcert.http.port", NodeConfig::port, "HTTP(S) port"),
            new Option("--http-interface", "MICROCERT_HTTP_INTERFACE", "microcert.http.interface", s -> s,
                    "HTTP bind address"),
            new Option("--cassandra", "MICROCERT_CASSANDRA", "datastax-java-driver.basic.contact-points",
                    NodeConfig::contactPoints, "comma-separated host:port of Cassandra"),
            new Option("--tokens-file", "MICROCERT_TOKENS_FILE", "microcert.http.tokens-file", s -> s,
                    "operator tokens file (sha-256 hashes + roles)"),
            new Option("--card-keystore", "MICROCERT_CARD_KEYSTORE", "microcert.card.keystore", s -> s,
                    "software card keystore (BCFKS)"),
            new Option("--card-password-file", "MICROCERT_CARD_PASSWORD_FILE", "microcert.card.password-file", s -> s,
                    "file holding the card keystore password"),
            new Option("--pkcs11", "MICROCERT_PKCS11", "microcert.card.pkcs11.config", s -> s,
                    "PKCS#11 card properties (library, slot): runs the card on an HSM"),
            new Option("--pin-env", "MICROCERT_PIN_ENV", "microcert.card.pkcs11.pin-env", s -> s,
                    "environment variable holding the PKCS#11 user PIN"),
            new Option("--card-key-version", "MICROCERT_CARD_KEY_VERSION", "microcert.card.key-version",
                    NodeConfig::keyVersion, "K_store version new seals use (0: the highest held)"),
            new Option("--tls-keystore", "MICROCERT_TLS_KEYSTORE", "microcert.http.tls.keystore", s -> s,
                    "PKCS#12 keystore: enables HTTPS"),
            new Option("--tls-password-file", "MICROCERT_TLS_PASSWORD_FILE", "microcert.http.tls.password-file", s -> s,
                    "file holding the PKCS#12 password"),
            new Option("--gateway-trust", "MICROCERT_GATEWAY_TRUST", "microcert.http.tls.gateway-trust", s -> s,
                    "PEM file of gateway CAs: device calls need a client cert"),
            new Option("--allowed-gateways", "MICROCERT_ALLOWED_GATEWAYS", "microcert.http.tls.allowed-gateways",
                    NodeConfig::names, "comma-separated gateway CNs allowed (default: all)"),
            new Option("--cluster-tls-keystore", "MICROCERT_CLUSTER_TLS_KEYSTORE", "microcert.cluster-tls.keystore",
                    s -> s, "PKCS#12 keystore: enables node-to-node TLS"),
            new Option("--cluster-tls-password-file", "MICROCERT_CLUSTER_TLS_PASSWORD_FILE",
                    "microcert.cluster-tls.password-file", s -> s, "file holding the cluster keystore password"),
            new Option("--cluster-tls-trust", "MICROCERT_CLUSTER_TLS_TRUST", "microcert.cluster-tls.trust", s -> s,
                    "PEM file of the cluster CA certificate(s)"),
            new Option("--cassandra-user", "MICROCERT_CASSANDRA_USER", "datastax-java-driver.advanced.auth-provider.username",
                    s -> s, "Cassandra role (PasswordAuthenticator)"),
            new Option("--cassandra-password-file", "MICROCERT_CASSANDRA_PASSWORD_FILE",
                    "datastax-java-driver.advanced.auth-provider.password-file", s -> s, "file holding the Cassandra password"),
            new Option("--cassandra-truststore", "MICROCERT_CASSANDRA_TRUSTSTORE",
                    "datastax-java-driver.advanced.ssl-engine-factory.truststore-path", s -> s,
                    "PEM CA file or PKCS#12: enables Cassandra TLS"),
            new Option("--cassandra-truststore-password-file", "MICROCERT_CASSANDRA_TRUSTSTORE_PASSWORD_FILE",
                    "datastax-java-driver.advanced.ssl-engine-factory.truststore-password-file", s -> s,
                    "file holding a PKCS#12 truststore's password"),
            new Option("--cassandra-keystore", "MICROCERT_CASSANDRA_KEYSTORE",
                    "datastax-java-driver.advanced.ssl-engine-factory.keystore-path", s -> s,
                    "PKCS#12 client keystore: mutual TLS with Cassandra"),
            new Option("--cassandra-keystore-password-file", "MICROCERT_CASSANDRA_KEYSTORE_PASSWORD_FILE",
                    "datastax-java-driver.advanced.ssl-engine-factory.keystore-password-file", s -> s,
                    "file holding the client keystore's password"),
            new Option("--dev-card", "MICROCERT_DEV_CARD", "microcert.card.dev-directory", s -> s,
                    "DEV ONLY: throwaway card made on first start; creates the schema"));

    private NodeConfig() {}

    /** Thrown for a bad flag or value, with a message for the operator. */
    public static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** Builds the configuration from flags and an environment (normally {@link System#getenv()}). */
    public static Config load(String[] args, Map<String, String> env) {
        Map<String, String> flags = parseFlags(args);
        Map<String, Object> overrides = new LinkedHashMap<>();
        for (Option o : OPTIONS) {
            String raw = flags.containsKey(o.flag) ? flags.get(o.flag) : env.get(o.env);
            if (raw != null && !raw.isBlank()) {
                overrides.put(o.path, o.value.apply(raw.trim()));
            }
        }
        if (overrides.containsKey("microcert.http.tls.keystore")) {
            overrides.put("microcert.http.tls.enabled", true);
        }
        if (overrides.containsKey("microcert.cluster-tls.keystore")) {
            overrides.put("microcert.cluster-tls.enabled", true);
        }
        String file = flags.getOrDefault("--config", env.get("MICROCERT_CONFIG"));
        try {
            Config fromFile = ConfigFactory.empty();
            if (file != null && !file.isBlank()) {
                File f = new File(file);
                fromFile = f.isFile() ? ConfigFactory.parseFile(f) : ConfigFactory.parseResources(file);
                if (fromFile.isEmpty()) {
                    throw new UsageException("config file not found (neither a file nor a classpath resource): " + file);
                }
            }
            // A dev card means a single development node: let it create its keyspaces and tables too.
            Config dev = overrides.containsKey("microcert.card.dev-directory")
                    ? ConfigFactory.parseResources("persistence-dev.conf") : ConfigFactory.empty();
            return layered(ConfigFactory.parseMap(overrides, "flags and environment").withFallback(fromFile).withFallback(dev));
        } catch (ConfigException.UnresolvedSubstitution e) { // a Parse too, but it quotes only the ${path}
            throw new UsageException("bad configuration: " + e.getMessage());
        } catch (ConfigException.Parse e) {
            // The parser's message can quote the text it tripped on, and a config file may hold a
            // driver or TLS password despite the advice: name the file and line only.
            throw new UsageException("bad configuration: " + (e.origin() == null ? "a config file"
                    : e.origin().description()) + ": not valid HOCON (the text is not repeated here)");
        } catch (ConfigException e) {
            // Names the file, line and setting; other config errors do not quote values.
            throw new UsageException("bad configuration: " + e.getMessage());
        }
    }

    /**
     * {@code overrides} above application.conf and the libraries' defaults, with system properties on
     * top, resolved only once everything is stacked (so a substitution such as the audit table's
     * autocreate, which follows the journal's, sees an overridden value).
     */
    public static Config layered(Config overrides) {
        Config c = ConfigFactory.defaultOverrides().withFallback(overrides).withFallback(ConfigFactory.defaultApplication())
                .withFallback(ConfigFactory.defaultReference()).resolve();
        // One switch for node-to-node TLS: Artery's transport follows it (cluster.conf, microcert.cluster-tls).
        Config transport = c.getBoolean("microcert.cluster-tls.enabled")
                ? c.withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp")) : c;
        // A Cassandra user or truststore names MicroCert's driver classes unless the config chose others.
        // Fencing: sharding's shards hold a lease (microcert.fencing, docs/cluster.md "Fencing").
        return org.microcert.cluster.lease.FencingSettings.apply(CassandraAccess.completeDriverConfig(transport));
    }

    /** The usage text for {@code --help}. */
    public static String usage() {
        StringBuilder b = new StringBuilder("""
                Usage: ops/bin/node [options]     (every option also as an environment variable)
                  --config FILE          HOCON file or classpath resource (e.g. local1.conf)   MICROCERT_CONFIG
                """);
        for (Option o : OPTIONS) {
            b.append(String.format(java.util.Locale.ROOT, "  %-22s %-52s %s%n", o.flag + " V", o.help, o.env));
        }
        b.append("""
                Secrets never as flags: MICROCERT_CARD_PASSWORD or --card-password-file for the card,
                the variable --pin-env names (default MICROCERT_CARD_PIN) for a PKCS#11 card's PIN,
                MICROCERT_TLS_PASSWORD or --tls-password-file for the TLS keystore,
                MICROCERT_CLUSTER_TLS_PASSWORD or --cluster-tls-password-file for the cluster keystore,
                MICROCERT_CASSANDRA_PASSWORD or --cassandra-password-file for the Cassandra user, and
                MICROCERT_CASSANDRA_TRUSTSTORE_PASSWORD / MICROCERT_CASSANDRA_KEYSTORE_PASSWORD (or the
                *-password-file flags) for PKCS#12 Cassandra TLS stores.
                """);
        return b.toString();
    }

    private static Map<String, String> parseFlags(String[] args) {
        Map<String, String> flags = new LinkedHashMap<>();
        List<String> known = new ArrayList<>(OPTIONS.stream().map(Option::flag).toList());
        known.add("--config");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (!known.contains(a)) {
                throw new UsageException("unknown option " + a + " (known: " + String.join(" ", known) + ")");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("option " + a + " needs a value");
                }
                value = args[++i];
            }
            flags.put(a, value);
        }
        return flags;
    }

    private static Object port(String s) {
        try {
            int p = Integer.parseInt(s);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through to the usage error
        }
        throw new UsageException("not a port number: " + s);
    }

    private static Object keyVersion(String s) {
        try {
            int v = Integer.parseInt(s);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the usage error
        }
        throw new UsageException("not a key version (0 for the highest held, else 1, 2, ...): " + s);
    }

    private static List<String> hostPorts(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            String hp = part.trim();
            int colon = hp.lastIndexOf(':');
            if (colon <= 0) {
                throw new UsageException("expected host:port, got '" + hp + "'");
            }
            port(hp.substring(colon + 1));
            out.add(hp);
        }
        return out;
    }

    private static Object seedNodes(String s) {
        return ConfigValueFactory.fromIterable(
                hostPorts(s).stream().map(hp -> "pekko://" + NodeLauncher.SYSTEM_NAME + "@" + hp).toList()).unwrapped();
    }

    private static Object names(String s) {
        return ConfigValueFactory.fromIterable(java.util.Arrays.stream(s.split(",")).map(String::trim)
                .filter(n -> !n.isEmpty()).toList()).unwrapped();
    }

    private static Object contactPoints(String s) {
        return ConfigValueFactory.fromIterable(hostPorts(s)).unwrapped();
    }
}
