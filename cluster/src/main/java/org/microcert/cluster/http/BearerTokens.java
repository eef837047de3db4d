package org.microcert.cluster.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator credentials: bearer tokens stored only as SHA-256 hashes, each with a role and a name.
 *
 * <p>Tokens file, one line each ({@code #} comments and blank lines ignored):
 * <pre>  &lt;64 hex digits: sha-256 of the token&gt; &lt;operator|auditor&gt; &lt;name&gt; [expires=&lt;ISO-8601 instant&gt;]</pre>
 * The expiry is optional, so files of the earlier three-field format keep working. The file is
 * re-read by {@link #reloadIfChanged} (the node checks it periodically): a file that does not parse
 * keeps the tokens loaded before, with one warning line per bad version of the file.
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

    private static final Logger LOG = LoggerFactory.getLogger(BearerTokens.class);
    /** RFC 6750's b64token: what a bearer token may consist of (no space, no control character). */
    private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9._~+/-]+=*");

    /** A stored token: who it is and until when (null: no expiry). */
    private record Entry(Principal principal, Instant expires) {}

    /** Why a header did not authenticate, as the 401 message and the failure metric name it. */
    public enum Failure {
        MISSING("missing bearer token"),
        MALFORMED("malformed Authorization header: expected exactly 'Bearer <token>'"),
        UNKNOWN("unknown bearer token"),
        EXPIRED("expired bearer token");

        private final String message;

        Failure(String message) {
            this.message = message;
        }

        public String message() {
            return message;
        }
    }

    /** The outcome of {@link #check}: a principal, or why not. */
    public record Check(Principal principal, Failure failure) {}

    private volatile Map<String, Entry> byHash;
    /** SHA-256 of the file's bytes as last read (loaded or refused), so a bad file warns once. */
    private volatile byte[] lastSeen = new byte[0];

    private BearerTokens(Map<String, Entry> byHash) {
        this.byHash = Map.copyOf(byHash);
    }

    /** No token accepted. */
    public static BearerTokens none() {
        return new BearerTokens(Map.of());
    }

    /** Loads a tokens file. */
    public static BearerTokens load(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        BearerTokens tokens = parse(lines(bytes), file.toString());
        tokens.lastSeen = digest(bytes);
        return tokens;
    }

    /**
     * Re-reads {@code file} and takes its tokens when its content changed and it parses; a file that
     * cannot be read or parsed keeps the tokens in use and is reported once (one WARN line, never a
     * token or hash).
     *
     * @return whether new tokens were taken
     */
    public synchronized boolean reloadIfChanged(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            byte[] marker = digest(("unreadable " + e.getClass().getName()).getBytes(StandardCharsets.UTF_8));
            if (!Arrays.equals(marker, lastSeen)) {
                lastSeen = marker;
                LOG.warn("tokens file {} not reloaded ({}): keeping the {} tokens loaded before", file,
                        e.getClass().getSimpleName(), byHash.size());
            }
            return false;
        }
        byte[] d = digest(bytes);
        if (Arrays.equals(d, lastSeen)) {
            return false;
        }
        lastSeen = d;
        try {
            byHash = parse(lines(bytes), file.toString()).byHash;
            LOG.info("{} operator tokens reloaded from {}", byHash.size(), file);
            return true;
        } catch (BadTokensFileException e) {
            LOG.warn("tokens file not reloaded, keeping the {} tokens loaded before: {}", byHash.size(), e.getMessage());
            return false;
        }
    }

    private static List<String> lines(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8).lines().toList();
    }

    static BearerTokens parse(List<String> lines, String source) {
        Map<String, Entry> map = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            String where = source + " line " + (i + 1);
            if (f.length != 3 && f.length != 4) {
                throw new BadTokensFileException(where + ": expected '<sha256-hex> <role> <name> [expires=<ISO-8601 instant>]'");
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
            Instant expires = null;
            if (f.length == 4) {
                if (!f[3].startsWith("expires=")) {
                    throw new BadTokensFileException(where + ": the fourth field must be expires=<ISO-8601 instant>");
                }
                try {
                    expires = Instant.parse(f[3].substring("expires=".length()));
                } catch (DateTimeParseException e) {
                    throw new BadTokensFileException(where + ": expires must be an ISO-8601 instant such as "
                            + "2027-01-31T00:00:00Z");
                }
            }
            if (map.put(hash, new Entry(new Principal(f[2], role), expires)) != null) {
                throw new BadTokensFileException(where + ": the same token hash appears twice");
            }
        }
        return new BearerTokens(map);
    }

    /** The principal of an {@code Authorization} header value, if it is a known, unexpired bearer token. */
    public Optional<Principal> authenticate(String authorizationHeader) {
        return Optional.ofNullable(check(authorizationHeader, Instant.now()).principal());
    }

    /**
     * Checks one {@code Authorization} header value: {@code Bearer}, one space, an RFC 6750 b64token,
     * nothing else (no surrounding or inner whitespace). The scheme is matched case-insensitively, as
     * RFC 9110 section 11.1 requires (docs/security.md).
     */
    public Check check(String authorizationHeader, Instant now) {
        if (authorizationHeader == null) {
            return new Check(null, Failure.MISSING);
        }
        String h = authorizationHeader;
        if (h.length() > 1024 || h.length() < 8 || !h.regionMatches(true, 0, "Bearer ", 0, 7)
                || !B64TOKEN.matcher(h).region(7, h.length()).matches()) {
            return new Check(null, Failure.MALFORMED);
        }
        // lookup by hash: the time taken depends on the hash, never on how much of a stored token matches
        Entry e = byHash.get(sha256Hex(h.substring(7)));
        if (e == null) {
            return new Check(null, Failure.UNKNOWN);
        }
        if (e.expires() != null && !now.isBefore(e.expires())) {
            return new Check(null, Failure.EXPIRED);
        }
        return new Check(e.principal(), null);
    }

    /** The SHA-256 hex of a token, as the tokens file stores it. */
    public static String sha256Hex(String token) {
        return HexFormat.of().formatHex(digest(token.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] digest(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
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
