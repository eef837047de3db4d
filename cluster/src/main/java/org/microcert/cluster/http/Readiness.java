package org.microcert.cluster.http;

/** What the readiness probe reports (the port the composition root implements from the cluster and journal probe). */
public interface Readiness {
    /** True when this node is an Up cluster member. */
    boolean clusterUp();

    /** The member status name, for the readiness body. */
    String clusterStatus();

    /** True when the last journal probe answered. */
    boolean journalUp();

    /** Cluster members with status Up, as this node sees them. */
    int upMembers();

    /** Ready for traffic: an Up member whose journal answers (GET /health/ready, the management /ready). */
    default boolean ready() {
        return clusterUp() && journalUp();
    }

    /** Answers 503 at once while the key database does not answer, instead of letting asks time out. */
    default void requireJournal() {
        if (!journalUp()) {
            throw ApiError.unavailable("the key database is not answering; retry later");
        }
    }
}
