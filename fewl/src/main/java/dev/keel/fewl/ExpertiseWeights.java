package dev.keel.fewl;

import java.util.Arrays;
import java.util.List;

/**
 * FEWL's expertise weights: each reference's expertise
 * {@code e_i = mean_r Sim(h_i, CO_r) − mean_r Sim(h_i, IW_r)} from its agreement with the corrected
 * (CO) and intentionally wrong (IW) answers, the pooled spread of e that
 * {@link Temperature#resolve} scales τ by, and {@code λ = softmax(e/τ)}.
 */
final class ExpertiseWeights {

    private ExpertiseWeights() {
    }

    /**
     * e per used reference of {@code item}: mean similarity to the CO answers minus mean similarity
     * to the IW answers (a kind without answers counts 0).
     *
     * @param sims the similarity of the call
     * @param item the item, with IW or CO answers
     * @param used the indices of the references used
     * @return e, one value per used reference
     * @throws IllegalArgumentException naming the item if a similarity is not a finite number
     */
    static double[] expertise(PairSimilarity sims, FewlItem item, int[] used) {
        double[] e = new double[used.length];
        for (int j = 0; j < used.length; j++) {
            Reference r = item.references().get(used[j]);
            double co = 0;
            for (String c : item.correctedAnswers()) {
                co += sims.checked(item, r.answer(), c, "reference " + r.model() + " and a corrected answer");
            }
            double iw = 0;
            for (String w : item.wrongAnswers()) {
                iw += sims.checked(item, r.answer(), w, "reference " + r.model() + " and a wrong answer");
            }
            co = item.correctedAnswers().isEmpty() ? 0 : co / item.correctedAnswers().size();
            iw = item.wrongAnswers().isEmpty() ? 0 : iw / item.wrongAnswers().size();
            e[j] = co - iw;
        }
        return e;
    }

    /**
     * {@code sqrt(mean over groups of the population variance of e within the group)}; groups of
     * fewer than two values are left out, and no group at all gives 0.
     *
     * @param groups e of each distinct item
     * @return the pooled within-item standard deviation
     */
    static double pooledWithinStd(List<double[]> groups) {
        double sum = 0;
        int count = 0;
        for (double[] e : groups) {
            if (e.length < 2) {
                continue;
            }
            double mean = 0;
            for (double x : e) {
                mean += x;
            }
            mean /= e.length;
            double v = 0;
            for (double x : e) {
                v += (x - mean) * (x - mean);
            }
            sum += v / e.length;
            count++;
        }
        return count == 0 ? 0 : Math.sqrt(sum / count);
    }

    /**
     * {@code λ = softmax(e/τ)}, computed with the largest e subtracted first.
     *
     * @param e   expertise per reference, at least one value
     * @param tau the temperature, {@code > 0}
     * @return λ, summing to 1
     */
    static double[] softmax(double[] e, double tau) {
        double[] lambda = new double[e.length];
        double max = Double.NEGATIVE_INFINITY;
        for (double x : e) {
            max = Math.max(max, x);
        }
        double z = 0;
        for (int j = 0; j < e.length; j++) {
            lambda[j] = Math.exp((e[j] - max) / tau);
            z += lambda[j];
        }
        for (int j = 0; j < e.length; j++) {
            lambda[j] /= z;
        }
        return lambda;
    }

    /**
     * {@code m} equal weights.
     *
     * @param m how many references, {@code >= 1}
     * @return λ with every value {@code 1/m}
     */
    static double[] uniform(int m) {
        double[] lambda = new double[m];
        Arrays.fill(lambda, 1.0 / m);
        return lambda;
    }
}
