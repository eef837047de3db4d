package org.microcert.cluster.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.NodeProcess;
import org.microcert.cluster.Poll;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.cluster.tls.ClusterCertificates;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.CassandraServer;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.audit.AuditTool;
import org.microcert.persistence.backup.BackupTool;
import org.microcert.persistence.cassandra.CassandraAccess;
import org.microcert.persistence.cassandra.CassandraAccessException;
import org.microcert.persistence.schema.CassandraTarget;
import org.microcert.persistence.schema.SchemaTool;
import org.microcert.protocol.SensorChip;

/**
 * MicroCert against a real Cassandra with {@code PasswordAuthenticator}, {@code CassandraAuthorizer}
 * and client TLS that requires client certificates (one Cassandra for every test here, started with
 * certificates made in the test): the schema tool as the superuser, a node and the backup tool as a
 * role with only the grants docs/security.md lists, and the one-line refusals of a wrong password,
 * missing credentials and a Cassandra certificate of another CA.
 */
class CassandraAccessCassandraTest {

    static final String TOKEN = "access-operator-token-0123456789";
    static final String STORE_PASSWORD = "throw-away test store password";
    static final String NODE_PASSWORD = "node role password 5c1e";
    static final String WRONG_PASSWORD = "wrong password 93f7";
    static final List<String> KEYSPACES = List.of("--journal-keyspace", "access_journal", "--snapshot-keyspace", "access_snapshot");

    @TempDir
    static Path dir;
    static CassandraExtension.Shared secured;
    static TestCassandra cassandra;
    static Path caPem;
    static Path otherCaPem;
    static Path clientKeystore;
    static Path storePasswordFile;
    static Path superuserPassword;
    static Path nodePassword;
    static Path wrongPassword;

    @BeforeAll
    static void startSecuredCassandraAndCreateTheNodeRole() throws Exception {
        ClusterCertificates.Authority ca = ClusterCertificates.newAuthority("cassandra-test-ca", Duration.ofDays(1));
        caPem = dir.resolve("cassandra-ca.crt");
        ClusterCertificates.writePem(caPem, List.of(ca.certificate()));
        otherCaPem = dir.resolve("other-ca.crt");
        ClusterCertificates.writePem(otherCaPem,
                List.of(ClusterCertificates.newAuthority("other-ca", Duration.ofDays(1)).certificate()));
        char[] store = STORE_PASSWORD.toCharArray();
        Path serverKeystore = dir.resolve("cassandra-server.p12");
        ca.issue("cassandra", List.of("127.0.0.1"), ClusterCertificates.Purpose.NODE, Duration.ofDays(1))
                .writePkcs12(serverKeystore, store);
        clientKeystore = dir.resolve("microcert-client.p12");
        ca.issue("microcert-node", List.of(), ClusterCertificates.Purpose.NODE, Duration.ofDays(1))
                .writePkcs12(clientKeystore, store);
        Path serverTruststore = dir.resolve("cassandra-trust.p12");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        try (var out = Files.newOutputStream(serverTruststore)) {
            trust.store(out, store);
        }
        storePasswordFile = Files.writeString(dir.resolve("store.pw"), STORE_PASSWORD + "\n");
        superuserPassword = Files.writeString(dir.resolve("superuser.pw"), "cassandra\n");
        nodePassword = Files.writeString(dir.resolve("node.pw"), NODE_PASSWORD + "\n");
        wrongPassword = Files.writeString(dir.resolve("wrong.pw"), WRONG_PASSWORD + "\n");

        secured = CassandraExtension.startSecured(Path.of("target/cassandra-secured-" + ProcessHandle.current().pid()),
                new CassandraServer.ClientSecurity(true, serverKeystore, STORE_PASSWORD, serverTruststore, STORE_PASSWORD));
        cassandra = secured.cassandra();

        // Cassandra sets up its default superuser a moment after CQL answers: until then it refuses it
        CassandraTarget admin = target(access("cassandra", superuserPassword, caPem));
        Poll.until(Duration.ofSeconds(90), "the default superuser cassandra/cassandra", refusedUntilAccepted(admin));

        Result schema = run(() -> SchemaTool.run(join(args(access("cassandra", superuserPassword, caPem)), KEYSPACES)));
        assertEquals(0, schema.status(), schema.err());
        assertTrue(schema.out().contains("schema applied: keyspaces access_journal and access_snapshot"), schema.out());
        try (CqlSession session = admin.openSession()) {
            // the role and grants of docs/security.md ("Cassandra authentication and TLS")
            session.execute("CREATE ROLE microcert WITH PASSWORD = '" + NODE_PASSWORD + "' AND LOGIN = true");
        }
        grantNodeRole("access_journal", "access_snapshot");
    }

