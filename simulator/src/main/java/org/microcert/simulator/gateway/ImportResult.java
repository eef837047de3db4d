package org.microcert.simulator.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The summary of one import request, the per-line failures (error codes), the lines (0-based)
 * that failed only because the shard was busy ({@code UNAVAILABLE}: retry them), and the first
 * lines (0-based) answered {@code ALREADY_PROVISIONED}.
 */
public record ImportResult(long lines, long provisioned, long alreadyProvisioned, long failed,
                           List<String> failures, List<Integer> retryable, List<Integer> alreadyProvisionedLines) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Reads the result lines as they stream in: one per line sent, each line number once, then
     * the summary (docs/http-api.md). An answer cut short (the node failed mid-stream) or one
     * that does not match the manifest is an error, never a partial success.
     *
     * @param sent lines in the manifest
     */
    static ImportResult parse(BufferedReader ndjson, int sent) throws IOException {
        java.util.BitSet answered = new java.util.BitSet(sent);
        boolean summary = false;
        List<String> failures = new ArrayList<>();
        List<Integer> retryable = new ArrayList<>();
        List<Integer> alreadyLines = new ArrayList<>();
        long lines = 0;
        long provisioned = 0;
        long already = 0;
        long failed = 0;
        for (String line = ndjson.readLine(); line != null; line = ndjson.readLine()) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                throw new GatewayException("bulk import answered a line that is not JSON");
            }
            if (n.has("summary")) {
                long counted = n.path("summary").path("lines").asLong(-1);
                if (counted != sent) {
                    throw new GatewayException("bulk import summary counts " + counted + " lines, but " + sent
                            + " were sent");
                }
                summary = true;
                continue;
            }
            JsonNode number = n.path("line");
            int lineNumber = number.isInt() ? number.asInt() : 0;
            if (lineNumber < 1 || lineNumber > sent) {
                throw new GatewayException("bulk import answered a result for line "
                        + (number.isIntegralNumber() ? number.asText() : "(none)") + " of a manifest of " + sent);
            }
            if (answered.get(lineNumber - 1)) {
                throw new GatewayException("bulk import answered line " + lineNumber + " twice");
            }
            answered.set(lineNumber - 1);
            lines++;
            switch (n.path("result").asText("")) {
                case "PROVISIONED" -> provisioned++;
                case "ALREADY_PROVISIONED" -> {
                    already++;
                    if (alreadyLines.size() < 10) {
                        alreadyLines.add(lineNumber - 1);
                    }
                }
                default -> {
                    failed++;
                    if (n.path("error").asText("").equals("UNAVAILABLE")) {
                        retryable.add(lineNumber - 1);
                    }
                    if (failures.size() < 10) {
                        failures.add("line " + n.path("line").asText("?") + ": " + n.path("error").asText("?")
                                + " " + n.path("message").asText(""));
                    }
                }
            }
        }
        if (lines != sent || !summary) {
            // lines answered are provisioned, the others are not (docs/http-api.md): a re-run completes it
            throw new GatewayException("bulk import answered " + lines + " of the " + sent + " lines sent"
                    + (summary ? "" : " and no summary") + ": the answer was cut short (did the node fail?)");
        }
        return new ImportResult(lines, provisioned, already, failed, failures, retryable, alreadyLines);
    }
}
