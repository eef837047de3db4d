package org.microcert.simulator.traffic;

/**
 * What the center answered to one item: accepted, rejected with a reason code, or no verdict at all
 * (transport error, timeout, 5xx, an answer the simulator cannot read). A failure is never counted
 * as a rejection: a center that is down rejects nothing.
 */
public sealed interface Verdict {

    record Accepted() implements Verdict {}

    /** {@code reason} is the center's reason code, e.g. {@code BAD_TAG}. */
    record Rejected(String reason) implements Verdict {}

    /** {@code error} is a short category, e.g. {@code timeout}, {@code http-503}, {@code connect}. */
    record Failed(String error) implements Verdict {}

    Verdict ACCEPTED = new Accepted();

    static Verdict rejected(String reason) {
        return new Rejected(reason);
    }

    static Verdict failed(String error) {
        return new Failed(error);
    }
}
