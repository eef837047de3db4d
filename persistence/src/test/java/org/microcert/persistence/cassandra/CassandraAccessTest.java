package org.microcert.persistence.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.persistence.schema.SchemaTool;

/** The access options' usage errors and their driver settings; no Cassandra needed (CassandraAccessCassandraTest has one). */
class CassandraAccessTest {

    @TempDir
    Path dir;

    @Test
    void aUserNeedsAPasswordFileOrVariableAndAPasswordFileNeedsAUser() throws Exception {
        IllegalArgumentException noPassword = assertThrows(IllegalArgumentException.class,
                () -> CassandraAccess.fromOptions(Map.of("--cassandra-user", "microcert"), name -> null));
        assertEquals("no password for Cassandra user microcert: set MICROCERT_CASSANDRA_PASSWORD or --cassandra-password-file",
                noPassword.getMessage());
        Path pw = Files.writeString(dir.resolve("pw"), "s3cret-never-shown\n");
        IllegalArgumentException noUser = assertThrows(IllegalArgumentException.class,
                () -> CassandraAccess.fromOptions(Map.of("--cassandra-password-file", pw.toString()), name -> null));
        assertEquals("--cassandra-password-file without --cassandra-user (MICROCERT_CASSANDRA_USER)", noUser.getMessage());
        // the user may come from the environment, the password from its variable
        CassandraAccess fromEnv = CassandraAccess.fromOptions(Map.of(),
                Map.of("MICROCERT_CASSANDRA_USER", "ops", "MICROCERT_CASSANDRA_PASSWORD", "x")::get);
        assertEquals("ops", fromEnv.username());
    }

    @Test
    void aMissingTruststoreIsAUsageErrorNamingTheFlag() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CassandraAccess.fromOptions(
                Map.of("--cassandra-truststore", dir.resolve("nope.crt").toString()), name -> null));
        assertEquals("--cassandra-truststore " + dir.resolve("nope.crt") + ": no such readable file", e.getMessage());
    }

    @Test
    void theDriverSettingsNameMicroCertsClassesAndHoldNoPassword() throws Exception {
        Path pw = Files.writeString(dir.resolve("pw"), "s3cret-never-shown\n");
        Path ca = Files.writeString(dir.resolve("ca.crt"), "not read here");
        CassandraAccess access = CassandraAccess.fromOptions(Map.of("--cassandra-user", "microcert",
                "--cassandra-password-file", pw.toString(), "--cassandra-truststore", ca.toString(),
                "--cassandra-no-hostname-validation", "true"), name -> null);
        Map<String, Object> s = access.driverSettings();
        assertEquals(CassandraPasswordAuthProvider.class.getName(), s.get("advanced.auth-provider.class"));
        assertEquals("microcert", s.get("advanced.auth-provider.username"));
        assertEquals(pw.toString(), s.get("advanced.auth-provider.password-file"));
        assertEquals(CassandraSslEngineFactory.class.getName(), s.get("advanced.ssl-engine-factory.class"));
        assertEquals(false, s.get("advanced.ssl-engine-factory.hostname-validation"));
        assertFalse(access.driverConfig().root().render().contains("s3cret"));
        assertTrue(CassandraAccess.NONE.driverSettings().isEmpty());
    }

    @Test
    void aUserNameInAConfigFileAloneTurnsTheAuthProviderOn() {
        var completed = CassandraAccess.completeDriverConfig(ConfigFactory.parseString(
                "datastax-java-driver.advanced.auth-provider.username = microcert"));
        assertEquals(CassandraPasswordAuthProvider.class.getName(),
                completed.getString("datastax-java-driver.advanced.auth-provider.class"));
        var chosen = CassandraAccess.completeDriverConfig(ConfigFactory.parseString("""
                datastax-java-driver.advanced.auth-provider { username = u, class = PlainTextAuthProvider }
                """));
        assertEquals("PlainTextAuthProvider", chosen.getString("datastax-java-driver.advanced.auth-provider.class"));
    }

    /** The node's start-up check: a password file without a user is refused at once; an unreachable Cassandra only warns. */
    @Test
    void theStartUpCheckRefusesAPasswordFileWithoutAUserAndOnlyReportsAnUnreachableCassandra() {
        CassandraAccessException e = assertThrows(CassandraAccessException.class, () -> CassandraAccess.check(
                ConfigFactory.parseString("datastax-java-driver.advanced.auth-provider.password-file = \"/nowhere\"")
                        .withFallback(ConfigFactory.defaultReference())));
        assertEquals("--cassandra-password-file without --cassandra-user (MICROCERT_CASSANDRA_USER)", e.getMessage());
        var unreachable = ConfigFactory.parseString("""
                datastax-java-driver.basic.contact-points = ["127.0.0.1:1"]
                datastax-java-driver.basic.load-balancing-policy.local-datacenter = dc1
                """).withFallback(ConfigFactory.defaultReference());
        assertTrue(CassandraAccess.check(unreachable).isPresent(), "a warning, not a refusal");
    }

    @Test
    void theSchemaToolRefusesAUserWithoutPasswordAndHasNoPasswordFlag() {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int noPassword;
        int passwordFlag;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            noPassword = SchemaTool.run(new String[] {"--contact-point", "127.0.0.1:1", "--cassandra-user", "microcert"});
            passwordFlag = SchemaTool.run(new String[] {"--cassandra-password", "hunter2"});
        } finally {
            System.setErr(saved);
        }
        String out = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, noPassword, out);
        assertEquals(2, passwordFlag, out);
        assertTrue(out.startsWith("schema: no password for Cassandra user microcert: set MICROCERT_CASSANDRA_PASSWORD"), out);
        assertTrue(out.contains("schema: unknown option --cassandra-password\n"), out);
    }
}
