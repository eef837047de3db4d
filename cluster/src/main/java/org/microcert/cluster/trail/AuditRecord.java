package org.microcert.cluster.trail;

import java.time.Instant;
import java.util.Objects;

/**
 * One audit-trail entry: who ({@code actor}, the operator token's name, and its {@code role}) did what
 * ({@code action} on {@code sensorId}, with {@code result} OK or an error code) and when. Carries no
 * secret: never a token, key, seed or envelope.
 *
 * @param sensorId 16 hex digits, or null for operations not about one sensor (backup, refused login)
 * @param detail   free text (revocation reason, import line number), or null
 */
public record AuditRecord(Instant time, String actor, String role, String action, String sensorId,
                          String result, String detail, String requestId) {

    public AuditRecord {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(result, "result");
        actor = clean(actor);
        detail = clean(detail);
    }

    /** Strips control characters so a value typed by a caller cannot forge extra log lines. */
    private static String clean(String s) {
        if (s == null) {
            return null;
        }
        String t = s.codePoints().filter(c -> !Character.isISOControl(c))
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return t.length() > 200 ? t.substring(0, 200) : t;
    }

    /** The one-line form written to the {@code microcert.audit} log. */
    public String toLogLine() {
        return "action=" + action + " result=" + result + " actor=" + actor + " role=" + role
                + " sensor=" + sensorId + " request=" + requestId + (detail == null ? "" : " detail=\"" + detail + "\"");
    }
}
