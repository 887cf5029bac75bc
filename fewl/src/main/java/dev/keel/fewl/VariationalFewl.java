package dev.keel.fewl;

import dev.keel.core.internal.Preconditions;

import java.util.List;

/**
 * FEWL as an empirical variational f-divergence between P, the joint distribution of an answer and
 * a reference answer to the <em>same</em> question, and Q, answer and reference answer to
 * <em>different</em> (neighbour) questions:
 * <pre>
 * D_f(P || Q) ≥ E_{Z~P}[g(v(Z))] − E_{Z~Q}[f*(g(v(Z)))]
 * </pre>
 * where {@code v(Z)} is a critic value (here: the similarity of the pair) and {@code g} the
 * divergence's activation. Within one question the P-samples are the pairs {@code (y, h_i(x))}
 * weighted by {@code λ_i} and the Q-samples the pairs {@code (y, h_i(x'_k))} weighted uniformly.
 *
 * <p>With total variation and the critic {@code T = ½·Sim} (in TV's conjugate domain
 * {@code |t| ≤ ½} for any similarity in {@code [−1, 1]}), {@code f*(T) = T} and the bound is
 * exactly {@code ½·FEWL}: the linear formula of the paper is twice the TV form
 * ({@link #totalVariation(FewlScore)}). Over a data set, the mean of the per-item bounds
 * ({@link #dataset}) estimates how far an answerer's answers are from "generic" ones: higher is
 * more truthful (Theorem 3.4 of the paper orders answerers by it).
 *
 * <pre>{@code
 * VariationalFewl.Estimate e = VariationalFewl.dataset(FDivergence.JENSEN_SHANNON, scorer.scoreAll(items));
 * }</pre>
 */
public final class VariationalFewl {

    /**
     * A data-set level estimate.
     *
     * @param value         the mean per-item bound
     * @param standardError its standard error over items ({@code NaN} for fewer than two items)
     * @param items         how many items it averages
     */
    public record Estimate(double value, double standardError, int items) {
    }

    private VariationalFewl() {
    }

    /**
     * {@code E_P[g(v)] − E_Q[f*(g(v))]} with uniform weights; an empty Q contributes 0.
     *
     * @param f       the divergence
     * @param pCritic critic values on P-samples, at least one
     * @param qCritic critic values on Q-samples
     * @return the estimate
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code pCritic} is empty
     */
    public static double estimate(FDivergence f, double[] pCritic, double[] qCritic) {
        Preconditions.notNull(pCritic, "pCritic");
        double[] w = new double[pCritic.length];
        java.util.Arrays.fill(w, 1.0);
        return estimate(f, pCritic, w, qCritic);
    }

    /**
     * {@code Σ w_i g(v_i) / Σ w_i − mean_k f*(g(u_k))}: P-samples with weights, Q-samples uniform.
     * An empty Q contributes 0.
     *
     * @param f        the divergence
     * @param pCritic  critic values on P-samples, at least one
     * @param pWeights their weights, finite and {@code >= 0}
     * @param qCritic  critic values on Q-samples
     * @return the estimate
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code pCritic} is empty, the lengths differ or a weight is negative or not finite
     */
    public static double estimate(FDivergence f, double[] pCritic, double[] pWeights, double[] qCritic) {
        Preconditions.notNull(f, "f");
        Preconditions.notNull(pCritic, "pCritic");
        Preconditions.notNull(pWeights, "pWeights");
        Preconditions.notNull(qCritic, "qCritic");
        Preconditions.checkArgument(pCritic.length > 0, "pCritic must not be empty");
        Preconditions.checkArgument(pCritic.length == pWeights.length,
                "size mismatch: " + pCritic.length + " critic values != " + pWeights.length + " weights");
        double sw = 0;
        double p = 0;
        for (int i = 0; i < pCritic.length; i++) {
            Preconditions.checkArgument(pWeights[i] >= 0 && Double.isFinite(pWeights[i]), "pWeights[" + i + "] must be finite and >= 0, was " + pWeights[i]);
            p += pWeights[i] * f.activation(pCritic[i]);
            sw += pWeights[i];
        }
        Preconditions.checkArgument(sw > 0, "pWeights must not all be 0");
        double q = 0;
        for (double u : qCritic) {
            q += f.conjugateOfActivation(u);
        }
        return p / sw - (qCritic.length == 0 ? 0 : q / qCritic.length);
    }

