package org.microcert.cluster.sensor;

import java.util.ArrayDeque;

/**
 * The node-wide permits for recoveries of sensor ids not known to be provisioned
 * ({@link ProvisionedSensors}): at most {@code maxConcurrent} such recoveries at once, at most
 * {@code maxWaiting} more waiting for one (first come, first served); beyond that a request is
 * refused, and its device call answered {@code UNAVAILABLE} without any read. So a flood of random
 * ids holds at most {@code maxConcurrent} of Pekko's {@code max-concurrent-recoveries}, and the key
 * database sees at most that many such recoveries in flight, whatever the flood's rate.
 *
 * <p>A {@link Ticket} is released exactly once whatever happens to its holder: when its recovery
 * completes, when its entity stops, or when a waiting holder gives up; a release hands the permit
 * to the next waiter. Short critical sections under one lock: only unknown-id recoveries come here.
 */
final class RecoveryPermits {

    private enum State { WAITING, HELD, DONE }

    /** One request for a permit. */
    final class Ticket {
        private State state;
        private final Runnable onGrant;

        private Ticket(State state, Runnable onGrant) {
            this.state = state;
            this.onGrant = onGrant;
        }

        /** Whether the permit is held (else the ticket waits, or is done). */
        boolean held() {
            synchronized (RecoveryPermits.this) {
                return state == State.HELD;
            }
        }

        /** Gives the permit back, or leaves the queue; idempotent. */
        void release() {
            Ticket next = null;
            synchronized (RecoveryPermits.this) {
                if (state == State.WAITING) {
                    waiting.remove(this);
                } else if (state == State.HELD) {
                    next = waiting.poll();
                    if (next == null) {
                        inUse--;
                    } else {
                        next.state = State.HELD; // the permit passes on
                    }
                }
                state = State.DONE;
            }
            if (next != null) {
                next.onGrant.run();
            }
        }
    }

    private final int maxConcurrent;
    private final int maxWaiting;
    private final ArrayDeque<Ticket> waiting = new ArrayDeque<>();
    private int inUse;
    private int peak;

    RecoveryPermits(int maxConcurrent, int maxWaiting) {
        this.maxConcurrent = maxConcurrent;
        this.maxWaiting = maxWaiting;
    }

    /**
     * A held ticket, or a waiting one whose {@code onGrant} runs (on the releasing thread) once it
     * holds the permit, or null: refused, the queue is full.
     */
    synchronized Ticket request(Runnable onGrant) {
        if (inUse < maxConcurrent) {
            inUse++;
            peak = Math.max(peak, inUse);
            return new Ticket(State.HELD, onGrant);
        }
        if (waiting.size() >= maxWaiting) {
            return null;
        }
        Ticket t = new Ticket(State.WAITING, onGrant);
        waiting.add(t);
        return t;
    }

    synchronized int inUse() {
        return inUse;
    }

    /** The most permits ever held at once. */
    synchronized int peak() {
        return peak;
    }

    synchronized int waiting() {
        return waiting.size();
    }
}
