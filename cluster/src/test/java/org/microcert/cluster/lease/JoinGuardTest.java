package org.microcert.cluster.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.junit.jupiter.api.Test;

class JoinGuardTest {

    static final Address N1 = AddressFromURIString.parse("pekko://MicroCert@10.0.0.1:2551");
    static final Address N2 = AddressFromURIString.parse("pekko://MicroCert@10.0.0.2:2551");
    static final Address N3 = AddressFromURIString.parse("pekko://MicroCert@10.0.0.3:2551");

    @Test
    void withNoOtherLiveNodeTheConfiguredSeedsAreJoinedAsTheyAre() {
        assertEquals(List.of(N1, N2), JoinGuard.joinOrder(List.of(N1, N2), N1, Set.of()));
    }

    @Test
    void withAnotherLiveNodeTheFirstSeedGoesLastSoItCanOnlyJoin() {
        assertEquals(List.of(N2, N1), JoinGuard.joinOrder(List.of(N1, N2), N1, Set.of(N2)));
        // a single-seed list names nobody else: the live nodes from the terms come first
        assertEquals(List.of(N3, N2, N1), JoinGuard.joinOrder(List.of(N1), N1, new LinkedHashSet<>(List.of(N3, N2))));
    }
}
