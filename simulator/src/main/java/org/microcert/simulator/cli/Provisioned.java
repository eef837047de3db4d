package org.microcert.simulator.cli;

import java.io.PrintStream;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.microcert.simulator.fleet.FleetLoader;
import org.microcert.simulator.gateway.GatewayClient;
import org.microcert.simulator.gateway.GatewayException;
import org.microcert.simulator.traffic.TrafficMix;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What {@code run} and {@code bench} both start from: the client's I/O pool, a client of the
 * gateways (checked ready) and the fleet the mix needs, provisioned. Closing it stops the pool.
 */
record Provisioned(ExecutorService io, GatewayClient client, FleetLoader.Loaded loaded) implements AutoCloseable {

    /**
     * @throws GatewayException a gateway is not ready or provisioning was refused
     */
    static Provisioned start(String threads, GatewayOptions gateway, FleetOptions fleet, TrafficMix mix,
                             PrintStream out, CommandSpec spec) throws InterruptedException {
        // explicit: on 2 cores the HTTP client's default executor makes a thread per callback
        ExecutorService io = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                DaemonThreads.named(threads));
        try {
            GatewayClient client = new GatewayClient(gateway.uris(), gateway.timeout, io, gateway.operatorToken());
            client.awaitReady(gateway.waitReady);
            return new Provisioned(io, client, fleet.load(mix, client, out, spec));
        } catch (RuntimeException | InterruptedException e) {
            io.shutdownNow();
            throw e;
        }
    }

    @Override
    public void close() {
        io.shutdownNow();
    }
}
