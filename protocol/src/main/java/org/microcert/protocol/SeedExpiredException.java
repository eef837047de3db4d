package org.microcert.protocol;

/**
 * A CSK derivation was asked for a timestamp outside the five calendar years (UTC) that the key
 * seed covers, counted from its epoch year. The seed must be replaced (a seed update) before the
 * sensor can authenticate again.
 */
public final class SeedExpiredException extends ProtocolException {

    private final int year;
    private final int epochYear;

    public SeedExpiredException(int year, int epochYear) {
        super("key seed with epoch year " + epochYear + " does not cover year " + year
                + " (valid " + epochYear + ".." + (epochYear + KeySeed.LIFETIME_YEARS - 1) + ")");
        this.year = year;
        this.epochYear = epochYear;
    }

    /** The UTC year of the rejected timestamp. */
    public int year() {
        return year;
    }

    /** The epoch year of the seed. */
    public int epochYear() {
        return epochYear;
    }
}
