package org.microcert.simulator.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Once a second, {@code GET /health/ready} of every gateway (what an operator's load balancer sees),
 * one {@code health} record each; flushes the history every second, so that a run cut short still
 * leaves its record up to its last second.
 */
final class HealthSampler implements Runnable {

    private final List<URI> gateways;
    private final HttpClient http;
    private final History.Writer history;
    volatile boolean stop;

    HealthSampler(List<URI> gateways, HttpClient http, History.Writer history) {
        this.gateways = gateways;
        this.http = http;
        this.history = history;
    }

    @Override
    public void run() {
        while (!stop) {
            long t = System.currentTimeMillis();
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int i = 0; i < gateways.size(); i++) {
                int gw = i;
                HttpRequest req = HttpRequest.newBuilder(gateways.get(i).resolve("/health/ready"))
                        .timeout(Duration.ofMillis(900)).GET().build();
                all.add(http.sendAsync(req, HttpResponse.BodyHandlers.discarding()).handle((resp, e) -> {
                    String result = e != null ? "FAILED" : resp.statusCode() == 200 ? "READY" : "NOT_READY";
                    history.write(new History("health", t, System.currentTimeMillis(), gw + 1, null, null, -1, result,
                            e != null ? e.getClass().getSimpleName() : null));
                    return null;
                }));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            try {
                history.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (!LabWorkload.sleep(Math.max(0, 1000 - (System.currentTimeMillis() - t)))) {
                return;
            }
        }
    }
}
