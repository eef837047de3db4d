package org.microcert.cluster.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Operator credentials: bearer tokens stored only as SHA-256 hashes, each with a role and a name.
 *
 * <p>Tokens file, one line each ({@code #} comments and blank lines ignored):
 * <pre>  &lt;64 hex digits: sha-256 of the token&gt; &lt;operator|auditor&gt; &lt;name&gt;</pre>
 * Tokens are long random strings (e.g. {@code openssl rand -hex 32}), so a fast hash is enough: there
 * is nothing to guess. Lookup is by hash, so response time depends only on the hash of the presented
 * token, never on how much of a stored token it matches.
 */
public final class BearerTokens {

    /** Roles of the operator API (docs/http-api.md). */
    public enum Role {
        OPERATOR, AUDITOR;

        /** The name as in the tokens file and the audit trail ({@code auditor}, whatever the default locale). */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Who called: the token's name (for the audit trail) and role. Never the token. */
    public record Principal(String name, Role role) {}

    /** A tokens file that cannot be used, with the line at fault. */
    public static final class BadTokensFileException extends RuntimeException {
        BadTokensFileException(String message) {
            super(message);
        }
    }

    private final Map<String, Principal> byHash;

    private BearerTokens(Map<String, Principal> byHash) {
        this.byHash = Map.copyOf(byHash);
    }

    /** No token accepted. */
    public static BearerTokens none() {
        return new BearerTokens(Map.of());
    }

    /** Loads a tokens file. */
    public static BearerTokens load(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
    }

    static BearerTokens parse(List<String> lines, String source) {
        Map<String, Principal> map = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            String where = source + " line " + (i + 1);
            if (f.length != 3) {
                throw new BadTokensFileException(where + ": expected '<sha256-hex> <role> <name>'");
            }
            String hash = f[0].toLowerCase(Locale.ROOT);
            // ASCII only: Character.digit also takes e.g. full-width digits, which no sha256Hex ever matches
            if (hash.length() != 64 || !hash.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                throw new BadTokensFileException(where + ": the hash must be 64 hex digits (sha-256, 0-9 and a-f)");
            }
            Role role;
            try {
                role = Role.valueOf(f[1].toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new BadTokensFileException(where + ": unknown role '" + f[1] + "' (operator or auditor)");
            }
            if (map.put(hash, new Principal(f[2], role)) != null) {
                throw new BadTokensFileException(where + ": the same token hash appears twice");
            }
        }
        return new BearerTokens(map);
    }

    /** The principal of an {@code Authorization} header value, if it is a known bearer token. */
    public Optional<Principal> authenticate(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.length() > 1024) {
            return Optional.empty();
        }
        String h = authorizationHeader.strip();
        if (h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        String token = h.substring(7).strip();
        return token.isEmpty() ? Optional.empty() : Optional.ofNullable(byHash.get(sha256Hex(token)));
    }

    /** The SHA-256 hex of a token, as the tokens file stores it. */
    public static String sha256Hex(String token) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    public int size() {
        return byHash.size();
    }

    @Override
    public String toString() {
        return "BearerTokens[" + byHash.size() + " tokens]";
    }
}
