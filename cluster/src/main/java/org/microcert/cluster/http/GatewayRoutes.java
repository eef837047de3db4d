package org.microcert.cluster.http;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.cluster.application.KeyOperations;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.sensor.SensorClient;
import org.microcert.cluster.trail.AuditTrail;

/**
 * The gateway: device, operator and health routes ({@link Endpoints}, exactly as docs/http-api.md
 * describes them) inside error handling and instrumentation. Built once: building routes per request
 * would cost more than serving them.
 */
public final class GatewayRoutes extends AllDirectives {

    private final Endpoints endpoints = new Endpoints();
    private final Route route;

    public GatewayRoutes(SensorClient sensors, KeyOperations keys, BearerTokens tokens, AuditTrail trail, Metrics metrics,
                         Readiness readiness, Duration backupTimeout, Duration importBodyTimeout) {
        this(sensors, keys, tokens, trail, metrics, readiness, backupTimeout, importBodyTimeout, DeviceRateLimit.OFF);
    }

    /** As above, with the device endpoints' per-client rate limits ({@code microcert.http.device-rate-limit}). */
    public GatewayRoutes(SensorClient sensors, KeyOperations keys, BearerTokens tokens, AuditTrail trail, Metrics metrics,
                         Readiness readiness, Duration backupTimeout, Duration importBodyTimeout,
                         com.typesafe.config.Config deviceRateLimit) {
        this(sensors, keys, tokens, trail, metrics, readiness, backupTimeout, importBodyTimeout,
                DeviceRateLimit.fromConfig(deviceRateLimit, metrics));
    }

    private GatewayRoutes(SensorClient sensors, KeyOperations keys, BearerTokens tokens, AuditTrail trail, Metrics metrics,
                          Readiness readiness, Duration backupTimeout, Duration importBodyTimeout, DeviceRateLimit limits) {
        BodyDirectives bodies = new BodyDirectives();
        Route api = concat(
                new DeviceRoutes(sensors, metrics, readiness, bodies, limits).routes(endpoints),
                new OperatorRoutes(keys, trail, readiness, new AuthDirectives(tokens, trail), bodies, backupTimeout, importBodyTimeout)
                        .routes(endpoints),
                new HealthRoutes(readiness, metrics).routes(endpoints));
        Instrumentation instrumentation = new Instrumentation(metrics,
                endpoints.table().stream().map(Endpoints.Endpoint::template).collect(Collectors.toSet()));
        this.route = instrumentation.instrumented(new ErrorHandling().handled(new RequestGuards().guarded(api)));
    }

    /** The whole API. */
    public Route route() {
        return route;
    }

    /** Every endpoint the route tree serves (for the OpenAPI drift test). */
    List<Endpoints.Endpoint> endpoints() {
        return endpoints.table();
    }
}
