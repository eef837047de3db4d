package org.microcert.simulator.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.microcert.simulator.gateway.OperatorToken;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Where the gateways are and how to talk to them (shared by run and bench). */
public final class GatewayOptions {

    @Spec(Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-g", "--gateway"}, split = ",", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
            description = {"Gateway base URL; repeat the option or separate by commas to spread the load "
                    + "round-robin over several nodes (default: ${DEFAULT-VALUE})."})
    List<String> gateways;

    @Option(names = {"-c", "--connections"}, defaultValue = "64", paramLabel = "N",
            description = {"Most requests outstanding at once, over all gateways (default: ${DEFAULT-VALUE}). "
                    + "Requests due while all are busy wait, and that wait counts in their latency."})
    int connections;

    @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Per-request timeout; a request that takes longer counts as a failure (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--wait-ready", defaultValue = "0s", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "How long to wait for every gateway's /health/ready before giving up (default: check once).")
    Duration waitReady;

    @Option(names = "--operator-token-file", paramLabel = "FILE",
            description = {"File holding the operator bearer token (needed to provision and revoke). "
                    + "Or set MICROCERT_OPERATOR_TOKEN. Not a command-line value, so it never shows in ps."})
    Path operatorTokenFile;

    /**
     * Every gateway option, checked before anything is sent (exit 2 naming the option). A negative
     * --wait-ready never gets here: {@link DurationConverter} refuses it while parsing.
     */
    void check() {
        uris();
        OptionChecks.require(spec, timeout.compareTo(Duration.ofMillis(1)) >= 0,
                "--timeout must be at least 1ms, not " + timeout.toMillis() + "ms");
        operatorToken();
    }

    List<URI> uris() {
        List<URI> out = new ArrayList<>();
        java.util.Map<String, String> seen = new java.util.HashMap<>();
        for (String g : gateways) {
            URI u;
            try {
                u = URI.create(g.trim());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--gateway '" + g + "' is not a URL");
            }
            String problem = urlProblem(u);
            if (problem != null) {
                throw new ParameterException(spec.commandLine(), "--gateway '" + g + "' " + problem);
            }
            // the same node twice would get twice the share of the load round-robin
            String earlier = seen.putIfAbsent(origin(u), g);
            if (earlier != null) {
                throw new ParameterException(spec.commandLine(), "--gateway '" + g + "' is the same gateway as '"
                        + earlier + "': give each once");
            }
            out.add(u);
        }
        if (connections < 1) {
            throw new ParameterException(spec.commandLine(), "--connections must be at least 1");
        }
        return out;
    }

    /** Why {@code u} cannot be the base URL of a server the simulator talks to, or null. */
    static String urlProblem(URI u) {
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
            return "must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080";
        }
        // the API's paths are absolute (/v1/...): a path here would be dropped without a word
        if (!(u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/"))
                || u.getRawQuery() != null || u.getRawFragment() != null) {
            return "must be a base URL without a path, query or fragment, e.g. http://127.0.0.1:8080";
        }
        return null;
    }

    /** scheme://host:port, the port spelled out: two spellings of one gateway compare equal. */
    private static String origin(URI u) {
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        int port = u.getPort() != -1 ? u.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    }

    /** The token, or null when none is configured. */
    String operatorToken() {
        if (operatorTokenFile != null) {
            String token;
            try {
                token = Files.readString(operatorTokenFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "cannot read --operator-token-file " + operatorTokenFile
                        + ": " + e.getMessage());
            }
            return checked(token, "--operator-token-file " + operatorTokenFile);
        }
        String env = System.getenv("MICROCERT_OPERATOR_TOKEN");
        return env == null || env.isBlank() ? null : checked(env.strip(), "MICROCERT_OPERATOR_TOKEN");
    }

    /** Refused before anything is sent; the message names the source, never the token. */
    private String checked(String token, String source) {
        String problem = OperatorToken.problem(token);
        if (problem != null) {
            throw new ParameterException(spec.commandLine(), "the operator token in " + source + " " + problem);
        }
        return token;
    }
}
