package org.microcert.simulator.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Reads {@code 30s}, {@code 500ms}, {@code 5m}, {@code 1h} or a plain number of seconds, each with
 * an optional fraction ({@code 1.5s}). Nothing else: Double.parseDouble, used before, also took
 * {@code 1d} and {@code 1f} (as 1 second), exponents and negatives.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");
    /** Longer than any run or timeout; far below what Duration.toNanos() can hold (292 years). */
    static final Duration MAX = Duration.ofDays(1000);

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    public static Duration parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.startsWith("-")) {
            throw new CommandLine.TypeConversionException("'" + value + "' is negative: a duration is 0 or more");
        }
        Matcher m = FORM.matcher(v);
        if (!m.matches()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 30s, 500ms, 1.5m, 1h)");
        }
        long unitMillis = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> 1;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> 1_000;
        };
        BigDecimal millis = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitMillis));
        if (millis.compareTo(BigDecimal.valueOf(MAX.toMillis())) > 0) {
            throw new CommandLine.TypeConversionException("'" + value + "' is too long: at most " + MAX.toDays() + " days");
        }
        return Duration.ofMillis(millis.setScale(0, RoundingMode.HALF_UP).longValueExact());
    }

    /** How option errors and console lines show a duration: whole seconds as "30 s", else "500 ms". */
    public static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
