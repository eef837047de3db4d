package org.microcert.cluster;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.microcert.cluster.node.NodeAssembly;
import org.microcert.cluster.node.NodeLauncher;
import org.microcert.cluster.trail.AuditTrail;
import org.microcert.persistence.card.EncryptionCard;

/**
 * A MicroCert node: joins the Pekko cluster, hosts its share of the sensor entities, serves the
 * HTTP gateway. The entry point {@code ops/bin/node} launches; the start-up itself lives in
 * {@link org.microcert.cluster.node}. Cassandra runs separately ({@code ops/bin/cassandra}).
 */
public final class MicroCertNode {

    /** The actor system (and cluster) name every node uses. */
    public static final String SYSTEM_NAME = NodeLauncher.SYSTEM_NAME;

    private MicroCertNode() {}

    /** Flags and configuration: {@code ops/bin/node --help}. */
    public static void main(String[] args) {
        NodeLauncher.main(args);
    }

    /** Starts a node's parts on {@code system} with {@code card} (tests and tools that run nodes in-process). */
    public static CompletionStage<ServerBinding> start(ActorSystem<?> system, EncryptionCard card) {
        return NodeAssembly.start(system, card);
    }

    /** As {@link #start(ActorSystem, EncryptionCard)}, with this audit trail instead of the configured one (tests). */
    public static CompletionStage<ServerBinding> start(ActorSystem<?> system, EncryptionCard card, AuditTrail auditTrail) {
        return NodeAssembly.start(system, card, auditTrail);
    }
}
