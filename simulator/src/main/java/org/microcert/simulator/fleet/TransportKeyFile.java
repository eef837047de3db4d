package org.microcert.simulator.fleet;

import java.nio.file.Path;
import org.microcert.simulator.gateway.GatewayClient.GatewayException;

/** Reads the factory export of K_trans. */
public final class TransportKeyFile {

    private TransportKeyFile() {}

    /** @return the 32 raw bytes of K_trans; the caller wipes them */
    public static byte[] load(Path file, Path passwordFile) {
        throw new GatewayException("reading " + file + ": the factory export format is not wired yet");
    }
}
