package org.microcert.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.MicroCertNode;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.persistence.card.KeyCeremony;
import org.microcert.persistence.card.SoftwareCard;
import org.microcert.simulator.report.OutcomeLedger;
import org.microcert.simulator.report.ReportWriter;
import org.microcert.simulator.report.RunReport;
import org.microcert.simulator.traffic.TrafficKind;

/**
 * The simulator against a real MicroCert node (started in this JVM by the node's own
 * {@link MicroCertNode#start}) on the real Cassandra of the ops fixture, with the card and the
 * factory's K_trans export made by the key ceremony: a short run with every adversarial kind must
 * have zero wrong outcomes.
 */
@ExtendWith(CassandraExtension.class)
class SimulatorAgainstRealNodeTest {

    @Test
    void aShortAdversarialRunAgainstARealNodeHasZeroWrongOutcomes(TestCassandra cassandra, @TempDir Path dir)
            throws Exception {
        char[] cardPassword = "card password".toCharArray();
        Path master = dir.resolve("master.bcfks");
        KeyCeremony.create(master, cardPassword.clone());
        KeyCeremony.exportTransport(master, cardPassword.clone(), dir.resolve("ktrans.mctk"),
                "export password".toCharArray(), 100_000);
        Files.writeString(dir.resolve("ktrans.pw"), "export password");
        String token = "e2e-operator-token";
        Files.writeString(dir.resolve("token"), token);
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(token.getBytes(StandardCharsets.UTF_8)));
        Files.writeString(dir.resolve("tokens"), hash + " operator simulator\n");

        Config config = ConfigFactory.parseString(cassandra.pekkoConfig("sim_e2e_journal", "sim_e2e_snapshot") + """
                pekko.persistence.journal.plugin = "pekko.persistence.cassandra.journal"
                pekko.persistence.snapshot-store.plugin = "pekko.persistence.cassandra.snapshot"
                pekko.persistence.cassandra.journal { keyspace-autocreate = true, tables-autocreate = true }
                pekko.persistence.cassandra.snapshot { keyspace-autocreate = true, tables-autocreate = true }
                pekko.persistence.cassandra.events-by-tag.enabled = false
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.seed-nodes = []
                pekko.coordinated-shutdown.exit-jvm = off
                microcert.http.port = 0
                microcert.http.interface = "127.0.0.1"
                microcert.audit.keyspace = "sim_e2e_journal"
                microcert.audit.tables-autocreate = true
                """).withFallback(ConfigFactory.parseMap(Map.of("microcert.http.tokens-file",
                dir.resolve("tokens").toString()))).withFallback(ConfigFactory.load());
        SoftwareCard card = SoftwareCard.open(master, cardPassword.clone(), dir.resolve("node.state"));
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), MicroCertNode.SYSTEM_NAME, config);
        Path reportDir = dir.resolve("report");
        int exit;
        try {
            Cluster cluster = Cluster.get(system);
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            ServerBinding binding = MicroCertNode.start(system, card).toCompletableFuture().get(60, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (cluster.selfMember().status() != MemberStatus.up() && System.nanoTime() < deadline) {
                Thread.sleep(20); // awaiting a condition, polled
            }
            String url = "http://127.0.0.1:" + binding.localAddress().getPort();
            StringWriter err = new StringWriter();
            picocli.CommandLine cli = SimulatorMain.commandLine();
            cli.setErr(new PrintWriter(err, true));
            // the journal probe behind /health/ready may need a few seconds on a busy machine
            exit = cli.execute("run", "-g", url, "--wait-ready", "60s", "--sensors", "200", "--rate", "150", "--ramp", "2s", "--duration", "8s",
                    "--adversarial", "all", "--adversarial-share", "0.3", "--batch-size", "20",
                    "--revoked-sensors", "3", "--expired-seed-sensors", "3", "--timeout", "20s",
                    "--transport-key", dir.resolve("ktrans.mctk").toString(),
                    "--transport-key-password-file", dir.resolve("ktrans.pw").toString(),
                    "--operator-token-file", dir.resolve("token").toString(), "--report-dir", reportDir.toString());
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
            card.close();
        }
        RunReport report = ReportWriter.read(reportDir.resolve("report.json"));
        assertEquals(0, report.summary().wrongOutcomes(), report.problems().toString());
        assertEquals(0, exit, report.problems().toString());
        Map<String, OutcomeLedger.KindOutcome> byKind = report.outcomes().stream()
                .collect(Collectors.toMap(OutcomeLedger.KindOutcome::kind, o -> o));
        for (TrafficKind k : TrafficKind.values()) {
            OutcomeLedger.KindOutcome o = byKind.get(k.label());
            assertTrue(o != null && o.items() > 0, k.label() + " was sent");
            assertEquals(0, o.wrong(), k.label());
        }
        assertEquals(206, report.provisioning().provisioned());
    }
}
