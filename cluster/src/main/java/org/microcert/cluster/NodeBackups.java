package org.microcert.cluster;

import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.microcert.cluster.http.ApiError;
import org.microcert.cluster.http.GatewayRoutes;
import org.microcert.persistence.card.EncryptionCard;

/**
 * The backup behind {@code POST /v1/backup}: not wired. The persistence module's backup
 * audits the journal against the set digests of every node's card first, which one gateway node
 * does not hold; backups are taken with {@code ops/bin/backup} (docs/http-api.md says so).
 */
final class NodeBackups {

    private NodeBackups() {}

    static GatewayRoutes.Backups create(ActorSystem<?> system, EncryptionCard card) {
        return () -> CompletableFuture.failedFuture(new ApiError(StatusCodes.NOT_IMPLEMENTED, "NOT_AVAILABLE",
                "backup through the gateway is not available; use ops/bin/backup"));
    }
}
