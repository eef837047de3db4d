package org.microcert.simulator.run;

/** The sensors' clock: a certificate carries the second it was made, as a real sensor's does. */
public final class WallClock {

    private WallClock() {}

    public static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }
}
