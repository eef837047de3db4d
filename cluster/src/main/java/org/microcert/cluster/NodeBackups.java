package org.microcert.cluster;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.microcert.cluster.http.ApiError;
import org.microcert.cluster.http.GatewayRoutes;
import org.microcert.persistence.card.EncryptionCard;

/** The backup stream behind {@code POST /v1/backup} (pending the persistence module's backup API). */
final class NodeBackups {

    private NodeBackups() {}

    static GatewayRoutes.Backups create(ActorSystem<?> system, EncryptionCard card) {
        return () -> {
            throw new ApiError(StatusCodes.NOT_IMPLEMENTED, "NOT_AVAILABLE", "backup is not available on this node");
        };
    }
}
