package org.microcert.persistence.schema;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How the journal and snapshot keyspaces are replicated: {@code SimpleStrategy} with one factor
 * (a local single node: {@code simple:1}) or {@code NetworkTopologyStrategy} with a factor per data
 * center (production: {@code dc1:3,dc2:3}).
 */
public record Replication(Map<String, Integer> dataCenterFactors, int simpleFactor) {

    public Replication {
        dataCenterFactors = Map.copyOf(dataCenterFactors);
    }

    public static Replication simple(int factor) {
        requireFactor(factor);
        return new Replication(Map.of(), factor);
    }

    public static Replication networkTopology(Map<String, Integer> factors) {
        if (factors.isEmpty()) {
            throw new SchemaException("NetworkTopologyStrategy needs at least one data center");
        }
        factors.forEach((dc, f) -> {
            if (!dc.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new SchemaException("'" + dc + "' is not a data center name");
            }
            requireFactor(f);
        });
        return new Replication(new LinkedHashMap<>(factors), 0);
    }

    /**
     * Parses {@code simple:N} or {@code DC:N[,DC:N...]}.
     *
     * @throws SchemaException naming what is wrong
     */
    public static Replication parse(String text) {
        if (text == null || text.isBlank()) {
            throw new SchemaException("replication is empty; use simple:1 or dc1:3[,dc2:3]");
        }
        Map<String, Integer> factors = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            String[] kv = part.trim().split(":");
            if (kv.length != 2) {
                throw new SchemaException("'" + part + "' is not NAME:FACTOR; use simple:1 or dc1:3[,dc2:3]");
            }
            int factor;
            try {
                factor = Integer.parseInt(kv[1].trim());
            } catch (NumberFormatException e) {
                throw new SchemaException("replication factor '" + kv[1] + "' is not a number");
            }
            if (factors.put(kv[0].trim(), factor) != null) {
                throw new SchemaException("data center '" + kv[0] + "' given twice");
            }
        }
        if (factors.containsKey("simple")) {
            if (factors.size() != 1) {
                throw new SchemaException("simple:N cannot be combined with data centers");
            }
            return simple(factors.get("simple"));
        }
        return networkTopology(factors);
    }

    /** The CQL replication map. */
    public String toCql() {
        if (dataCenterFactors.isEmpty()) {
            return "{ 'class' : 'SimpleStrategy', 'replication_factor' : " + simpleFactor + " }";
        }
        return "{ 'class' : 'NetworkTopologyStrategy', " + dataCenterFactors.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> "'" + e.getKey() + "' : " + e.getValue()).collect(Collectors.joining(", ")) + " }";
    }

    private static void requireFactor(int factor) {
        if (factor < 1 || factor > 20) {
            throw new SchemaException("replication factor " + factor + " is not in 1..20");
        }
    }
}
