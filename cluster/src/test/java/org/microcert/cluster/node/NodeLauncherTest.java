package org.microcert.cluster.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.NodeProcess;
import org.microcert.cluster.TestFleet;
import org.microcert.cluster.TestNode;
import org.microcert.persistence.card.SoftwareCard;

/**
 * A node that cannot start says why in one line, without a stack trace or a secret, stops its
 * actor system (a half-started member would otherwise keep running) and ends with status 2.
 */
class NodeLauncherTest {

    @TempDir
    static Path dir;
    static TestFleet fleet;

    @BeforeAll
    static void makeCard() {
        fleet = new TestFleet(dir.resolve("card"));
    }

    /** What {@link NodeLauncher#startOrStop} did with these settings (HOCON). */
    record Outcome(int status, String err, ActorSystem<Void> system) {}

    static Outcome start(String name, String settings) throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, TestNode.config(
                ConfigFactory.parseString(settings).withFallback(TestNode.inMemoryJournal())));
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(cluster.selfMember().address())); // a member, as with seed nodes
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (SoftwareCard card = fleet.openCard(name)) {
            int status = NodeLauncher.startOrStop(system, card, new PrintStream(err, true, UTF_8))
                    .toCompletableFuture().get(60, TimeUnit.SECONDS);
            return new Outcome(status, err.toString(UTF_8), system);
        } finally {
            if (!system.whenTerminated().isCompleted()) {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    static void assertRefused(Outcome o, String... fragments) {
        assertEquals(NodeLauncher.EXIT_SETUP, o.status(), o.err());
        assertTrue(o.system().whenTerminated().isCompleted(), "the actor system was stopped before the answer");
        String[] lines = o.err().split("\\R");
        assertEquals(1, lines.length, () -> "one line: " + o.err());
        assertTrue(lines[0].startsWith("microcert node: cannot start: "), o.err());
        for (String f : fragments) {
            assertTrue(lines[0].contains(f), () -> "'" + f + "' in: " + o.err());
        }
    }

    @Test
    void aNodeWithGoodSettingsStartsAndKeepsRunning() throws Exception {
        Path tokens = Files.writeString(dir.resolve("good-tokens"), "a".repeat(64) + " operator otto\n");
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "good", TestNode.config(
                ConfigFactory.parseString("microcert.http.tokens-file = \"" + tokens + "\"")
                        .withFallback(TestNode.inMemoryJournal())));
        try (SoftwareCard card = fleet.openCard("good")) {
            try {
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                assertEquals(0, NodeLauncher.startOrStop(system, card, new PrintStream(err, true, UTF_8))
                        .toCompletableFuture().get(60, TimeUnit.SECONDS));
                assertEquals("", err.toString(UTF_8));
                assertFalse(system.whenTerminated().isCompleted());
            } finally {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aMalformedOrMissingTokensFileIsNamed() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad-tokens"), "# operators\nnot-a-hash operator otto\n");
        assertRefused(start("tokens", "microcert.http.tokens-file = \"" + bad + "\""),
                bad.toString(), "line 2", "64 hex digits");
        Path missing = dir.resolve("no-such-tokens");
        assertRefused(start("notokens", "microcert.http.tokens-file = \"" + missing + "\""),
                "cannot read the tokens file " + missing, "NoSuchFileException");
    }

    /** Settings for a TLS keystore (made in {@code dir} as {@code name}.p12) opened with the wrong password. */
    static String tlsWithTheWrongPassword(String name) throws Exception {
        Path keystore = dir.resolve(name + ".p12");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (OutputStream out = Files.newOutputStream(keystore)) {
            ks.store(out, "the right tls password".toCharArray());
        }
        Path password = Files.writeString(dir.resolve(name + ".pw"), "a wrong tls password\n");
        return """
                microcert.http.tls.enabled = on
                microcert.http.tls.keystore = "%s"
                microcert.http.tls.password-file = "%s"
                """.formatted(keystore, password);
    }

    @Test
    void aTlsKeystoreWithTheWrongPasswordIsNamedBeforeShardingStartsAndNeitherPasswordIsShown() throws Exception {
        Outcome o = start("tls", tlsWithTheWrongPassword("gateway"));
        assertRefused(o, "TLS keystore " + dir.resolve("gateway.p12"));
        assertFalse(o.err().contains("tls password"), o.err());
        // Checked before sharding starts: a node that cannot serve must not take over sensors first.
        assertEquals(Set.of(), ClusterSharding.get(o.system().classicSystem()).getShardTypeNames());
    }

    @Test
    void tlsWithoutAKeystoreSaysSoInsteadOfNamingTheWorkingDirectory() throws Exception {
        assertRefused(start("tlsnofile", "microcert.http.tls.enabled = on"),
                "microcert.http.tls.keystore names no file");
    }

    @Test
    void aBadSensorSettingIsNamedByItsPath() throws Exception {
        assertRefused(start("sensor", "microcert.sensor.reservation-ahead = -5s"),
                "microcert.sensor.reservation-ahead", "zero or positive");
    }

    @Test
    void aReplayLedgerRenewedNoMoreOftenThanItsReservationRunsOutIsRefused() throws Exception {
        assertRefused(start("ledger", "microcert.replay-ledger.renew-interval = 5s"),
                "microcert.replay-ledger.renew-interval", "below microcert.sensor.reservation-ahead (5000ms)");
    }

    @Test
    void aMissingSettingIsNamed() throws Exception {
        assertRefused(start("missing", "microcert.http.ask-timeout = null"), "ask-timeout");
    }

    @Test
    void anAuditStoreThatCannotWorkIsNamed() throws Exception {
        assertRefused(start("audit", "microcert.audit.store = cassandra"), "microcert.audit.store = cassandra");
    }

    @Test
    void aGatewayPortInUseStopsTheNodeToo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertRefused(start("port", "microcert.http.port = " + taken.getLocalPort()),
                    String.valueOf(taken.getLocalPort()));
        }
    }

    /**
     * The whole path in a JVM of its own: it ends (nothing keeps it alive), with status 2, the reason
     * and no stack trace. Coordinated shutdown exits JVMs with 0 unless node.conf says otherwise for
     * this reason.
     */
    @Test
    void aNodeProcessThatCannotStartExitsWithTheSetupStatus() throws Exception {
        Path bad = Files.writeString(dir.resolve("process-tokens"), "not-a-hash operator otto\n");
        String config = processConfig("refused", "microcert.http.tokens-file = \"" + bad + "\"");
        try (NodeProcess node = NodeProcess.start("refused", dir, config, 0, Map.of())) {
            assertEquals(NodeLauncher.EXIT_SETUP, node.awaitExit(Duration.ofSeconds(90)), node.logTail());
            String log = node.log();
            assertTrue(log.contains("microcert node: cannot start: " + bad + " line 1"), node.logTail());
            assertFalse(log.contains("\tat ") || log.contains("Exception in thread"), node.logTail());
            assertFalse(log.contains(new String(TestFleet.PASSWORD)), node.logTail());
        }
    }

    /** A bad TLS keystore stops the process before its actor system starts, so before it joins its seed node. */
    @Test
    void aNodeProcessWithABadTlsKeystoreNeverJoins() throws Exception {
        String config = processConfig("tls-refused", tlsWithTheWrongPassword("process-gateway"));
        try (NodeProcess node = NodeProcess.start("tls-refused", dir, config, 0, Map.of())) {
            String said = refusedBeforeStarting(node);
            assertTrue(said.startsWith("microcert node: cannot start: cannot use the TLS keystore "
                    + dir.resolve("process-gateway.p12")), node.logTail());
            assertFalse(node.log().contains("tls password"), node.logTail());
        }
    }

    /**
     * Cluster TLS whose keystore is of another CA than the trust file names is one line before the
     * actor system starts (Pekko would read the files only at the first connection); the password is
     * never shown.
     */
    @Test
    void aNodeProcessWhoseClusterCertificateIsOfAnotherCaNeverJoins() throws Exception {
        char[] password = "cluster tls password".toCharArray();
        var trusted = org.microcert.cluster.tls.ClusterCertificates.newAuthority("Trusted CA", Duration.ofDays(1));
        org.microcert.cluster.tls.ClusterCertificates.writePem(dir.resolve("trusted-ca.crt"), List.of(trusted.certificate()));
        org.microcert.cluster.tls.ClusterCertificates.newAuthority("Other CA", Duration.ofDays(1))
                .issue("node1", List.of(), org.microcert.cluster.tls.ClusterCertificates.Purpose.NODE, Duration.ofDays(1))
                .writePkcs12(dir.resolve("other-node.p12"), password);
        Path pw = Files.writeString(dir.resolve("cluster-tls.pw"), new String(password));
        String config = processConfig("cluster-tls-refused", """
                microcert.cluster-tls { enabled = on, keystore = "%s", password-file = "%s", trust = "%s" }
                """.formatted(dir.resolve("other-node.p12"), pw, dir.resolve("trusted-ca.crt")));
        try (NodeProcess node = NodeProcess.start("cluster-tls-refused", dir, config, 0, Map.of())) {
            String said = refusedBeforeStarting(node);
            assertTrue(said.startsWith("microcert node: cannot start: this node's certificate O=MicroCert,CN=node1 "
                    + "(microcert.cluster-tls.keystore) is not valid under the CAs of microcert.cluster-tls.trust"), said);
            assertFalse(node.log().contains(new String(password)), node.logTail());
        }
    }

    /** A taken cluster port is one line naming it, before Artery starts (which would log a stack trace). */
    @Test
    void aNodeProcessWhoseClusterPortIsTakenSaysSoInOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String config = processConfig("cluster-port", "pekko.remote.artery.canonical.port = " + taken.getLocalPort()
                    + "\npekko.remote.artery.canonical.hostname = \"127.0.0.1\""); // whatever MICROCERT_HOSTNAME says
            try (NodeProcess node = NodeProcess.start("cluster-port", dir, config, 0, Map.of())) {
                String said = refusedBeforeStarting(node);
                assertTrue(said.startsWith("microcert node: cannot start: the cluster port 127.0.0.1:"
                        + taken.getLocalPort() + " cannot be bound"), node.logTail());
                assertTrue(said.endsWith("another node on it? Choose another with --remote-port "
                        + "(pekko.remote.artery.canonical.port)"), node.logTail());
                assertFalse(node.log().contains("Exception"), node.logTail());
            }
        }
    }

    @Test
    void theClusterPortCheckNamesAHostOfAnotherMachineAndLeavesToArteryWhatItDoesNotBind() throws Exception {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> NodeLauncher.checkClusterPortFree(artery("canonical { hostname = \"192.0.2.1\", port = 2551 }")));
        assertTrue(e.getMessage().startsWith("the cluster port 192.0.2.1:2551 cannot be bound ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("192.0.2.1 is not an address of this machine: set --hostname "
                + "(pekko.remote.artery.canonical.hostname)"), e.getMessage()); // TEST-NET-1: nobody's
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String at = "canonical { hostname = \"127.0.0.1\", port = " + taken.getLocalPort() + " }\n";
            IllegalArgumentException bound = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> NodeLauncher.checkClusterPortFree(artery(at + "bind.port = " + taken.getLocalPort())));
            assertTrue(bound.getMessage().endsWith("Choose another with pekko.remote.artery.bind.port"), bound.getMessage());
            // not bound by Artery over TCP, or bound elsewhere: nothing to check here
            NodeLauncher.checkClusterPortFree(artery(at + "transport = aeron-udp"));
            NodeLauncher.checkClusterPortFree(artery(at + "enabled = off"));
            NodeLauncher.checkClusterPortFree(artery(at + "bind.port = 0"));
        }
    }

    /** Pekko's Artery settings with {@code settings} (HOCON inside {@code pekko.remote.artery}) on top. */
    static com.typesafe.config.Config artery(String settings) {
        return ConfigFactory.parseString("pekko.remote.artery { " + settings + " }").withFallback(ConfigFactory.defaultReference());
    }

    /**
     * The one line a node process that exited with the setup status said, after checking it said no
     * other, printed no stack trace and never started as a cluster member.
     */
    static String refusedBeforeStarting(NodeProcess node) throws Exception {
        assertEquals(NodeLauncher.EXIT_SETUP, node.awaitExit(Duration.ofSeconds(90)), node.logTail());
        String log = node.log();
        List<String> said = log.lines().filter(l -> l.startsWith("microcert node")).toList();
        assertEquals(1, said.size(), node.logTail());
        assertFalse(log.contains("Cluster Node ["), node.logTail()); // Pekko's first line as a member starts
        assertFalse(log.contains("\tat "), node.logTail());
        return said.get(0);
    }

    /** A node process's settings: in-memory journal, itself as seed node, its own card state, then {@code extra}. */
    static String processConfig(String name, String extra) throws Exception {
        Path cardPassword = Files.writeString(dir.resolve(name + "-card.pw"), new String(TestFleet.PASSWORD) + "\n");
        int remote = NodeProcess.freePort();
        return TestNode.inMemoryJournal().root().render(ConfigRenderOptions.defaults().setJson(false).setOriginComments(false)) + """

                pekko.remote.artery.canonical.port = %d
                pekko.cluster.seed-nodes = ["pekko://MicroCert@127.0.0.1:%d"]
                microcert.http.interface = "127.0.0.1"
                microcert.http.port = %d
                microcert.card.keystore = "%s"
                microcert.card.password-file = "%s"
                microcert.card.state-file = "%s"
                """.formatted(remote, remote, NodeProcess.freePort(), fleet.keystore(), cardPassword,
                dir.resolve(name + ".state")) + extra + "\n";
    }
}
