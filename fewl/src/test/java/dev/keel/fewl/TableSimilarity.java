package dev.keel.fewl;

import dev.keel.core.similarity.Similarity;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A symmetric similarity from a table; identical texts score 1, unknown pairs {@code fallback}. */
final class TableSimilarity implements Similarity {
    private final Map<String, Double> table = new HashMap<>();
    private final double fallback;
    int calls;

    TableSimilarity(double fallback) {
        this.fallback = fallback;
    }

    TableSimilarity put(String a, String b, double v) {
        table.put(a + "\u0000" + b, v);
        table.put(b + "\u0000" + a, v);
        return this;
    }

    @Override
    public double[] scoreAll(List<String> a, List<String> b) {
        calls++;
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).equals(b.get(i)) ? 1.0 : table.getOrDefault(a.get(i) + "\u0000" + b.get(i), fallback);
        }
        return out;
    }

    @Override
    public String name() {
        return "table";
    }
}
