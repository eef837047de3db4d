package org.microcert.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.microcert.cluster.http.BearerTokens;
import org.microcert.ops.cassandra.CassandraExtension;
import org.microcert.ops.cassandra.TestCassandra;
import org.microcert.protocol.SensorChip;

/**
 * Sharding with leases on the real Cassandra, as a production node runs it (fencing auto = on with
 * the Cassandra journal): the node holds its sensor's shard lease under its term and authenticates;
 * once its term expired and another node's term took the shard, it stops serving that sensor (503,
 * retry) until the other term expires, then holds it under a new term and serves again.
 */
@ExtendWith(CassandraExtension.class)
class FencingCassandraTest {

    static final String TOKEN = "fencing-operator-token-0123456789";

    @TempDir
    static Path dir;

    @Test
    void aNodeServesOnlyTheShardsWhoseLeaseItHolds(TestCassandra cassandra) throws Exception {
        TestFleet fleet = new TestFleet(dir.resolve("card"));
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, BearerTokens.sha256Hex(TOKEN) + " operator olga\n");
        Config config = ConfigFactory.parseString("""
                microcert.http.tokens-file = "%s"
                # the first write creates the keyspaces and tables: slow on a busy machine
                microcert.http.ask-timeout = 15s
                """.formatted(tokens)).withFallback(TestNode.cassandraJournal(cassandra, "fencing"));
        TestNode.Client client = new TestNode.Client();
        try (TestNode node = new TestNode("FencingIT", config, fleet.openCard("fencing"))) {
            CassandraIntegrationTest.awaitReady(node);
            assertEquals("microcert.fencing.lease",
                    node.system().settings().config().getString("pekko.cluster.sharding.use-lease"), "on by default");
            SensorChip chip = TestFleet.chip(0xFE0CE001L, Instant.now());
            HttpResponse<String> p = client.postJson(node.url("/v1/sensors"), "{\"envelope\":\""
                    + Base64.getEncoder().encodeToString(fleet.transportEnvelope(chip)) + "\"}", TOKEN);
            assertEquals(201, p.statusCode(), p.body());
            HttpResponse<String> ok = authenticate(client, node, chip);
            assertEquals(200, ok.statusCode(), ok.body());

            String lease = "FencingIT-shard-Sensor-" + new HashCodeMessageExtractor<>(1000).shardId(chip.sensorId().toString());
            CassandraSession session = CassandraSessionRegistry.get(node.system()).sessionFor("pekko.connectors.cassandra");
            String self = Cluster.get(node.system()).selfMember().address().hostPort();
            assertTrue(owner(session, lease).orElseThrow().startsWith(self + " "), "the node holds its sensor's shard");

            // the node's term expires in Cassandra and another node's live term takes the shard, as
            // after a pause longer than the term's TTL; the other term lives longer than an ask
            // (15 s), so a request waiting for the shard's lease times out (503)
            String term = owner(session, lease).orElseThrow();
            execute(session, "INSERT INTO fencing_journal.lease_terms (term, node) VALUES ('intruder', 'x') USING TTL 40");
            execute(session, "UPDATE fencing_journal.shard_leases SET owner = 'intruder' WHERE name = '" + lease + "'");
            execute(session, "DELETE FROM fencing_journal.lease_terms WHERE term = '" + term + "'");
            Poll.until(Duration.ofSeconds(90), "the sensor refused (503) while another node holds its shard",
                    () -> authenticate(client, node, chip).statusCode() == 503);
            // the intruder's row expires; the node's shard acquires it again and serves
            Poll.until(Duration.ofSeconds(90), "the sensor served again once the lease is free",
                    () -> authenticate(client, node, chip).statusCode() == 200);
            assertTrue(owner(session, lease).orElseThrow().startsWith(self + " "));
        }
    }

    static HttpResponse<String> authenticate(TestNode.Client client, TestNode node, SensorChip chip) throws Exception {
        return client.send("POST", node.url("/v1/authenticate"), "application/octet-stream",
                chip.authenticate(Instant.now()).encode(), null);
    }

    static void execute(CassandraSession session, String cql) {
        session.executeWrite(SimpleStatement.newInstance(cql)).toCompletableFuture().join();
    }

    static Optional<String> owner(CassandraSession session, String lease) {
        return session.selectOne(SimpleStatement.newInstance(
                        "SELECT owner FROM fencing_journal.shard_leases WHERE name = ?", lease))
                .toCompletableFuture().join().map((Row r) -> r.getString("owner"));
    }
}
