package dev.keel.core.similarity;

import dev.keel.core.Preconditions;

import java.util.List;

/**
 * ROUGE-L F1: the harmonic mean of precision and recall of the longest common subsequence of word
 * tokens. Range {@code [0, 1]}: 1 for the same token sequence, 0 for no token in common; unlike
 * token F1 it rewards shared word order. Two texts without tokens score 1, one without scores 0.
 */
public final class RougeLSimilarity implements Similarity {

    @Override
    public double[] scoreAll(List<String> a, List<String> b) {
        Preconditions.noNulls(a, "a");
        Preconditions.noNulls(b, "b");
        Preconditions.checkArgument(a.size() == b.size(), "size mismatch: a has " + a.size() + " texts, b has " + b.size());
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rougeL(LexicalTokens.of(a.get(i)), LexicalTokens.of(b.get(i)));
        }
        return out;
    }

    static double rougeL(List<String> x, List<String> y) {
        if (x.isEmpty() || y.isEmpty()) {
            return x.isEmpty() && y.isEmpty() ? 1.0 : 0.0;
        }
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
