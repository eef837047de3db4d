package org.microcert.simulator.gateway;

import java.net.http.HttpRequest;

/**
 * The operator's bearer token, in one place so that no path can print it: every refusal names
 * what is wrong, never the value.
 */
public final class OperatorToken {

    private final String token;

    /** @param token null when no operator calls are made */
    OperatorToken(String token) {
        if (token != null && problem(token) != null) {
            throw new IllegalArgumentException("the operator token " + problem(token)); // never the token itself
        }
        this.token = token;
    }

    /**
     * Why {@code token} cannot be a bearer token, or null when it can. Only visible ASCII, as RFC
     * 6750's b64token: anything else (a line break, a control character) makes the JDK refuse the
     * header with a message that quotes it, token included. The answer never contains the token.
     */
    public static String problem(String token) {
        if (token.isEmpty()) {
            return "is empty";
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return "must be visible ASCII characters only (no spaces, line breaks or control characters): "
                        + "character " + (i + 1) + " of " + token.length() + " is not";
            }
        }
        return null;
    }

    HttpRequest.Builder authorize(HttpRequest.Builder b) {
        if (token == null || token.isEmpty()) {
            throw new GatewayException("an operator token is needed for provisioning and revocation "
                    + "(--operator-token-file or MICROCERT_OPERATOR_TOKEN)");
        }
        try {
            return b.header("Authorization", "Bearer " + token);
        } catch (IllegalArgumentException e) {
            // the JDK's message quotes the header value: never pass it on
            throw new GatewayException("the operator token is not a valid HTTP header value");
        }
    }

    @Override
    public String toString() {
        return token == null ? "no operator token" : "an operator token (withheld)";
    }
}
