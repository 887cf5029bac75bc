package dev.keel.core.similarity;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Token-level F1 (as in SQuAD): the harmonic mean of precision and recall of the multiset of
 * word tokens shared by the two texts. Range {@code [0, 1]}: 1 for the same tokens in any order,
 * 0 for no token in common; two texts without tokens score 1, one without tokens scores 0.
 */
public final class TokenF1Similarity extends LexicalSimilarity {

    @Override
    double tokens(List<String> x, List<String> y) {
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
