package org.microcert.cluster.http;

import java.time.Duration;
import java.util.List;
import java.util.Set;
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
        this(sensors, keys, tokens, trail, metrics, readiness, backupTimeout, importBodyTimeout,
                GatewayIdentity.Policy.none(metrics));
    }

    /** As above, with what the device endpoints ask of a forwarding gateway ({@code microcert.http.tls.gateway-trust}). */
    public GatewayRoutes(SensorClient sensors, KeyOperations keys, BearerTokens tokens, AuditTrail trail, Metrics metrics,
                         Readiness readiness, Duration backupTimeout, Duration importBodyTimeout,
                         GatewayIdentity.Policy gateways) {
        this(sensors, keys, tokens, trail, metrics, readiness, backupTimeout, importBodyTimeout, gateways,
                10, Duration.ofMinutes(1), DeviceRateLimit.OFF);
    }

    /** With the operator-authentication failure limit: {@code maxAuthFailures} per source within {@code authFailureWindow}. */
    public GatewayRoutes(SensorClient sensors, KeyOperations keys, BearerTokens tokens, AuditTrail trail, Metrics metrics,
                         Readiness readiness, Duration backupTimeout, Duration importBodyTimeout, int maxAuthFailures,
                         Duration authFailureWindow) {
        this(sensors, keys, tokens, trail, metrics, readiness, backupTimeout, importBodyTimeout,
                GatewayIdentity.Policy.none(metrics), maxAuthFailures, authFailureWindow, DeviceRateLimit.OFF);
    }

    /** As the first, with the device endpoints' per-client rate limits ({@code microcert.http.device-rate-limit}). */
    public GatewayRoutes(SensorClient sensors, KeyOperations keys, BearerTokens tokens, AuditTrail trail, Metrics metrics,
                         Readiness readiness, Duration backupTimeout, Duration importBodyTimeout,
                         com.typesafe.config.Config deviceRateLimit) {
        this(sensors, keys, tokens, trail, metrics, readiness, backupTimeout, importBodyTimeout,
                GatewayIdentity.Policy.none(metrics), 10, Duration.ofMinutes(1),
                DeviceRateLimit.fromConfig(deviceRateLimit, metrics));
    }

    /**
     * Everything the node configures: the gateway policy, the operator-authentication failure limit
     * and the device rate limit ({@code microcert.http.device-rate-limit}).
     */
    public GatewayRoutes(SensorClient sensors, KeyOperations keys, BearerTokens tokens, AuditTrail trail, Metrics metrics,
                         Readiness readiness, Duration backupTimeout, Duration importBodyTimeout,
                         GatewayIdentity.Policy gateways, int maxAuthFailures, Duration authFailureWindow,
                         com.typesafe.config.Config deviceRateLimit) {
        this(sensors, keys, tokens, trail, metrics, readiness, backupTimeout, importBodyTimeout, gateways,
                maxAuthFailures, authFailureWindow, DeviceRateLimit.fromConfig(deviceRateLimit, metrics));
    }

    private GatewayRoutes(SensorClient sensors, KeyOperations keys, BearerTokens tokens, AuditTrail trail, Metrics metrics,
                          Readiness readiness, Duration backupTimeout, Duration importBodyTimeout,
                          GatewayIdentity.Policy gateways, int maxAuthFailures, Duration authFailureWindow,
                          DeviceRateLimit limits) {
        BodyDirectives bodies = new BodyDirectives();
        Route device = new DeviceRoutes(sensors, metrics, readiness, bodies, limits).routes(endpoints);
        // registered first: every endpoint in the table so far is a device endpoint
        Set<String> devicePaths = endpoints.table().stream().map(Endpoints.Endpoint::template).collect(Collectors.toSet());
        Route api = concat(
                extractRequest(request -> devicePaths.contains(request.getUri().path())
                        ? gateways.deviceTraffic(device) : device),
                new OperatorRoutes(keys, trail, readiness, new AuthDirectives(tokens, trail,
                        new AuthFailures(maxAuthFailures, authFailureWindow), metrics), bodies, backupTimeout, importBodyTimeout)
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