    /**
     * {@code E_P[T] − E_Q[f*(T)]} for critic values {@code T} given directly (no activation); they must
     * lie in the conjugate's domain.
     *
     * @param f        the divergence
     * @param pT       critic values on P-samples, at least one
     * @param pWeights their weights
     * @param qT       critic values on Q-samples
     * @return the estimate
     * @throws NullPointerException if {@code f} is null
     * @throws IllegalArgumentException if the lengths differ, {@code pT} is empty or a value is outside the conjugate's domain
     */
    public static double estimateDirect(FDivergence f, double[] pT, double[] pWeights, double[] qT) {
        Preconditions.notNull(f, "f");
        Preconditions.checkArgument(pT.length == pWeights.length && pT.length > 0,
                "pT and pWeights must have the same non-zero length, were " + pT.length + " and " + pWeights.length);
        double sw = 0;
        double p = 0;
        for (int i = 0; i < pT.length; i++) {
            Preconditions.checkArgument(f.inConjugateDomain(pT[i]), "critic value " + pT[i] + " is outside the domain of " + f + "'s conjugate");
            p += pWeights[i] * pT[i];
            sw += pWeights[i];
        }
        double q = 0;
        for (double t : qT) {
            Preconditions.checkArgument(f.inConjugateDomain(t), "critic value " + t + " is outside the domain of " + f + "'s conjugate");
            q += f.conjugate(t);
        }
        return p / sw - (qT.length == 0 ? 0 : q / qT.length);
    }

    /**
     * The item's bound under {@code f} with the similarities as critic values:
     * {@code Σ_i λ_i g(s_i) − mean_i mean_k f*(g(s_ik))} (references without neighbour answers are left
     * out of the second mean, as in the scorer).
     *
     * @param f the divergence
     * @param s the item's score
     * @return the bound
     * @throws NullPointerException if {@code f} or {@code s} is null
     */
    public static double itemBound(FDivergence f, FewlScore s) {
        Preconditions.notNull(f, "f");
        Preconditions.notNull(s, "s");
        double p = 0;
        for (int i = 0; i < s.weights().size(); i++) {
            p += s.weights().get(i) * f.activation(s.similarities().get(i));
        }
        return p - penaltyTerm(s, f::conjugateOfActivation);
    }

    /**
     * The TV bound with critic {@code T = ½·Sim}: {@code Σ_i λ_i T_i − mean_i mean_k T_ik}. For a
     * score computed with the linear formula this is exactly {@code ½·total}.
     *
     * @param s the item's score
     * @return the bound
     * @throws NullPointerException if {@code s} is null
     * @throws IllegalArgumentException if a similarity is outside [-1, 1]
     */
    public static double totalVariation(FewlScore s) {
        Preconditions.notNull(s, "s");
        double p = 0;
        for (int i = 0; i < s.weights().size(); i++) {
            double t = 0.5 * s.similarities().get(i);
            Preconditions.checkArgument(FDivergence.TOTAL_VARIATION.inConjugateDomain(t), "similarity " + s.similarities().get(i) + " is outside [-1, 1]");
            p += s.weights().get(i) * t;
        }
        return p - penaltyTerm(s, v -> FDivergence.TOTAL_VARIATION.conjugate(0.5 * v));
    }

    /**
     * {@code mean_i mean_k h(s_ik)} over the references that have neighbour answers (0 when none has).
     *
     * @param s the score
     * @param h what each penalty similarity goes through
     * @return the second term of the bound
     */
    private static double penaltyTerm(FewlScore s, java.util.function.DoubleUnaryOperator h) {
        double q = 0;
        int refs = 0;
        for (List<Double> ps : s.penaltySimilarities()) {
            if (ps.isEmpty()) {
                continue;
            }
            double sum = 0;
            for (double v : ps) {
                sum += h.applyAsDouble(v);
            }
            q += sum / ps.size();
            refs++;
        }
        return refs == 0 ? 0 : q / refs;
    }

    /**
     * The mean of {@link #itemBound} over {@code scores}, with its standard error.
     *
     * @param f      the divergence
     * @param scores the scores, at least one
     * @return the estimate
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code scores} is empty or holds null
     */
    public static Estimate dataset(FDivergence f, List<FewlScore> scores) {
        Preconditions.notEmpty(scores, "scores");
        double[] v = new double[scores.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = itemBound(f, scores.get(i));
        }
        return summarise(v);
    }

    /**
     * The mean of the scores' totals (the linear FEWL) with its standard error.
     *
     * @param scores the scores, at least one
     * @return the estimate
     * @throws NullPointerException     if {@code scores} is null
     * @throws IllegalArgumentException if {@code scores} is empty or holds null
     */
    public static Estimate datasetLinear(List<FewlScore> scores) {
        Preconditions.notEmpty(scores, "scores");
        double[] v = new double[scores.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = scores.get(i).total();
        }
        return summarise(v);
    }

    private static Estimate summarise(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        if (v.length < 2) {
            return new Estimate(mean, Double.NaN, v.length);
        }
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        return new Estimate(mean, Math.sqrt(ss / (v.length - 1) / v.length), v.length);
    }
}
