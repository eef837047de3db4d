package org.microcert.cluster.http;

import java.util.Set;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.cluster.metrics.Metrics;

/** Liveness, readiness, Prometheus metrics and the OpenAPI document: no token. */
final class HealthRoutes extends AllDirectives {

    private final Readiness readiness;
    private final Metrics metrics;
    private final byte[] openApi = OpenApi.document();

    HealthRoutes(Readiness readiness, Metrics metrics) {
        this.readiness = readiness;
        this.metrics = metrics;
    }

    Route routes(Endpoints e) {
        Set<Integer> ok = Set.of(200, 500);
        return concat(
                e.get("/health/alive", ok, complete(HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON,
                        Json.bytes(Json.object().put("status", "ALIVE"))))),
                e.get("/health/ready", Set.of(200, 500, 503), extractRequest(r -> ready())),
                e.get("/metrics", ok, extractRequest(r -> complete(HttpResponse.create().withEntity(
                        ContentTypes.parse(metrics.contentType()), metrics.scrape())))),
                e.get("/openapi.json", ok, complete(HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, openApi))));
    }

    private Route ready() {
        boolean journalUp = readiness.journalUp();
        boolean ready = readiness.ready();
        return complete(HttpResponse.create().withStatus(ready ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE)
                .withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(Json.object()
                        .put("status", ready ? "READY" : "NOT_READY").put("cluster", readiness.clusterStatus())
                        .put("journal", journalUp ? "UP" : "DOWN").put("upMembers", readiness.upMembers()))));
    }
}
