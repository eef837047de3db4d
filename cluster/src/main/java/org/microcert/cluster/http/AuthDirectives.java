package org.microcert.cluster.http;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.microcert.cluster.application.Operator;
import org.microcert.cluster.http.BearerTokens.Principal;
import org.microcert.cluster.http.BearerTokens.Role;
import org.microcert.cluster.trail.AuditRecord;
import org.microcert.cluster.trail.AuditTrail;

/** The operator API's bearer-token check; refusals are audited. */
final class AuthDirectives extends AllDirectives {

    static final Set<Role> ANY_ROLE = Set.of(Role.OPERATOR, Role.AUDITOR);
    static final Set<Role> OPERATOR = Set.of(Role.OPERATOR);
    /** The statuses {@link #authorized} can answer with (for the endpoint table). */
    static final Set<Integer> STATUSES = Set.of(401, 403);

    private final BearerTokens tokens;
    private final AuditTrail trail;

    AuthDirectives(BearerTokens tokens, AuditTrail trail) {
        this.tokens = tokens;
        this.trail = trail;
    }

    /** Checks the bearer token and role; {@code inner} gets the caller as the audit trail names it. */
    Route authorized(Set<Role> roles, String requestId, Function<Operator, Route> inner) {
        return extractRequest(request -> {
            Optional<String> header = request.getHeader("Authorization").map(h -> h.value());
            Optional<Principal> principal = tokens.authenticate(header.orElse(null));
            String target = request.method().name() + " " + request.getUri().path();
            if (principal.isEmpty()) {
                trail.record(new AuditRecord(Instant.now(), null, null, "AUTH_FAILURE", null, "UNAUTHENTICATED",
                        target, requestId));
                return complete(ErrorHandling.errorResponse(StatusCodes.UNAUTHORIZED, "UNAUTHENTICATED",
                        header.isEmpty() ? "missing bearer token" : "unknown or malformed bearer token")
                        .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"microcert\"")));
            }
            Principal p = principal.get();
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
