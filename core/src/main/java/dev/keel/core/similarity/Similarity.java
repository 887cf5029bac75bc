package dev.keel.core.similarity;

import java.util.ArrayList;
import java.util.List;

/**
 * A similarity between two texts. The batch method scores pairs {@code (a.get(i), b.get(i))}.
 * Each implementation documents its range.
 */
public interface Similarity {

    /**
     * Scores each pair {@code (a[i], b[i])}; the lists must have the same size.
     *
     * @param a the first text of each pair
     * @param b the second text of each pair, as many as {@code a}
     * @return the score of each pair, in order
     */
    double[] scoreAll(List<String> a, List<String> b);

    /**
     * Scores one pair.
     *
     * @param a the first text
     * @param b the second text
     * @return the pair's score
     */
    default double score(String a, String b) {
        return scoreAll(List.of(a), List.of(b))[0];
    }

    /**
     * Scores every row text against every column text: {@code m[i][j] = sim(rows[i], cols[j])}.
     * Implementations that can do better than pair by pair (cosine: one embedding per distinct text
     * and a matrix product) override this.
     *
     * @param cols the column texts
     * @param rows the row texts
     * @return the matrix, {@code rows.size()} by {@code cols.size()}
     */
    default double[][] matrix(List<String> rows, List<String> cols) {
        List<String> a = new ArrayList<>(rows.size() * cols.size());
        List<String> b = new ArrayList<>(rows.size() * cols.size());
        for (String r : rows) {
            for (String c : cols) {
                a.add(r);
                b.add(c);
            }
        }
        double[] flat = scoreAll(a, b);
        double[][] m = new double[rows.size()][cols.size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(flat, i * cols.size(), m[i], 0, cols.size());
        }
        return m;
    }

    /**
     * A short name for tables and provenance, e.g. {@code cosine}.
     *
     * @return a short name for tables and provenance, e.g. {@code cosine}
     */
    String name();
}