    @AfterAll
    static void stopSecuredCassandra() {
        if (secured != null) {
            secured.close();
        }
    }

    /**
     * A node given the role's name, password file, the CA file and a client keystore on the command
     * line passes the start-up check, provisions and authenticates a sensor; then the backup tool,
     * with the same credentials, backs the journal up (it audits it against the node's card first).
     */
    @Test
    void aNodeAndTheBackupToolWorkAsTheNodeRoleOverMutualTls() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), BearerTokens.sha256Hex(TOKEN) + " operator olga\n");
        Path conf = Files.writeString(dir.resolve("node.conf"), """
                pekko.persistence.cassandra.journal.keyspace = access_journal
                pekko.persistence.cassandra.snapshot.keyspace = access_snapshot
                datastax-java-driver.basic.request.timeout = 30s
                microcert.http.tokens-file = "%s"
                microcert.http.ask-timeout = 40s
                microcert.http.journal-probe.interval = 200ms
                pekko.cluster.seed-nodes = []
                pekko.coordinated-shutdown.exit-jvm = off
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                """.formatted(tokens));
        Config config = NodeConfig.load(new String[] {"--config", conf.toString(), "--remote-port", "0", "--http-port", "0",
            "--http-interface", "127.0.0.1",
            "--cassandra", cassandra.contactPointString(), "--cassandra-user", "microcert",
            "--cassandra-password-file", nodePassword.toString(), "--cassandra-truststore", caPem.toString(),
            "--cassandra-keystore", clientKeystore.toString(), "--cassandra-keystore-password-file", storePasswordFile.toString()},
                Map.of());
        assertTrue(CassandraAccess.check(config).isEmpty(), "the start-up check connects");

        TestFleet fleet = new TestFleet(dir.resolve("fleet"));
        SensorChip chip = TestFleet.chip(0xACCE5501L, Instant.now());
        TestNode.Client client = new TestNode.Client();
        try (TestNode node = new TestNode("AccessNode", config, fleet.openCard("access"))) {
            Poll.until(Duration.ofSeconds(60), "the node is ready",
                    () -> client.get(node.url("/health/ready"), null).statusCode() == 200);
            HttpResponse<String> provisioned = client.postJson(node.url("/v1/sensors"),
                    "{\"envelope\":\"" + Base64.getEncoder().encodeToString(fleet.transportEnvelope(chip)) + "\"}", TOKEN);
            assertEquals(201, provisioned.statusCode(), provisioned.body());
            HttpResponse<String> authenticated = client.send("POST", node.url("/v1/authenticate"),
                    "application/octet-stream", chip.authenticate(Instant.now()).encode(), null);
            assertEquals(200, authenticated.statusCode(), authenticated.body());
        }

        // the other tools as the same role: audit, backup, and restore into new keyspaces (through the journal plugin)
        Map<String, String> env = Map.of("CARD_PW", new String(TestFleet.PASSWORD));
        List<String> card = List.of("--card-keystore", fleet.keystore().toString(), "--card-password-env", "CARD_PW");
        String nodeState = dir.resolve("fleet").resolve("access.state").toString();
        Result audit = run(() -> AuditTool.run(join(card, List.of("--card-state", nodeState),
                args(access("microcert", nodePassword, caPem)), KEYSPACES), env::get));
        assertEquals(0, audit.status(), audit.out() + audit.err());
        Path backup = dir.resolve("fleet.backup");
        Result backedUp = withToolClassPathConfig(() -> BackupTool.run(join(List.of("backup", "--file", backup.toString()), card,
                List.of("--card-state", nodeState), args(access("microcert", nodePassword, caPem)), KEYSPACES), env::get));
        assertEquals(0, backedUp.status(), backedUp.err());
        assertTrue(backedUp.out().contains("backup written: " + backup + ", 1 sensors"), backedUp.out());

        List<String> superuser = args(access("cassandra", superuserPassword, caPem));
        Result schema = run(() -> SchemaTool.run(join(superuser, List.of("--journal-keyspace", "restored_journal",
                "--snapshot-keyspace", "restored_snapshot"))));
        assertEquals(0, schema.status(), schema.err());
        grantNodeRole("restored_journal", "restored_snapshot");
        Result restored = withToolClassPathConfig(() -> BackupTool.run(join(List.of("restore", "--file", backup.toString()), card,
                List.of("--card-state", dir.resolve("restored.state").toString()),
                args(access("microcert", nodePassword, caPem)),
                List.of("--journal-keyspace", "restored_journal", "--snapshot-keyspace", "restored_snapshot")), env::get));
        assertEquals(0, restored.status(), restored.err());
        // (the output also holds this class path's log lines)
        assertTrue(restored.out().lines().anyMatch(l -> l.startsWith("restored 1 sensors from " + backup)), restored.out());
    }

    /** Runs a persistence tool as its own class path would: the cluster's application.conf here would bind Artery's 2551. */
    static Result withToolClassPathConfig(Callable<Integer> tool) {
        System.setProperty("pekko.remote.artery.canonical.port", "0");
        ConfigFactory.invalidateCaches();
        try {
            return run(tool);
        } finally {
            System.clearProperty("pekko.remote.artery.canonical.port");
            ConfigFactory.invalidateCaches();
        }
    }

    @SafeVarargs
    static String[] join(List<String>... parts) {
        return java.util.Arrays.stream(parts).flatMap(List::stream).toArray(String[]::new);
    }

    static void grantNodeRole(String... keyspaces) {
        try (CqlSession session = target(access("cassandra", superuserPassword, caPem)).openSession()) {
            for (String keyspace : keyspaces) {
                session.execute("GRANT SELECT ON KEYSPACE " + keyspace + " TO microcert");
                session.execute("GRANT MODIFY ON KEYSPACE " + keyspace + " TO microcert");
            }
        }
    }

    /**
     * A node process with a wrong password (here from MICROCERT_CASSANDRA_PASSWORD) exits with the
     * setup status and one line naming the user, not the password.
     */
    @Test
    void aWrongPasswordStopsANodeProcessInOneLineWithoutThePassword() throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("process-fleet"));
        Path cardPassword = Files.writeString(dir.resolve("process-card.pw"), new String(TestFleet.PASSWORD) + "\n");
        int remote = NodeProcess.freePort();
        // the settings through the environment, the Cassandra access through the config file, where
        // the user name alone names the auth provider class
        Map<String, String> env = Map.of("MICROCERT_REMOTE_PORT", Integer.toString(remote),
                "MICROCERT_SEED_NODES", "127.0.0.1:" + remote, "MICROCERT_HTTP_INTERFACE", "127.0.0.1",
                "MICROCERT_HTTP_PORT", Integer.toString(NodeProcess.freePort()),
                "MICROCERT_CARD_KEYSTORE", fleet.keystore().toString(), "MICROCERT_CARD_PASSWORD_FILE", cardPassword.toString(),
                "MICROCERT_CASSANDRA", cassandra.contactPointString(), "MICROCERT_CASSANDRA_PASSWORD", WRONG_PASSWORD);
        String config = """
                microcert.card.state-file = "%s"
                pekko.persistence.cassandra.journal.keyspace = access_journal
                pekko.persistence.cassandra.snapshot.keyspace = access_snapshot
                datastax-java-driver.advanced.auth-provider.username = microcert
                datastax-java-driver.advanced.ssl-engine-factory.truststore-path = "%s"
                datastax-java-driver.advanced.ssl-engine-factory.keystore-path = "%s"
                datastax-java-driver.advanced.ssl-engine-factory.keystore-password-file = "%s"
                """.formatted(dir.resolve("process.state"), caPem, clientKeystore, storePasswordFile);
        try (NodeProcess node = NodeProcess.start("wrong-password", dir, config, 0, env)) {
            assertEquals(NodeLauncher.EXIT_SETUP, node.awaitExit(Duration.ofSeconds(90)), node.logTail());
            String log = node.log();
            assertTrue(log.contains("microcert node: cannot start: Cassandra refused the credentials for user microcert\n"),
                    node.logTail());
            assertFalse(log.contains(WRONG_PASSWORD) || log.contains(NODE_PASSWORD) || log.contains(STORE_PASSWORD), log);
            assertFalse(log.contains("\tat ") || log.contains("Exception in thread"), node.logTail());
        }
    }

    @Test
    void theSchemaToolWithAWrongPasswordExitsTwoNamingTheUserNotThePassword() {
        Result r = run(() -> SchemaTool.run(join(args(access("microcert", wrongPassword, caPem)), KEYSPACES)));
        assertEquals(2, r.status(), r.err());
        assertEquals("schema: Cassandra refused the credentials for user microcert\n", r.err());
        assertFalse(r.err().contains(WRONG_PASSWORD));
    }

    @Test
    void noCredentialsAtAllSaysWhichFlagAndVariableToSet() {
        CassandraAccess tlsOnly = new CassandraAccess("", "", caPem.toString(), "", clientKeystore.toString(),
                storePasswordFile.toString(), true);
        CassandraAccessException e = assertThrows(CassandraAccessException.class, () -> target(tlsOnly).openSession().close());
        assertTrue(e.getMessage().startsWith("Cassandra at "), e.getMessage());
        assertTrue(e.getMessage().endsWith(" requires authentication: set --cassandra-user (MICROCERT_CASSANDRA_USER) and"
                + " the password in MICROCERT_CASSANDRA_PASSWORD or --cassandra-password-file"), e.getMessage());
    }

    @Test
    void aCassandraCertificateOfAnotherCaFailsTheHandshakeNamingTheTruststore() {
        Result r = run(() -> SchemaTool.run(join(args(access("microcert", nodePassword, otherCaPem)), KEYSPACES)));
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().startsWith("schema: TLS handshake with Cassandra failed ("), r.err());
        assertTrue(r.err().contains("check that the truststore " + otherCaPem + " holds the CA of Cassandra's certificate"),
                r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void withoutAClientCertificateCassandraRefusesTheHandshake() {
        CassandraAccess noClientCertificate = new CassandraAccess("microcert", nodePassword.toString(), caPem.toString(),
                "", "", "", true);
        CassandraAccessException e = assertThrows(CassandraAccessException.class,
                () -> target(noClientCertificate).openSession().close());
        assertTrue(e.getMessage().startsWith("TLS handshake with Cassandra failed"), e.getMessage());
        assertTrue(e.getMessage().endsWith("if Cassandra requires client certificates, set --cassandra-keystore"), e.getMessage());
    }

    /** The node's start-up check, with a user but neither a password file nor MICROCERT_CASSANDRA_PASSWORD. */
    @Test
    void aNodeUserWithoutAPasswordIsToldWhereToPutIt() {
        Config config = NodeConfig.load(new String[] {"--cassandra", cassandra.contactPointString(),
            "--cassandra-user", "microcert", "--cassandra-truststore", caPem.toString(),
            "--cassandra-keystore", clientKeystore.toString(), "--cassandra-keystore-password-file", storePasswordFile.toString()},
                Map.of());
        CassandraAccessException e = assertThrows(CassandraAccessException.class, () -> NodeLauncher.checkCassandraAccess(config));
        assertEquals("no password for Cassandra user microcert: set MICROCERT_CASSANDRA_PASSWORD or --cassandra-password-file",
                e.getMessage());
    }

    @Test
    void aClientWithoutTlsIsToldToSetATruststore() {
        CassandraAccess plain = new CassandraAccess("microcert", nodePassword.toString(), "", "", "", "", true);
        CassandraAccessException e = assertThrows(CassandraAccessException.class, () -> target(plain).openSession().close());
        assertEquals("Cassandra closed the connection at the first request: if it requires TLS (client_encryption_options),"
                + " set --cassandra-truststore", e.getMessage());
    }

    /** The certificate names 127.0.0.1 only: reached as "localhost" it fails hostname validation unless that is turned off. */
    @Test
    void hostnameValidationIsOnUnlessTurnedOff() throws Exception {
        CassandraAccess validating = access("microcert", nodePassword, caPem);
        CassandraTarget byName = new CassandraTarget("localhost", cassandra.port(), TestCassandra.LOCAL_DATACENTER,
                "access_journal", "access_snapshot", validating);
        CassandraAccessException e = assertThrows(CassandraAccessException.class, () -> byName.openSession().close());
        assertTrue(e.getMessage().startsWith("TLS handshake with Cassandra failed"), e.getMessage());
        CassandraTarget lenient = new CassandraTarget("localhost", cassandra.port(), TestCassandra.LOCAL_DATACENTER,
                "access_journal", "access_snapshot", new CassandraAccess(validating.username(), validating.passwordFile(),
                validating.truststore(), "", validating.keystore(), validating.keystorePasswordFile(), false));
        try (CqlSession session = lenient.openSession()) {
            assertEquals(1, session.execute("SELECT count(*) FROM access_journal.messages LIMIT 1").all().size());
        }
    }

    static CassandraAccess access(String user, Path password, Path trust) {
        return new CassandraAccess(user, password.toString(), trust.toString(), "", clientKeystore.toString(),
                storePasswordFile.toString(), true);
    }

    static CassandraTarget target(CassandraAccess access) {
        return new CassandraTarget(cassandra.host(), cassandra.port(), TestCassandra.LOCAL_DATACENTER, "access_journal",
                "access_snapshot", access);
    }

    /** The tools' flags for {@code access} and this Cassandra (the keyspaces: the defaults below, or given after). */
    static List<String> args(CassandraAccess a) {
        return List.of("--contact-point", cassandra.contactPointString(), "--cassandra-user", a.username(),
                "--cassandra-password-file", a.passwordFile(), "--cassandra-truststore", a.truststore(),
                "--cassandra-keystore", a.keystore(), "--cassandra-keystore-password-file", a.keystorePasswordFile());
    }

    static Callable<Boolean> refusedUntilAccepted(CassandraTarget admin) {
        return () -> {
            try (CqlSession session = admin.openSession()) {
                return true;
            } catch (CassandraAccessException e) {
                if (!e.getMessage().startsWith("Cassandra refused the credentials")) {
                    throw e;
                }
                return false;
            }
        };
    }

    record Result(int status, String out, String err) {
    }

    /** Runs a tool with its standard output and error captured. */
    static synchronized Result run(Callable<Integer> tool) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, UTF_8));
            System.setErr(new PrintStream(e, true, UTF_8));
            int status = tool.call();
            return new Result(status, o.toString(UTF_8), e.toString(UTF_8));
        } catch (Exception ex) {
            throw new AssertionError(ex);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
