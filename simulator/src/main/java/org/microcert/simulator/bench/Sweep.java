package org.microcert.simulator.bench;

import static org.microcert.simulator.bench.BenchResults.round;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.microcert.simulator.report.ReportWriter;

/** The steps of one sweep and the best sustained one. */
final class Sweep {

    private final String name;
    private final ArrayNode steps = ReportWriter.json().createArrayNode();
    private double maxRate;
    private double maxItems;
    private double peakAnswered;
    private double peakItems;
    /** CPU and answered items of the step measured last, and of the best sustained one. */
    private Map<String, Double> lastCores = Map.of();
    private double lastAnsweredItems;
    private Map<String, Double> bestCores = Map.of();
    private double bestAnsweredItems;

    Sweep(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    ArrayNode steps() {
        return steps;
    }

    /** A step was measured: its CPU and answered items, and its answered rates for the peaks. */
    void measured(Map<String, Double> cores, double answered, double items) {
        peakAnswered = Math.max(peakAnswered, answered);
        peakItems = Math.max(peakItems, items);
        lastCores = cores;
        lastAnsweredItems = items;
    }

    /** The step measured last was sustained at {@code rate} ({@code items} per second). */
    void pass(double rate, double items) {
        maxRate = rate;
        maxItems = items;
        bestCores = lastCores;
        bestAnsweredItems = lastAnsweredItems;
    }

    /** The best answered rate of any step, sustained or not (what the target could do at all). */
    double peakAnswered() {
        return peakAnswered;
    }

    double peakItems() {
        return peakItems;
    }

    double maxRate() {
        return maxRate;
    }

    double maxItemsPerSecond() {
        return maxItems;
    }

    Map<String, Double> bestCores() {
        return bestCores;
    }

    double bestAnsweredItems() {
        return bestAnsweredItems;
    }

    ObjectNode json() {
        ObjectNode n = ReportWriter.json().createObjectNode();
        n.put("name", name).put("maxSustainedRate", round(maxRate)).put("maxSustainedItemsPerSecond", round(maxItems))
                .put("peakAnsweredPerSecond", round(peakAnswered)).put("peakItemsPerSecond", round(peakItems));
        ObjectNode cores = n.putObject("cpuCoresAtMaxSustained");
        bestCores.forEach((process, c) -> cores.put(process, round(c)));
        n.set("steps", steps);
        return n;
    }
}
