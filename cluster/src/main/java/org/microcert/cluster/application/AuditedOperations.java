package org.microcert.cluster.application;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.microcert.cluster.backup.BackupRefused;
import org.microcert.cluster.metrics.Metrics;
import org.microcert.cluster.trail.AuditRecord;
import org.microcert.cluster.trail.AuditTrail;
import org.microcert.protocol.Failures;
import org.microcert.protocol.SensorId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit-first rule, in one place. No key-management change without an audit record: the intent
 * ({@code REQUESTED}) is written first and the operation runs only once it is stored; if it cannot be
 * stored the call fails with {@link KeyOperationRefused.Reason#AUDIT_UNAVAILABLE} and nothing is
 * asked of the sensor. After the operation its outcome is recorded; when that write fails the change
 * has still happened, so the answer stays the operation's own, marked
 * {@link Audited#outcomeUnrecorded()} (counted, logged without secrets).
 */
public final class AuditedOperations {

    /** The marker of an answer whose outcome is not in the audit trail (JSON {@code auditWarning}). */
    public static final String OUTCOME_UNRECORDED = "AUDIT_OUTCOME_NOT_RECORDED";

    private static final Logger LOG = LoggerFactory.getLogger(AuditedOperations.class);
    /** Continuations here are short and non-blocking: run them where the future completes. */
    static final Executor SAME_THREAD = Runnable::run;

    /** An operation's reply, and whether its outcome record could not be written. */
    public record Audited<T>(T reply, boolean outcomeUnrecorded) {}

    private final AuditTrail trail;
    private final Metrics metrics;

    public AuditedOperations(AuditTrail trail, Metrics metrics) {
        this.trail = trail;
        this.metrics = metrics;
    }

    /** Runs {@code op} between its intent and outcome records; {@code resultOf} names a reply's result. */
    public <T> CompletionStage<Audited<T>> run(Operator p, String action, SensorId id, String detail, String requestId,
                                               Supplier<CompletionStage<T>> op, Function<T, String> resultOf) {
        return recordIntent(p, action, id, detail, requestId).thenComposeAsync(ok -> start(op), SAME_THREAD)
                .handleAsync((reply, failure) -> {
                    if (failure != null && Failures.cause(failure) instanceof KeyOperationRefused r
                            && r.reason() == KeyOperationRefused.Reason.AUDIT_UNAVAILABLE) {
                        return CompletableFuture.<Audited<T>>failedFuture(r);
                    }
                    String result = failure != null ? failureCode(failure) : resultOf.apply(reply);
                    metrics.keyOperation(action, result);
                    return store(record(p, action, id, result, detail, requestId)).handleAsync((ok, auditFailure) -> {
                        if (auditFailure != null) {
                            metrics.auditOutcomeUnrecorded(action);
                            LOG.error("request {}: the outcome {} of {} on sensor {} is not in the audit trail ({})",
                                    requestId, result, action, id, Failures.cause(auditFailure).getClass().getSimpleName());
                        }
                        if (failure != null) {
                            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
                        }
                        return new Audited<>(reply, auditFailure != null);
                    }, SAME_THREAD);
                }, SAME_THREAD).thenComposeAsync(Function.identity(), SAME_THREAD);
    }

    /** The intent record; fails with {@code AUDIT_UNAVAILABLE} (counted, logged) when it cannot be stored. */
    CompletionStage<Void> recordIntent(Operator p, String action, SensorId id, String detail, String requestId) {
        return store(record(p, action, id, "REQUESTED", detail, requestId)).handleAsync((ok, failure) -> {
            if (failure != null) {
                metrics.keyOperation(action, "AUDIT_UNAVAILABLE");
                LOG.error("request {}: {} refused, its audit intent could not be stored ({})", requestId, action,
                        Failures.cause(failure).getClass().getSimpleName());
                throw KeyOperationRefused.auditUnavailable();
            }
            return ok;
        }, SAME_THREAD);
    }

    /** An outcome record of an operation without a single sensor; completes with whether it was stored. */
    CompletionStage<Boolean> recordOutcome(Operator p, String action, String result, String detail, String requestId) {
        metrics.keyOperation(action, result);
        return store(record(p, action, null, result, detail, requestId)).handleAsync((ok, f) -> {
            if (f != null) {
                metrics.auditOutcomeUnrecorded(action);
                LOG.error("request {}: the outcome of {} is not in the audit trail", requestId, action);
            }
            return f == null;
        }, SAME_THREAD);
    }

    /**
     * The stable code of a failed operation, as recorded and answered: the refusal's own, {@code
     * UNAVAILABLE} for a timeout, {@code INTERNAL} otherwise.
     */
    public static String failureCode(Throwable failure) {
        Throwable t = Failures.cause(failure);
        if (t instanceof TimeoutException) {
            return "UNAVAILABLE";
        }
        if (t instanceof KeyOperationRefused r) {
            return r.reason().name();
        }
        return t instanceof BackupRefused b ? b.reason().name() : "INTERNAL";
    }

    /** Runs {@code op}, turning a synchronous throw into a failed stage. */
    private static <T> CompletionStage<T> start(Supplier<CompletionStage<T>> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletionStage<Void> store(AuditRecord r) {
        try {
            return trail.record(r);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static AuditRecord record(Operator p, String action, SensorId id, String result, String detail,
                                      String requestId) {
        return new AuditRecord(Instant.now(), p.name(), p.role(), action, id == null ? null : id.toString(), result,
                detail, requestId);
    }
}
