package org.microcert.cluster.sensor;

import java.time.Instant;
import java.time.ZoneOffset;
import org.microcert.persistence.card.SealedSeed;
import org.microcert.protocol.KeySeed;

/**
 * Which first seeds a sensor may be provisioned with (docs/http-api.md, "Provisioning policy"): a
 * chip makes seed version 1 with the current year as its epoch (docs/protocol.md section 8), so any
 * other TRANSPORT seed is a factory fault or a replayed old envelope. Seeds whose five years have not
 * begun are always refused (no certificate could verify before then). An operator importing sensors
 * made elsewhere (older versions, or a test fleet with expired seeds) says so per call
 * ({@code legacy-seeds=accept}, audited); that lifts the version and the "not over" rule only.
 */
final class ProvisioningPolicy {

    private ProvisioningPolicy() {}

    /** Why {@code sealed} may not be a first seed at {@code now}, or null. */
    static String refusal(SealedSeed sealed, Instant now, boolean acceptLegacy) {
        int year = now.atZone(ZoneOffset.UTC).getYear();
        if (sealed.epochYear() > year) {
            return "the seed's five years begin in " + sealed.epochYear() + ": no certificate could verify before then";
        }
        if (acceptLegacy) {
            return null;
        }
        if (sealed.seedVersion() != 1) {
            return "a first seed is version 1, this one is version " + sealed.seedVersion()
                    + " (an import of sensors made elsewhere: legacy-seeds=accept)";
        }
        if (year > sealed.epochYear() + KeySeed.LIFETIME_YEARS - 1) {
            return "the seed's five years ended in " + (sealed.epochYear() + KeySeed.LIFETIME_YEARS - 1)
                    + " (an import of such sensors: legacy-seeds=accept)";
        }
        return null;
    }
}
