package org.microcert.cluster.node;

import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.microcert.cluster.http.JournalProbe;
import org.microcert.cluster.http.Readiness;

/** Readiness from this node's cluster membership and the journal probe. */
final class ClusterReadiness implements Readiness {

    private final Cluster cluster;
    private final JournalProbe probe;

    ClusterReadiness(Cluster cluster, JournalProbe probe) {
        this.cluster = cluster;
        this.probe = probe;
    }

    @Override
    public boolean clusterUp() {
        return cluster.selfMember().status() == MemberStatus.up();
    }

    @Override
    public String clusterStatus() {
        return cluster.selfMember().status().toString();
    }

    @Override
    public boolean journalUp() {
        return probe.isUp();
    }

    @Override
    public int upMembers() {
        int n = 0;
        for (Member m : cluster.state().getMembers()) {
            n += m.status() == MemberStatus.up() ? 1 : 0;
        }
        return n;
    }

    /** Members this node's failure detector marks unreachable. */
    int unreachableMembers() {
        return cluster.state().getUnreachable().size();
    }
}
