package dev.keel.core.similarity;

import java.util.List;

/**
 * ROUGE-L F1: the harmonic mean of precision and recall of the longest common subsequence of word
 * tokens. Range {@code [0, 1]}: 1 for the same token sequence, 0 for no token in common; unlike
 * token F1 it rewards shared word order. Two texts without tokens score 1, one without scores 0.
 */
public final class RougeLSimilarity extends LexicalSimilarity {

    @Override
    double tokens(List<String> x, List<String> y) {
        int lcs = lcs(x, y);
        if (lcs == 0) {
            return 0.0;
        }
        double p = (double) lcs / y.size();
        double r = (double) lcs / x.size();
        return 2 * p * r / (p + r);
    }

    /** Length of the longest common subsequence, in O(|x|·|y|) time and O(|y|) memory. */
    static int lcs(List<String> x, List<String> y) {
        int[] prev = new int[y.size() + 1];
        int[] cur = new int[y.size() + 1];
        for (String xi : x) {
            for (int j = 1; j <= y.size(); j++) {
                cur[j] = xi.equals(y.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[y.size()];
    }

    @Override
    public String name() {
        return "rouge-l";
    }
}
