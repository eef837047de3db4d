package org.microcert.persistence.cassandra;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.datastax.oss.driver.api.core.connection.ClosedConnectionException;
import com.datastax.oss.driver.api.core.connection.ConnectionInitException;
import com.datastax.oss.driver.api.core.config.DriverOption;
import com.datastax.oss.driver.api.core.config.ProgrammaticDriverConfigLoaderBuilder;
import com.datastax.oss.driver.internal.core.config.typesafe.DefaultDriverConfigLoader;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import org.microcert.protocol.Secret;

/**
 * How a MicroCert client (node or tool) proves itself to Cassandra and checks Cassandra: a
 * {@code PasswordAuthenticator} role (user name; password from a file or an environment variable,
 * never a flag or a config value) and client TLS (CAs to trust as a PEM file or PKCS#12 truststore,
 * hostname validation on unless turned off, an optional PKCS#12 client keystore for mutual TLS).
 * Rendered as {@code datastax-java-driver} settings naming {@link CassandraPasswordAuthProvider} and
 * {@link CassandraSslEngineFactory}, so the node's sessions, the journal plugin's and the tools' all
 * read them the same way.
 *
 * <p>Empty strings mean "not set".
 */
public record CassandraAccess(String username, String passwordFile, String truststore, String truststorePasswordFile,
                              String keystore, String keystorePasswordFile, boolean hostnameValidation) {

    public static final String USER_FLAG = "--cassandra-user";
    public static final String USER_ENV = "MICROCERT_CASSANDRA_USER";
    public static final String PASSWORD_FLAG = "--cassandra-password-file";
    public static final String PASSWORD_ENV = "MICROCERT_CASSANDRA_PASSWORD";
    public static final String TRUSTSTORE_FLAG = "--cassandra-truststore";
    public static final String TRUSTSTORE_PASSWORD_FLAG = "--cassandra-truststore-password-file";
    public static final String TRUSTSTORE_PASSWORD_ENV = "MICROCERT_CASSANDRA_TRUSTSTORE_PASSWORD";
    public static final String KEYSTORE_FLAG = "--cassandra-keystore";
    public static final String KEYSTORE_PASSWORD_FLAG = "--cassandra-keystore-password-file";
    public static final String KEYSTORE_PASSWORD_ENV = "MICROCERT_CASSANDRA_KEYSTORE_PASSWORD";
    public static final String NO_HOSTNAME_VALIDATION_FLAG = "--cassandra-no-hostname-validation";

    /** The tools' options with a value, and their value-less flag. */
    public static final Set<String> OPTIONS = Set.of(USER_FLAG, PASSWORD_FLAG, TRUSTSTORE_FLAG, TRUSTSTORE_PASSWORD_FLAG,
            KEYSTORE_FLAG, KEYSTORE_PASSWORD_FLAG);
    public static final Set<String> FLAGS = Set.of(NO_HOSTNAME_VALIDATION_FLAG);

    /** The tools' usage lines for these options. */
    public static final String USAGE = """
              --cassandra-user NAME       Cassandra role (PasswordAuthenticator); also MICROCERT_CASSANDRA_USER
              --cassandra-password-file F its password (else MICROCERT_CASSANDRA_PASSWORD; never a flag)
              --cassandra-truststore F    client TLS: PEM file of Cassandra's CA(s), or a PKCS#12 truststore
                                          (its password: --cassandra-truststore-password-file F or
                                          MICROCERT_CASSANDRA_TRUSTSTORE_PASSWORD)
              --cassandra-keystore F      PKCS#12 client keystore for mutual TLS (its password:
                                          --cassandra-keystore-password-file F or MICROCERT_CASSANDRA_KEYSTORE_PASSWORD)
              --cassandra-no-hostname-validation   accept a server certificate not naming the contact point
            """.stripTrailing();

    static final String AUTH = "advanced.auth-provider.";
    static final String SSL = "advanced.ssl-engine-factory.";
    static final DriverOption PASSWORD_FILE = () -> AUTH + "password-file";
    static final DriverOption PASSWORD_ENV_OPTION = () -> AUTH + "password-env";
    static final DriverOption TRUSTSTORE_PASSWORD_FILE = () -> SSL + "truststore-password-file";
    static final DriverOption KEYSTORE_PASSWORD_FILE = () -> SSL + "keystore-password-file";

    public static final CassandraAccess NONE = new CassandraAccess("", "", "", "", "", "", true);

    public CassandraAccess {
        if (username.isBlank() && !passwordFile.isBlank()) {
            throw new IllegalArgumentException(PASSWORD_FLAG + " without " + USER_FLAG + " (" + USER_ENV + ")");
        }
    }

    /**
     * From the tools' options; the user name may also come from {@code MICROCERT_CASSANDRA_USER} in
     * {@code environment}. Named files must be readable and a named user needs a password source.
     *
     * @throws IllegalArgumentException naming the option at fault (a usage error)
     */
    public static CassandraAccess fromOptions(Map<String, String> options, Function<String, String> environment) {
        String user = options.getOrDefault(USER_FLAG, Optional.ofNullable(environment.apply(USER_ENV)).orElse("")).strip();
        CassandraAccess access = new CassandraAccess(user, options.getOrDefault(PASSWORD_FLAG, ""),
                options.getOrDefault(TRUSTSTORE_FLAG, ""), options.getOrDefault(TRUSTSTORE_PASSWORD_FLAG, ""),
                options.getOrDefault(KEYSTORE_FLAG, ""), options.getOrDefault(KEYSTORE_PASSWORD_FLAG, ""),
                !options.containsKey(NO_HOSTNAME_VALIDATION_FLAG));
        requireReadable(access.passwordFile, PASSWORD_FLAG);
        requireReadable(access.truststore, TRUSTSTORE_FLAG);
        requireReadable(access.truststorePasswordFile, TRUSTSTORE_PASSWORD_FLAG);
        requireReadable(access.keystore, KEYSTORE_FLAG);
        requireReadable(access.keystorePasswordFile, KEYSTORE_PASSWORD_FLAG);
        String env = environment.apply(PASSWORD_ENV);
        if (!user.isEmpty() && access.passwordFile.isEmpty() && (env == null || env.isEmpty())) {
            throw new IllegalArgumentException("no password for Cassandra user " + user + ": set " + PASSWORD_ENV
                    + " or " + PASSWORD_FLAG);
        }
        return access;
    }

    /** What the {@code datastax-java-driver} section of {@code driver} sets (the node's configuration). */
    public static CassandraAccess fromDriverConfig(Config driver) {
        Function<String, String> get = path -> driver.hasPath(path) ? driver.getString(path) : "";
        return new CassandraAccess(get.apply(AUTH + "username"), get.apply(AUTH + "password-file"),
                get.apply(SSL + "truststore-path"), get.apply(SSL + "truststore-password-file"),
                get.apply(SSL + "keystore-path"), get.apply(SSL + "keystore-password-file"),
                !driver.hasPath(SSL + "hostname-validation") || driver.getBoolean(SSL + "hostname-validation"));
    }

    /**
     * {@code root} with the auth provider and SSL engine factory classes named wherever its
     * {@code datastax-java-driver} section sets a user name or a truststore/keystore but no class
     * (so {@code advanced.auth-provider.username} alone in a config file turns authentication on).
     */
    public static Config completeDriverConfig(Config root) {
        String driver = "datastax-java-driver.";
        Config out = root;
        if (root.hasPath(driver + AUTH + "username") && !root.hasPath(driver + AUTH + "class")) {
            out = out.withValue(driver + AUTH + "class", ConfigValueFactory.fromAnyRef(CassandraPasswordAuthProvider.class.getName()));
        }
        if ((root.hasPath(driver + SSL + "truststore-path") || root.hasPath(driver + SSL + "keystore-path"))
                && !root.hasPath(driver + SSL + "class")) {
            out = out.withValue(driver + SSL + "class", ConfigValueFactory.fromAnyRef(CassandraSslEngineFactory.class.getName()));
        }
        return out;
    }

    public boolean tls() {
        return !truststore.isEmpty() || !keystore.isEmpty();
    }

    /** The driver settings (paths below {@code datastax-java-driver}) that turn this on; empty for {@link #NONE}. */
    public Map<String, Object> driverSettings() {
        Map<String, Object> s = new LinkedHashMap<>();
        if (!username.isEmpty()) {
            s.put(AUTH + "class", CassandraPasswordAuthProvider.class.getName());
            s.put(AUTH + "username", username);
            putIfSet(s, AUTH + "password-file", passwordFile);
        }
        if (tls()) {
            s.put(SSL + "class", CassandraSslEngineFactory.class.getName());
            putIfSet(s, SSL + "truststore-path", truststore);
            putIfSet(s, SSL + "truststore-password-file", truststorePasswordFile);
            putIfSet(s, SSL + "keystore-path", keystore);
            putIfSet(s, SSL + "keystore-password-file", keystorePasswordFile);
            s.put(SSL + "hostname-validation", hostnameValidation);
        }
        return s;
    }

    /** {@link #driverSettings} as configuration with full paths, to put in front of a Pekko configuration. */
    public Config driverConfig() {
        Map<String, Object> full = new LinkedHashMap<>();
        driverSettings().forEach((k, v) -> full.put("datastax-java-driver." + k, v));
        return ConfigFactory.parseMap(full, "Cassandra access options");
    }

    /** {@link #driverSettings} on a programmatic driver configuration (the tools' own sessions). */
    public ProgrammaticDriverConfigLoaderBuilder applyTo(ProgrammaticDriverConfigLoaderBuilder builder) {
        driverSettings().forEach((path, value) -> {
            DriverOption option = () -> path;
            if (value instanceof Boolean b) {
                builder.withBoolean(option, b);
            } else {
                builder.withString(option, (String) value);
            }
        });
        return builder;
    }

    /**
     * Opens and closes one session with the {@code datastax-java-driver} settings of {@code root}
     * (no retry on init, no schema metadata): refused credentials, missing credentials and failed TLS
     * handshakes throw, as one line; anything else (Cassandra not up yet) is returned for a warning.
     *
     * @throws CassandraAccessException when Cassandra refused this client or the settings cannot be used
     */
    public static Optional<String> check(Config root) {
        Config driver = root.getConfig("datastax-java-driver")
                .withValue("advanced.reconnect-on-init", ConfigValueFactory.fromAnyRef(false))
                .withValue("advanced.metadata.schema.enabled", ConfigValueFactory.fromAnyRef(false))
                .withValue("advanced.metadata.token-map.enabled", ConfigValueFactory.fromAnyRef(false))
                .withValue("basic.session-name", ConfigValueFactory.fromAnyRef("access-check"));
        CassandraAccess access;
        try {
            access = fromDriverConfig(driver);
        } catch (IllegalArgumentException e) { // a password file without a user
            throw new CassandraAccessException(e.getMessage());
        }
        try (CqlSession session = CqlSession.builder().withConfigLoader(new DefaultDriverConfigLoader(() -> driver, false))
                .build()) {
            return Optional.empty();
        } catch (RuntimeException e) {
            Optional<String> refused = explain(e, access);
            if (refused.isPresent()) {
                throw new CassandraAccessException(refused.get());
            }
            return Optional.of(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    /**
     * One line for a failure to open a session that is about access (credentials, TLS), or empty
     * for anything else. Never holds a password: it is built from the user name and file names only.
     */
    public static Optional<String> explain(Throwable failure, CassandraAccess access) {
        List<Throwable> all = causes(failure);
        for (Throwable t : all) {
            if (t instanceof CassandraAccessException a) {
                return Optional.of(a.getMessage());
            }
        }
        for (Throwable t : all) {
            if (t instanceof AuthenticationException a) {
                return Optional.of(access.username.isEmpty()
                        ? "Cassandra at " + a.getEndPoint() + " requires authentication: set " + USER_FLAG + " (" + USER_ENV
                                + ") and the password in " + PASSWORD_ENV + " or " + PASSWORD_FLAG
                        : "Cassandra refused the credentials for user " + access.username);
            }
        }
        if (!access.tls() && all.stream().anyMatch(t -> t instanceof ConnectionInitException)
                && all.stream().anyMatch(t -> t instanceof ClosedConnectionException)) {
            // a TLS-only port drops the plain-text first request without an answer
            return Optional.of("Cassandra closed the connection at the first request: if it requires TLS"
                    + " (client_encryption_options), set " + TRUSTSTORE_FLAG);
        }
        for (Throwable t : all) {
            if (t instanceof SSLException s) {
                String trust = access.truststore.isEmpty() ? "the JDK's default CAs (no " + TRUSTSTORE_FLAG + ")"
                        : "the truststore " + access.truststore;
                String client = access.keystore.isEmpty()
                        ? "; if Cassandra requires client certificates, set " + KEYSTORE_FLAG
                        : "; Cassandra must trust the client certificate in " + access.keystore;
                String plain = String.valueOf(s.getMessage()).contains("Unsupported or unrecognized SSL message")
                        ? "; does Cassandra speak TLS on this port (client_encryption_options)?" : "";
                return Optional.of("TLS handshake with Cassandra failed (" + firstClause(s.getMessage()) + "): check that "
                        + trust + " holds the CA of Cassandra's certificate" + client + plain);
            }
        }
        return Optional.empty();
    }

    /** The password from {@code file} if named, else from the variable {@code env}; the caller wipes it. */
    static char[] password(String file, String env, Function<String, String> environment, String what, String fileFlag) {
        if (!file.isBlank()) {
            try (Secret secret = Secret.fromFileContent(Files.readAllBytes(Path.of(file)))) {
                return secret.chars();
            } catch (IOException e) {
                throw new CassandraAccessException("cannot read " + what + " from " + file + " (" + fileFlag + ")"
                        + (e instanceof NoSuchFileException ? ": no such file" : ""));
            }
        }
        try (Secret secret = Secret.fromEnvironment(environment, env).orElseThrow(() ->
                new CassandraAccessException("no " + what + ": set " + env + " or " + fileFlag))) {
            return secret.chars();
        }
    }

    private static void requireReadable(String file, String flag) {
        if (!file.isEmpty() && !Files.isReadable(Path.of(file))) {
            throw new IllegalArgumentException(flag + " " + file + ": no such readable file");
        }
    }

    private static void putIfSet(Map<String, Object> s, String path, String value) {
        if (!value.isEmpty()) {
            s.put(path, value);
        }
    }

    /** The failure, its causes and suppressed ones, and each node's errors of an AllNodesFailedException. */
    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> out = new ArrayList<>();
        Deque<Throwable> todo = new ArrayDeque<>(List.of(failure));
        while (!todo.isEmpty() && out.size() < 100) {
            Throwable t = todo.pop();
            if (out.stream().anyMatch(seen -> seen == t)) {
                continue;
            }
            out.add(t);
            if (t.getCause() != null) {
                todo.add(t.getCause());
            }
            todo.addAll(List.of(t.getSuppressed()));
            if (t instanceof AllNodesFailedException a) {
                a.getAllErrors().values().forEach(todo::addAll);
            }
        }
        return out;
    }

    /** The JDK's message up to where it starts quoting internal class names. */
    private static String firstClause(String message) {
        if (message == null) {
            return "no detail";
        }
        int internal = message.indexOf(": sun.");
        return (internal > 0 ? message.substring(0, internal) : message).strip();
    }
}
