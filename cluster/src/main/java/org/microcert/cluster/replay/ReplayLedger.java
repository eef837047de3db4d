package org.microcert.cluster.replay;

import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One replay reservation for all busy sensors of a node (docs/cluster.md "Replay ledger"). Without
 * it each busy sensor journals a reservation of its own every {@code reservation-ahead}: 10,000
 * sensors talking every 10 s cost 300-400 Cassandra writes a second, and a sixth to a third of
 * their certificates waited for one. With it the node renews one row, its session, ahead of the
 * clock; an entity journals once that it joined the session ({@code ReplayLedgerJoined}) and then
 * accepts timestamps up to the session's durable reservation without writing. After a crash its
 * floor is at least the session's last durable reservation, read back by whichever node recovers it.
 */
public interface ReplayLedger {

    /** This node's session id; null when the node renews no session (each entity then reserves on its own). */
    String session();

    /**
     * Whether sensors may join this node's session now: only while every cluster member can read a
     * membership (docs/cluster.md "Replay ledger", rolling upgrades).
     */
    default boolean joinable() {
        return session() != null;
    }

    /**
     * The epoch second up to which this node's session is durably reserved, or
     * {@link Long#MIN_VALUE} before its first write succeeded. Never decreases.
     */
    long durableUntil();

    /**
     * The durable reservation of {@code session} (this node's or another's, running or ended): every
     * timestamp accepted under it is at most this. Empty when the ledger holds no such session.
     */
    CompletionStage<OptionalLong> reservedUntil(String session);

    /** No ledger: entities journal their own reservations (tests, journals other than Cassandra). */
    ReplayLedger NONE = new ReplayLedger() {
        @Override
        public String session() {
            return null;
        }

        @Override
        public long durableUntil() {
            return Long.MIN_VALUE;
        }

        @Override
        public CompletionStage<OptionalLong> reservedUntil(String session) {
            return CompletableFuture.completedFuture(OptionalLong.empty());
        }
    };
}
