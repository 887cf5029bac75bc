package dev.keel.core.similarity;

import dev.keel.core.internal.Preconditions;

import java.util.List;

/** A similarity computed pair by pair from the texts' word tokens (see {@link LexicalTokens}). */
abstract class LexicalSimilarity implements Similarity {

    @Override
    public final double[] scoreAll(List<String> a, List<String> b) {
        Preconditions.noNulls(a, "a");
        Preconditions.noNulls(b, "b");
        Preconditions.checkArgument(a.size() == b.size(), "size mismatch: a has " + a.size() + " texts, b has " + b.size());
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            List<String> x = LexicalTokens.of(a.get(i));
            List<String> y = LexicalTokens.of(b.get(i));
            out[i] = x.isEmpty() || y.isEmpty() ? (x.isEmpty() && y.isEmpty() ? 1.0 : 0.0) : tokens(x, y);
        }
        return out;
    }

    /** The similarity of two non-empty token lists. */
    abstract double tokens(List<String> x, List<String> y);
}
