package org.microcert.simulator.gateway;

/** A failure of a set-up call, with a message meant for the person running the simulator. */
public final class GatewayException extends RuntimeException {
    public GatewayException(String message) {
        super(message);
    }
}
