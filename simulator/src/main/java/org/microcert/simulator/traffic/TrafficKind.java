package org.microcert.simulator.traffic;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What one simulated request is, and what the center must answer to it. Good traffic must be
 * accepted; every adversarial kind must be rejected, ideally with one of its expected reasons (the
 * reason codes of docs/http-api.md). Accepting a bad one or rejecting a good one is a <em>wrong
 * outcome</em>, and any wrong outcome fails the run.
 */
public enum TrafficKind {
    AUTHENTICATE("authenticate", false, "an AUTH certificate from a provisioned, active sensor"),
    SIGN("sign", false, "a SIGN certificate over a data blob, verified by the center"),
    ENCRYPT("encrypt", false, "a payload encrypted by the sensor, decrypted by the center"),
    BATCH("batch", false, "many AUTH certificates in one request (a gateway aggregating devices)"),
    REPLAYED("replayed", true, "an AUTH certificate the center already accepted, sent again",
            "REPLAY", "REPLAY_WINDOW_RESET"),
    FORGED_TAG("forged-tag", true, "a fresh certificate with one tag bit flipped", "BAD_TAG"),
    UNKNOWN_SENSOR("unknown-sensor", true, "a well-made certificate from a sensor never provisioned",
            "UNKNOWN_SENSOR"),
    REVOKED_SENSOR("revoked-sensor", true, "a well-made certificate from a sensor revoked before the run",
            "REVOKED"),
    SKEWED_CLOCK("skewed-clock", true, "a well-made certificate whose timestamp is an hour off",
            "STALE_TIMESTAMP", "FUTURE_TIMESTAMP"),
    EXPIRED_SEED("expired-seed", true, "a certificate from a sensor whose seed's five years are over",
            "SEED_EXPIRED"),
    MALFORMED("malformed", true, "random, truncated or over-long bytes", "MALFORMED");

    private final String label;
    private final boolean adversarial;
    private final String description;
    private final Set<String> expectedReasons;

    TrafficKind(String label, boolean adversarial, String description, String... expectedReasons) {
        this.label = label;
        this.adversarial = adversarial;
        this.description = description;
        this.expectedReasons = Set.of(expectedReasons);
    }

    /** The name used on the command line and in reports. */
    public String label() {
        return label;
    }

    /** True for traffic the center must reject. */
    public boolean adversarial() {
        return adversarial;
    }

    public String description() {
        return description;
    }

    /** Rejection reasons that are right for this kind (empty for good traffic). */
    public Set<String> expectedReasons() {
        return expectedReasons;
    }

    /** True when {@code verdict} is a wrong outcome for this kind: a bad one accepted, a good one rejected. */
    public boolean isWrong(Verdict verdict) {
        if (verdict instanceof Verdict.Accepted) {
            return adversarial;
        }
        return verdict instanceof Verdict.Rejected && !adversarial;
    }

    public static Optional<TrafficKind> byLabel(String label) {
        String l = label.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(k -> k.label.equals(l)).findFirst();
    }

    public static TrafficKind[] adversarialKinds() {
        return Arrays.stream(values()).filter(TrafficKind::adversarial).toArray(TrafficKind[]::new);
    }

    public static TrafficKind[] goodKinds() {
        return Arrays.stream(values()).filter(k -> !k.adversarial).toArray(TrafficKind[]::new);
    }
}
