package org.microcert.cluster.http;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.cluster.application.Operator;
import org.microcert.cluster.http.BearerTokens.Principal;
import org.microcert.cluster.http.BearerTokens.Role;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.trail.AuditRecord;
import org.microcert.cluster.trail.AuditTrail;

/** The operator API's bearer-token check; refusals are audited. */
final class AuthDirectives extends AllDirectives {

    static final Set<Role> ANY_ROLE = Set.of(Role.OPERATOR, Role.AUDITOR);
    static final Set<Role> OPERATOR = Set.of(Role.OPERATOR);
    /** The statuses {@link #authorized} can answer with (for the endpoint table). */
    static final Set<Integer> STATUSES = Set.of(401, 403, 429);

    private final BearerTokens tokens;
    private final AuditTrail trail;
    private final AuthFailures failures;
    private final Metrics metrics;

    AuthDirectives(BearerTokens tokens, AuditTrail trail, AuthFailures failures, Metrics metrics) {
        this.tokens = tokens;
        this.trail = trail;
        this.failures = failures;
        this.metrics = metrics;
    }

    /** Checks the bearer token and role; {@code inner} gets the caller as the audit trail names it. */
    Route authorized(Set<Role> roles, String requestId, Function<Operator, Route> inner) {
        return extractRequest(request -> {
            String source = request.getAttribute(AttributeKeys.remoteAddress)
                    .flatMap(a -> a.getAddress()).map(InetAddress::getHostAddress).orElse("unknown");
            Instant now = Instant.now();
            Optional<Duration> wait = failures.blocked(source, now);
            if (wait.isPresent()) {
                // not even looked up: a blocked source learns nothing about its guesses
                metrics.operatorAuthFailure("throttled");
                long seconds = Math.max(1, (wait.get().toMillis() + 999) / 1000);
                return complete(ErrorHandling.errorResponse(StatusCodes.TOO_MANY_REQUESTS, "TOO_MANY_AUTH_FAILURES",
                        "too many failed authentications from this address; retry in " + seconds + " s")
                        .addHeader(RawHeader.create("Retry-After", Long.toString(seconds))));
            }
            List<String> headers = new ArrayList<>();
            request.getHeaders().forEach(h -> {
                if (h.lowercaseName().equals("authorization")) {
                    headers.add(h.value());
                }
            });
            // Two credentials are ambiguous (a proxy may add one the client did not mean): refuse both.
            BearerTokens.Check check = headers.size() > 1 ? new BearerTokens.Check(null, BearerTokens.Failure.MALFORMED)
                    : tokens.check(headers.isEmpty() ? null : headers.get(0), Instant.now());
            String target = request.method().name() + " " + request.getUri().path();
            if (check.principal() == null) {
                metrics.operatorAuthFailure("refused");
                AuthFailures.Verdict v = failures.failure(source, now);
                if (v.audit()) { // a few records per source and window, never one per failure
                    String detail = "source " + source + ": " + target + (v.nowBlocked()
                            ? ": " + v.failuresInWindow() + " failures in the window, refused until it ends"
                            : v.previousWindowFailures() > 1 ? " (previous window: " + v.previousWindowFailures()
                                    + " failures)" : "");
                    trail.record(new AuditRecord(now, null, null, "AUTH_FAILURE", null,
                            v.nowBlocked() ? "THROTTLED" : "UNAUTHENTICATED", detail, requestId));
                }
                return complete(ErrorHandling.errorResponse(StatusCodes.UNAUTHORIZED, "UNAUTHENTICATED",
                        headers.size() > 1 ? "more than one Authorization header" : check.failure().message())
                        .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"microcert\"")));
            }
            Principal p = check.principal();
            if (!roles.contains(p.role())) {
                trail.record(new AuditRecord(Instant.now(), p.name(), p.role().label(), "AUTH_FAILURE", null,
                        "FORBIDDEN", target, requestId));
                return complete(ErrorHandling.errorResponse(StatusCodes.FORBIDDEN, "FORBIDDEN",
                        "role " + p.role().label() + " may not call this endpoint"));
            }
            return inner.apply(new Operator(p.name(), p.role().label()));
        });
    }
}
