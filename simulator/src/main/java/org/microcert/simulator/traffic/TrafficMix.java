package org.microcert.simulator.traffic;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * How requests are drawn: relative weights over the good operations, plus a share of adversarial
 * requests spread evenly over the chosen adversarial kinds. Immutable; {@link #pick} is thread-safe
 * given a per-thread random generator.
 */
public final class TrafficMix {

    private final Map<TrafficKind, Double> probabilities;
    private final TrafficKind[] kinds;
    private final double[] cumulative;

    private TrafficMix(Map<TrafficKind, Double> probabilities) {
        this.probabilities = Map.copyOf(probabilities);
        List<TrafficKind> ks = new ArrayList<>();
        List<Double> cum = new ArrayList<>();
        double acc = 0;
        for (TrafficKind k : TrafficKind.values()) {
            double p = probabilities.getOrDefault(k, 0.0);
            if (p > 0) {
                acc += p;
                ks.add(k);
                cum.add(acc);
            }
        }
        this.kinds = ks.toArray(TrafficKind[]::new);
        this.cumulative = cum.stream().mapToDouble(Double::doubleValue).toArray();
        cumulative[cumulative.length - 1] = 1.0; // absorb rounding
    }

    /**
     * @param goodWeights        relative weights of good kinds (at least one positive)
     * @param adversarialShare   fraction of all requests that are adversarial, in [0, 1)
     * @param adversarialKinds   kinds sharing that fraction evenly (ignored when the share is 0)
     * @throws IllegalArgumentException naming the problem
     */
    public static TrafficMix of(Map<TrafficKind, Integer> goodWeights, double adversarialShare,
                                List<TrafficKind> adversarialKinds) {
        if (!(adversarialShare >= 0 && adversarialShare < 1)) {
            throw new IllegalArgumentException("adversarial share must be in [0, 1), got " + adversarialShare);
        }
        if (adversarialShare > 0 && adversarialKinds.isEmpty()) {
            throw new IllegalArgumentException("an adversarial share needs at least one adversarial kind");
        }
        long total = 0;
        for (Map.Entry<TrafficKind, Integer> e : goodWeights.entrySet()) {
            if (e.getKey().adversarial()) {
                throw new IllegalArgumentException(e.getKey().label() + " is adversarial: use --adversarial");
            }
            if (e.getValue() < 0) {
                throw new IllegalArgumentException("weight of " + e.getKey().label() + " must not be negative");
            }
            total += e.getValue();
        }
        if (total == 0) {
            throw new IllegalArgumentException("the mix needs at least one good operation with a positive weight");
        }
        Map<TrafficKind, Double> p = new EnumMap<>(TrafficKind.class);
        for (Map.Entry<TrafficKind, Integer> e : goodWeights.entrySet()) {
            p.put(e.getKey(), (1 - adversarialShare) * e.getValue() / total);
        }
        if (adversarialShare > 0) {
            for (TrafficKind k : adversarialKinds) {
                if (!k.adversarial()) {
                    throw new IllegalArgumentException(k.label() + " is not an adversarial kind");
                }
                p.merge(k, adversarialShare / adversarialKinds.size(), Double::sum);
            }
        }
        return new TrafficMix(p);
    }

    /**
     * Parses {@code authenticate=70,sign=15,encrypt=10,batch=5}.
     *
     * @throws IllegalArgumentException naming the bad entry
     */
    public static Map<TrafficKind, Integer> parseWeights(String text) {
        Map<TrafficKind, Integer> weights = new EnumMap<>(TrafficKind.class);
        for (String part : text.split(",")) {
            String[] kv = part.split("=", -1);
            if (kv.length != 2) {
                throw new IllegalArgumentException("mix entry '" + part.trim() + "' is not name=weight");
            }
            TrafficKind kind = TrafficKind.byLabel(kv[0]).filter(k -> !k.adversarial())
                    .orElseThrow(() -> new IllegalArgumentException("unknown operation '" + kv[0].trim()
                            + "' in mix (use authenticate, sign, encrypt, batch)"));
            try {
                weights.put(kind, Integer.parseInt(kv[1].trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight of " + kind.label() + " is not a whole number: '"
                        + kv[1].trim() + "'");
            }
        }
        return weights;
    }

    /**
     * Parses {@code all}, {@code none} or a comma-separated list of adversarial kind labels.
     *
     * @throws IllegalArgumentException naming the unknown kind
     */
    public static List<TrafficKind> parseAdversarial(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase("all")) {
            return List.of(TrafficKind.adversarialKinds());
        }
        if (t.isEmpty() || t.equalsIgnoreCase("none")) {
            return List.of();
        }
        List<TrafficKind> out = new ArrayList<>();
        for (String part : t.split(",")) {
            TrafficKind k = TrafficKind.byLabel(part).filter(TrafficKind::adversarial)
                    .orElseThrow(() -> new IllegalArgumentException("unknown adversarial kind '" + part.trim()
                            + "' (use all, or some of: " + labels(TrafficKind.adversarialKinds()) + ")"));
            if (!out.contains(k)) {
                out.add(k);
            }
        }
        return out;
    }

    static String labels(TrafficKind[] kinds) {
        StringBuilder sb = new StringBuilder();
        for (TrafficKind k : kinds) {
            sb.append(sb.isEmpty() ? "" : ", ").append(k.label());
        }
        return sb.toString();
    }

    /** Draws the kind of the next request. */
    public TrafficKind pick(RandomGenerator random) {
        double u = random.nextDouble();
        for (int i = 0; i < cumulative.length; i++) {
            if (u < cumulative[i]) {
                return kinds[i];
            }
        }
        return kinds[kinds.length - 1];
    }

    /** Probability of each kind that can be drawn. */
    public Map<TrafficKind, Double> probabilities() {
        return probabilities;
    }

    public boolean includes(TrafficKind kind) {
        return probabilities.getOrDefault(kind, 0.0) > 0;
    }
}
