package org.microcert.cluster.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.microcert.cluster.http.Readiness;

/**
 * Pekko Management for orchestrators and load balancers (docs/deploy.md): its HTTP endpoint answers
 * {@code /ready} and {@code /alive} from the same {@link Readiness} as the gateway's
 * {@code /health/ready}, on a port of its own that needs no TLS client set-up and no token. Off
 * unless {@code microcert.management.enabled} is on.
 */
public final class NodeManagement implements Extension {

    private static final ExtensionId<NodeManagement> ID = new ExtensionId<>() {
        @Override
        public NodeManagement createExtension(ActorSystem<?> system) {
            return new NodeManagement();
        }
    };

    /** Set once the node is assembled; the checks answer "not ready" before. */
    private volatile Readiness readiness;

    private NodeManagement() {}

    /** Starts the management endpoint; nothing when disabled. */
    static void start(ActorSystem<?> system, Readiness readiness) {
        if (!system.settings().config().getBoolean("microcert.management.enabled")) {
            return;
        }
        ID.apply(system).readiness = readiness;
        PekkoManagement.get(Adapter.toClassic(system)).start();
    }

    /** {@code /ready}: an Up member whose journal answers (pekko.management.health-checks.readiness-checks). */
    public static final class Ready implements Supplier<CompletionStage<Boolean>> {
        private final NodeManagement node;

        public Ready(org.apache.pekko.actor.ActorSystem system) {
            this.node = ID.apply(Adapter.toTyped(system));
        }

        @Override
        public CompletionStage<Boolean> get() {
            Readiness r = node.readiness;
            return CompletableFuture.completedFuture(r != null && r.ready());
        }
    }

    /**
     * {@code /alive}: false once this member is Down or its cluster extension has stopped (the
     * orchestrator restarts the process). True while the node is still joining (its status reads
     * Removed until then), and not tied to the journal: restarting every node while Cassandra is away
     * would only add an outage of the cluster to the database's.
     */
    public static final class Alive implements Supplier<CompletionStage<Boolean>> {
        private final org.apache.pekko.cluster.Cluster cluster;

        public Alive(org.apache.pekko.actor.ActorSystem system) {
            this.cluster = org.apache.pekko.cluster.Cluster.get(system);
        }

        @Override
        public CompletionStage<Boolean> get() {
            return CompletableFuture.completedFuture(!cluster.isTerminated() && cluster.selfMember().status() != MemberStatus.down());
        }
    }
}
