package org.microcert.simulator.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.microcert.protocol.Failures;
import org.microcert.simulator.traffic.Verdict;

/**
 * How the gateway's answers read as verdicts and as one-line error categories; kept apart from the
 * transport so that the rules (UNAVAILABLE is no verdict, a wrong plaintext is a rejection) can be
 * read and tested on their own.
 */
final class Answers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Answers() {}

    /** Reads a verdict object of docs/http-api.md. */
    static Verdict verdictOf(JsonNode node, byte[] expectedPlaintext) {
        String outcome = node.path("outcome").asText("");
        if (outcome.equals("ACCEPTED")) {
            if (expectedPlaintext != null) {
                byte[] got = decodeOrNull(node.path("plaintext").asText(""));
                if (got == null || !Arrays.equals(got, expectedPlaintext)) {
                    return Verdict.rejected("PLAINTEXT_MISMATCH");
                }
            }
            return Verdict.ACCEPTED;
        }
        if (outcome.equals("REJECTED")) {
            String reason = node.path("reason").asText("UNSPECIFIED");
            // the shard did not answer: no verdict on the certificate itself
            return reason.equals("UNAVAILABLE") ? Verdict.failed("UNAVAILABLE") : Verdict.rejected(reason);
        }
        return Verdict.failed("unknown-outcome");
    }

    private static byte[] decodeOrNull(String b64) {
        try {
            return Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static String httpError(HttpResponse<byte[]> resp) {
        String code = "";
        try {
            code = JSON.readTree(resp.body()).path("error").asText("");
        } catch (IOException | RuntimeException e) {
            // not JSON: the status alone says enough
        }
        return "http-" + resp.statusCode() + (code.isEmpty() ? "" : "-" + code);
    }

    /** Longest excerpt of a body quoted in an error. */
    static final int EXCERPT_CHARS = 200;

    /**
     * The start of an answer body, fit for one line of a terminal: whatever answers on that port
     * (another server, a proxy's error page) may send pages of text or escape sequences.
     */
    static String excerpt(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && i < EXCERPT_CHARS; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? String.format(java.util.Locale.ROOT, "\\u%04x", (int) c) : c);
        }
        return text.length() > EXCERPT_CHARS ? out + "... (" + text.length() + " characters)" : out.toString();
    }

    static String transportError(Throwable error) {
        Throwable t = Failures.cause(error);
        if (t instanceof HttpConnectTimeoutException) {
            return "connect-timeout";
        }
        if (t instanceof HttpTimeoutException) {
            return "timeout";
        }
        if (t instanceof ConnectException) {
            return "connect-refused";
        }
        if (t instanceof IOException) {
            return "io";
        }
        return "client-" + t.getClass().getSimpleName();
    }

    static List<Verdict> repeat(Verdict v, int n) {
        List<Verdict> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(v);
        }
        return out;
    }

    /** A single device call's answer, or its transport error, as a verdict (a 5xx or a 4xx that is not one: no verdict). */
    static Verdict readVerdict(HttpResponse<byte[]> resp, Throwable error, byte[] expectedPlaintext) {
        if (error != null) {
            return Verdict.failed(transportError(error));
        }
        if (resp.statusCode() >= 500) {
            return Verdict.failed(httpError(resp));
        }
        try {
            JsonNode node = JSON.readTree(resp.body());
            if (!node.has("outcome")) {
                // a 4xx that is not a verdict (BAD_JSON, UNSUPPORTED_MEDIA_TYPE...): the simulator's fault
                return Verdict.failed(httpError(resp));
            }
            return verdictOf(node, expectedPlaintext);
        } catch (IOException e) {
            return Verdict.failed("unreadable-answer-" + resp.statusCode());
        }
    }
}
