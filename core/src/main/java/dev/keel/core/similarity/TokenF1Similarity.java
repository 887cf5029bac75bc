package dev.keel.core.similarity;

import dev.keel.core.Preconditions;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Token-level F1 (as in SQuAD): the harmonic mean of precision and recall of the multiset of
 * word tokens shared by the two texts. Range {@code [0, 1]}: 1 for the same tokens in any order,
 * 0 for no token in common; two texts without tokens score 1, one without tokens scores 0.
 */
public final class TokenF1Similarity implements Similarity {

    @Override
    public double[] scoreAll(List<String> a, List<String> b) {
        Preconditions.noNulls(a, "a");
        Preconditions.noNulls(b, "b");
        Preconditions.checkArgument(a.size() == b.size(), "size mismatch: a has " + a.size() + " texts, b has " + b.size());
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = f1(LexicalTokens.of(a.get(i)), LexicalTokens.of(b.get(i)));
        }
        return out;
    }

    static double f1(List<String> x, List<String> y) {
        if (x.isEmpty() || y.isEmpty()) {
            return x.isEmpty() && y.isEmpty() ? 1.0 : 0.0;
        }
        Map<String, Integer> counts = new HashMap<>();
        for (String t : x) {
            counts.merge(t, 1, Integer::sum);
        }
        int common = 0;
        for (String t : y) {
            Integer c = counts.get(t);
            if (c != null && c > 0) {
                common++;
                counts.put(t, c - 1);
            }
        }
        if (common == 0) {
            return 0.0;
        }
        double p = (double) common / y.size();
        double r = (double) common / x.size();
        return 2 * p * r / (p + r);
    }

    @Override
    public String name() {
        return "token-f1";
    }
}
