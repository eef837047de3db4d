package org.microcert.simulator.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import org.microcert.protocol.CipherSuite;
import org.microcert.simulator.fleet.FleetLoader;
import org.microcert.simulator.fleet.TransportKeyFile;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.traffic.TrafficKind;
import org.microcert.simulator.traffic.TrafficMix;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The virtual fleet and how it is provisioned (shared by run and bench). */
public final class FleetOptions {

    @Option(names = {"-n", "--sensors"}, defaultValue = "1000", paramLabel = "N",
            description = "Virtual sensors making the good traffic (default: ${DEFAULT-VALUE}).")
    int sensors;

    @Option(names = "--suite", defaultValue = "AES128", paramLabel = "SUITE",
            description = "Cipher suite of the sensors: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    CipherSuite suite;

    @Option(names = "--revoked-sensors", defaultValue = "10", paramLabel = "N",
            description = "Extra sensors provisioned then revoked, for revoked-sensor traffic (default: ${DEFAULT-VALUE}).")
    int revoked;

    @Option(names = "--expired-seed-sensors", defaultValue = "10", paramLabel = "N",
            description = "Extra sensors provisioned with seeds whose five years are over, for expired-seed traffic "
                    + "(default: ${DEFAULT-VALUE}).")
    int expired;

    @Option(names = "--unknown-sensors", defaultValue = "16", paramLabel = "N",
            description = "Sensors never provisioned, for unknown-sensor traffic (default: ${DEFAULT-VALUE}).")
    int unknown;

    @Option(names = "--fleet-seed", paramLabel = "NUMBER",
            description = {"Derive the sensor ids and seeds from this number, so that a fleet provisioned once can be "
                    + "driven again (re-runs find it ALREADY_PROVISIONED). Keep --sensors and the role counts the same. "
                    + "Default: a fresh random fleet each run."})
    Long fleetSeed;

    @Option(names = "--transport-key", paramLabel = "FILE", required = true,
            description = {"The factory export of K_trans (made by the key ceremony): the simulator plays the factory "
                    + "station that loads K_trans into each chip to seal its first seed. Its password comes from "
                    + "MICROCERT_TRANSPORT_KEY_PASSWORD or --transport-key-password-file."})
    Path transportKey;

    @Option(names = "--transport-key-password-file", paramLabel = "FILE",
            description = "File holding the password of the --transport-key export.")
    Path transportKeyPassword;

    @Option(names = "--import-chunk", defaultValue = "1000", paramLabel = "N",
            description = {"Manifest lines per bulk-import request (default: ${DEFAULT-VALUE}). Each request's "
                    + "results come back once its whole body has been read, so smaller chunks show progress sooner."})
    int importChunk;

    @Option(names = "--import-parallelism", defaultValue = "6", paramLabel = "N",
            description = {"Bulk-import requests in flight at once, round-robin over the gateways (default: "
                    + "${DEFAULT-VALUE}); each node provisions a few lines of each request at a time."})
    int importParallelism;

    /** Provisions the fleet the mix needs (role sensors only for the kinds it contains). */
    FleetLoader.Loaded load(TrafficMix mix, GatewayClient client, PrintStream out, CommandSpec spec)
            throws InterruptedException {
        if (importChunk < 1 || importParallelism < 1) {
            throw new ParameterException(spec.commandLine(), "--import-chunk and --import-parallelism must be at least 1");
        }
        int r = count(mix, TrafficKind.REVOKED_SENSOR, revoked, "--revoked-sensors", spec);
        int e = count(mix, TrafficKind.EXPIRED_SEED, expired, "--expired-seed-sensors", spec);
        int u = count(mix, TrafficKind.UNKNOWN_SENSOR, unknown, "--unknown-sensors", spec);
        FleetLoader.Spec fleetSpec;
        try {
            fleetSpec = new FleetLoader.Spec(sensors, r, u, e, suite, fleetSeed, importChunk, importParallelism);
        } catch (IllegalArgumentException ex) {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        byte[] kTrans = TransportKeyFile.load(transportKey, transportKeyPassword);
        try {
            return FleetLoader.load(fleetSpec, kTrans, client, out);
        } finally {
            Arrays.fill(kTrans, (byte) 0);
        }
    }

    private static int count(TrafficMix mix, TrafficKind kind, int n, String option, CommandSpec spec) {
        if (!mix.includes(kind)) {
            return 0;
        }
        if (n < 1) {
            throw new ParameterException(spec.commandLine(), kind.label() + " traffic needs " + option + " of at least 1");
        }
        return n;
    }
}
