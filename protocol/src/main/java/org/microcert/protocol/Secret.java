package org.microcert.protocol;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Function;

/**
 * A password, PIN or raw key held in memory: UTF-8 bytes that {@link #close()} wipes. It never
 * prints ({@code toString} says only that it is a secret), has no value equality (use
 * {@link #sameAs}, constant-time) and is never put in an exception message. Every reader of a
 * password, PIN or key in MicroCert goes through this type, in a try-with-resources block.
 *
 * <p>Thread-safe for reading; {@link #close()} must not race a use.
 */
public final class Secret implements AutoCloseable {

    private final byte[] bytes;
    private volatile boolean wiped;

    private Secret(byte[] owned) {
        this.bytes = owned;
    }

    /** A copy of {@code chars} as UTF-8; the caller still wipes its own array. */
    public static Secret ofChars(char[] chars) {
        ByteBuffer utf8 = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
        byte[] out = Arrays.copyOfRange(utf8.array(), utf8.position(), utf8.limit());
        Arrays.fill(utf8.array(), (byte) 0);
        return new Secret(out);
    }

    /** A copy of {@code bytes} (a raw key); the caller still wipes its own array. */
    public static Secret ofBytes(byte[] bytes) {
        return new Secret(bytes.clone());
    }

    /**
     * The content of a secret file, without the whitespace (the trailing newline editors add) around
     * it. Takes {@code raw} (as read from the file) and wipes it.
     */
    public static Secret fromFileContent(byte[] raw) {
        try {
            int from = 0;
            int to = raw.length;
            while (from < to && isWhitespace(raw[from])) {
                from++;
            }
            while (to > from && isWhitespace(raw[to - 1])) {
                to--;
            }
            return new Secret(Arrays.copyOfRange(raw, from, to));
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /**
     * The value of environment variable {@code name} in {@code environment} (normally
     * {@code System::getenv}); empty when the variable is unset or empty.
     */
    public static Optional<Secret> fromEnvironment(Function<String, String> environment, String name) {
        String value = name == null || name.isBlank() ? null : environment.apply(name);
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        char[] chars = value.toCharArray();
        try {
            return Optional.of(ofChars(chars));
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f';
    }

    /** True when the secret has no bytes (an empty password). */
    public boolean isEmpty() {
        return live().length == 0;
    }

    /** A copy of the bytes; the caller wipes it. Prefer {@link #withBytes}. */
    public byte[] bytes() {
        return live().clone();
    }

    /** A copy decoded from UTF-8 (for JCE calls that take {@code char[]}); the caller wipes it. Prefer {@link #withChars}. */
    public char[] chars() {
        CharBuffer decoded = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(live()));
        char[] out = Arrays.copyOfRange(decoded.array(), decoded.position(), decoded.limit());
        Arrays.fill(decoded.array(), '\0');
        return out;
    }

    /** Runs {@code use} on a copy of the bytes and wipes the copy afterwards. */
    public <T> T withBytes(Function<byte[], T> use) {
        byte[] copy = bytes();
        try {
            return use.apply(copy);
        } finally {
            Arrays.fill(copy, (byte) 0);
        }
    }

    /** Runs {@code use} on a {@code char[]} copy and wipes the copy afterwards. */
    public <T> T withChars(Function<char[], T> use) {
        char[] copy = chars();
        try {
            return use.apply(copy);
        } finally {
            Arrays.fill(copy, '\0');
        }
    }

    /** Constant-time comparison of the two secrets' bytes. */
    public boolean sameAs(Secret other) {
        return MessageDigest.isEqual(live(), other.live());
    }

    private byte[] live() {
        if (wiped) {
            throw new IllegalStateException("the secret was already wiped");
        }
        return bytes;
    }

    /** Wipes the bytes; any later use throws. Idempotent. */
    @Override
    public void close() {
        wiped = true;
        Arrays.fill(bytes, (byte) 0);
    }

    /** Never the value. */
    @Override
    public String toString() {
        return "Secret(" + (wiped ? "wiped" : "redacted") + ")";
    }
}
