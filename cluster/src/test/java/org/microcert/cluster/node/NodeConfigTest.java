package org.microcert.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's configuration layers: flags over environment over file over application.conf. */
class NodeConfigTest {

    @TempDir
    Path dir;

    @Test
    void flagsBeatEnvironmentWhichBeatsTheFileWhichBeatsTheDefaults() throws Exception {
        Path file = dir.resolve("node.conf");
        Files.writeString(file, "microcert.http.port = 7001\npekko.remote.artery.canonical.port = 7002\n"
                + "microcert.sensor.clock-skew = 30s\n");
        Config c = NodeConfig.load(new String[] {"--config", file.toString(), "--http-port", "7100"},
                Map.of("MICROCERT_HTTP_PORT", "7200", "MICROCERT_REMOTE_PORT", "7300",
                        "MICROCERT_SEED_NODES", "10.0.0.1:2551,10.0.0.2:2551", "MICROCERT_CASSANDRA", "db:9042"));
        assertEquals(7100, c.getInt("microcert.http.port"), "flag");
        assertEquals(7300, c.getInt("pekko.remote.artery.canonical.port"), "environment over file");
        assertEquals(30, c.getDuration("microcert.sensor.clock-skew").toSeconds(), "file over defaults");
        assertEquals(5, c.getDuration("microcert.sensor.reservation-ahead").toSeconds(), "defaults");
        assertEquals(List.of("pekko://MicroCert@10.0.0.1:2551", "pekko://MicroCert@10.0.0.2:2551"),
                c.getStringList("pekko.cluster.seed-nodes"));
        assertEquals(List.of("db:9042"), c.getStringList("datastax-java-driver.basic.contact-points"));
        assertEquals("keep-majority", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    }

    @Test
    void cassandraAccessFlagsAndVariablesSetTheDriverWithMicroCertsClasses() {
        Config c = NodeConfig.load(new String[] {"--cassandra-user", "microcert", "--cassandra-truststore", "/etc/ca.crt"},
                Map.of("MICROCERT_CASSANDRA_PASSWORD_FILE", "/etc/cassandra.pw"));
        assertEquals("microcert", c.getString("datastax-java-driver.advanced.auth-provider.username"));
        assertEquals("/etc/cassandra.pw", c.getString("datastax-java-driver.advanced.auth-provider.password-file"));
        assertEquals("org.microcert.persistence.cassandra.CassandraPasswordAuthProvider",
                c.getString("datastax-java-driver.advanced.auth-provider.class"));
        assertEquals("/etc/ca.crt", c.getString("datastax-java-driver.advanced.ssl-engine-factory.truststore-path"));
        assertEquals("org.microcert.persistence.cassandra.CassandraSslEngineFactory",
                c.getString("datastax-java-driver.advanced.ssl-engine-factory.class"));
        Config none = NodeConfig.load(new String[0], Map.of());
        assertTrue(!none.hasPath("datastax-java-driver.advanced.auth-provider.class")
                && !none.hasPath("datastax-java-driver.advanced.ssl-engine-factory.class"), "off unless asked for");
        // a password is never a flag
        assertThrows(NodeConfig.UsageException.class,
                () -> NodeConfig.load(new String[] {"--cassandra-password", "hunter2"}, Map.of()));
    }

    @Test
    void localConfigsNameThreeNodesOnLoopback() {
        for (int i = 1; i <= 3; i++) {
            Config c = NodeConfig.load(new String[] {"--config", "local" + i + ".conf"}, Map.of());
            assertEquals(2550 + i, c.getInt("pekko.remote.artery.canonical.port"));
            assertEquals(8080 + i, c.getInt("microcert.http.port"));
        }
    }

    @Test
    void aClusterKeystoreTurnsArteryTlsOnAndTheHostnameLeavesTheGatewayOnLoopback() {
        Config plain = NodeConfig.load(new String[] {"--hostname", "10.0.0.7"}, Map.of());
        assertEquals("tcp", plain.getString("pekko.remote.artery.transport"));
        assertEquals("127.0.0.1", plain.getString("microcert.http.interface"));
        Config tls = NodeConfig.load(new String[] {"--cluster-tls-keystore", "/etc/microcert/node1.p12",
                "--cluster-tls-trust", "/etc/microcert/ca.crt", "--allowed-gateways", "gw-1, gw-2"}, Map.of());
        assertEquals("tls-tcp", tls.getString("pekko.remote.artery.transport"));
        assertEquals("/etc/microcert/ca.crt", tls.getString("microcert.cluster-tls.trust"));
        assertEquals(List.of("gw-1", "gw-2"), tls.getStringList("microcert.http.tls.allowed-gateways"));
    }

    @Test
    void aTlsKeystoreTurnsHttpsOn() {
        Config c = NodeConfig.load(new String[] {"--tls-keystore", "/etc/microcert/gw.p12"}, Map.of());
        assertTrue(c.getBoolean("microcert.http.tls.enabled"));
    }

    @Test
    void aDevCardNodeCreatesItsOwnSchemaAndAProductionNodeDoesNot() {
        Config dev = NodeConfig.load(new String[] {"--dev-card", "var/dev"}, Map.of());
        assertTrue(dev.getBoolean("pekko.persistence.cassandra.journal.tables-autocreate"));
        assertTrue(dev.getBoolean("microcert.audit.tables-autocreate"), "the audit table follows the journal");
        Config prod = NodeConfig.load(new String[0], Map.of());
        assertEquals(false, prod.getBoolean("pekko.persistence.cassandra.journal.tables-autocreate"));
        assertEquals(false, prod.getBoolean("microcert.audit.tables-autocreate"));
    }

    @Test
    void badOptionsAreRefusedByName() {
        assertTrue(assertThrows(NodeConfig.UsageException.class, () -> NodeConfig.load(
                new String[] {"--card-password", "secret"}, Map.of())).getMessage().startsWith("unknown option --card-password"));
        assertTrue(assertThrows(NodeConfig.UsageException.class, () -> NodeConfig.load(
                new String[] {"--http-port", "http"}, Map.of())).getMessage().contains("not a port number: http"));
        assertTrue(assertThrows(NodeConfig.UsageException.class, () -> NodeConfig.load(
                new String[] {"--seed-nodes", "nohostport"}, Map.of())).getMessage().contains("host:port"));
        assertTrue(assertThrows(NodeConfig.UsageException.class, () -> NodeConfig.load(
                new String[] {"--config", dir.resolve("missing.conf").toString()}, Map.of())).getMessage()
                .contains("config file not found"));
        assertTrue(assertThrows(NodeConfig.UsageException.class, () -> NodeConfig.load(
                new String[] {"--http-port"}, Map.of())).getMessage().contains("needs a value"));
    }

    @Test
    void aConfigFileThatIsNotValidHoconIsRefusedWithItsFileAndLine() throws Exception {
        Path broken = Files.writeString(dir.resolve("broken.conf"), "microcert.http {\n  port = 8081\n");
        String m = assertThrows(NodeConfig.UsageException.class, () -> NodeConfig.load(
                new String[] {"--config", broken.toString()}, Map.of())).getMessage();
        assertTrue(m.startsWith("bad configuration: " + broken + ": 3"), m);
        // the parser would quote the text it tripped on: a password in a broken line stays out
        Path leaky = Files.writeString(dir.resolve("leaky.conf"), "datastax-java-driver.advanced.auth-provider {\n"
                + "  password = s3cret-Pa55 ]]\n}\n");
        m = assertThrows(NodeConfig.UsageException.class, () -> NodeConfig.load(
                new String[] {"--config", leaky.toString()}, Map.of())).getMessage();
        assertTrue(m.startsWith("bad configuration: " + leaky + ": 2") && m.endsWith("not valid HOCON (the text is not repeated here)"), m);
        assertTrue(!m.contains("s3cret") && !m.contains("]]"), m);
        Path unresolved = Files.writeString(dir.resolve("unresolved.conf"), "microcert.http.port = ${nowhere}\n");
        m = assertThrows(NodeConfig.UsageException.class, () -> NodeConfig.load(
                new String[] {"--config", unresolved.toString()}, Map.of())).getMessage();
        assertTrue(m.contains(unresolved + ": 1:") && m.contains("${nowhere}"), m);
    }
}
