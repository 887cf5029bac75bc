package dev.keel.core.similarity;

import dev.keel.core.internal.Preconditions;
import dev.keel.core.embed.Embedder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cosine similarity of two texts' embeddings. Range {@code [-1, 1]}; for sentence encoders such
 * as all-MiniLM-L6-v2 unrelated sentences typically score near 0 to 0.2 and paraphrases above 0.8.
 *
 * <p>Each call embeds every distinct text it is given once, in one batch, and checks what the
 * embedder returns: a vector that is not unit length (within 1e-3 in squared norm), of another
 * length, or missing is an {@link IllegalStateException} naming the embedder, never a clamped score.
 * The embedder is not owned: closing it is the caller's job.
 */
public final class CosineSimilarity implements Similarity {

    private final Embedder embedder;

    /**
     * Cosine similarity through {@code embedder}.
     *
     * @param embedder the embedder; not closed by this similarity
     * @throws NullPointerException if {@code embedder} is null
     */
    public CosineSimilarity(Embedder embedder) {
        this.embedder = Preconditions.notNull(embedder, "embedder");
    }

    /**
     * The embedder the texts go through.
     *
     * @return the embedder the texts go through
     */
    public Embedder embedder() {
        return embedder;
    }

    @Override
    public double[] scoreAll(List<String> a, List<String> b) {
        Preconditions.noNulls(a, "a");
        Preconditions.noNulls(b, "b");
        Preconditions.checkArgument(a.size() == b.size(), "size mismatch: a has " + a.size() + " texts, b has " + b.size());
        Map<String, Integer> index = new LinkedHashMap<>();
        for (String s : a) {
            index.putIfAbsent(s, index.size());
        }
        for (String s : b) {
            index.putIfAbsent(s, index.size());
        }
        float[][] v = checked(embedder.embedAll(new ArrayList<>(index.keySet())), index.size());
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dot(v[index.get(a.get(i))], v[index.get(b.get(i))]);
        }
        return out;
    }

    @Override
    public double[][] matrix(List<String> rows, List<String> cols) {
        Preconditions.noNulls(rows, "rows");
        Preconditions.noNulls(cols, "cols");
        Map<String, Integer> index = new LinkedHashMap<>();
        for (String s : rows) {
            index.putIfAbsent(s, index.size());
        }
        for (String s : cols) {
            index.putIfAbsent(s, index.size());
        }
        float[][] v = checked(embedder.embedAll(new ArrayList<>(index.keySet())), index.size());
        double[][] m = new double[rows.size()][cols.size()];
        for (int i = 0; i < rows.size(); i++) {
            float[] r = v[index.get(rows.get(i))];
            for (int j = 0; j < cols.size(); j++) {
                m[i][j] = dot(r, v[index.get(cols.get(j))]);
            }
        }
        return m;
    }

    /** Tolerance on the squared norm of a vector the embedder returns (float rounding is far smaller). */
    private static final double NORM_TOLERANCE = 1e-3;

    /**
     * The embedder's vectors, after checking its promise ({@link Embedder#embedAll}: one unit vector per
     * text, all of one length): a dot product of vectors that are not unit length is not a cosine, and
     * the clamp in {@link #dot} would hide it.
     */
    private float[][] checked(float[][] v, int texts) {
        if (v == null || v.length != texts) {
            throw new IllegalStateException("embedder " + embedder.id() + " returned " + (v == null ? "null" : v.length + " vectors")
                    + " for " + texts + " texts");
        }
        for (int i = 0; i < v.length; i++) {
            if (v[i] == null || v[i].length != v[0].length) {
                throw new IllegalStateException("embedder " + embedder.id() + " returned vector " + i + " of "
                        + (v[i] == null ? "null" : v[i].length + " floats") + ", vector 0 has " + v[0].length);
            }
            double n = 0;
            for (float x : v[i]) {
                n += (double) x * x;
            }
            if (!(Math.abs(n - 1) <= NORM_TOLERANCE)) {
                throw new IllegalStateException("embedder " + embedder.id() + " returned vector " + i + " of norm " + Math.sqrt(n)
                        + "; an Embedder returns unit vectors, and cosine similarity needs them");
            }
        }
        return v;
    }

    /**
     * The dot product of two unit vectors, clamped to {@code [-1, 1]} against rounding.
     *
     * @param x the first vector
     * @param y the second vector, as long as {@code x}
     * @return the dot product of two unit vectors, clamped to {@code [-1, 1]} against rounding
     */
    public static double dot(float[] x, float[] y) {
        Preconditions.checkArgument(x.length == y.length, "size mismatch: " + x.length + " != " + y.length);
        double s = 0;
        for (int k = 0; k < x.length; k++) {
            s += x[k] * y[k];
        }
        return Math.max(-1.0, Math.min(1.0, s));
    }

    @Override
    public String name() {
        return "cosine";
    }
}
