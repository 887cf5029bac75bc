package dev.keel.fewl;

import dev.keel.core.internal.Preconditions;

/**
 * How the softmax temperature τ of the expertise weights {@code λ = softmax(e/τ)} is chosen.
 *
 * <p>Embedding similarities live in a narrow band, and so do the expertise scores {@code e}
 * (differences of mean similarities, typically a few hundredths to a few tenths): a fixed
 * {@code τ = 1} makes λ almost uniform and throws the expertise signal away. The default,
 * {@link #spread(double) spread(1)}, sets τ to the <em>pooled within-question standard
 * deviation</em> of {@code e} over the run, {@code τ = sqrt(mean over questions of var_i(e_i))}.
 * Softmax only sees differences within a question, so this is the natural unit: a reference one
 * standard deviation above another gets {@code e ≈ 2.7} times its weight, whatever similarity
 * model produced the numbers. Pooling over the run, rather than using each question's own spread,
 * keeps λ close to uniform on questions where the references really agree (small differences stay
 * small) instead of blowing noise up to full weight ratios. With one question in the run the two
 * coincide. The τ used is reported in every {@link FewlScore}; pass {@link #fixed(double)} to make
 * an item's score independent of the rest of the run.
 */
public final class Temperature {

    private final double fixed;
    private final double multiplier;

    private Temperature(double fixed, double multiplier) {
        this.fixed = fixed;
        this.multiplier = multiplier;
    }

    /**
     * A fixed τ.
     *
     * @param tau the temperature, {@code > 0}
     * @return the rule
     * @throws IllegalArgumentException if {@code tau} is not positive
     */
    public static Temperature fixed(double tau) {
        return new Temperature(Preconditions.checkPositive(tau, "temperature"), Double.NaN);
    }

    /**
     * τ = {@code multiplier} × the pooled within-question standard deviation of e over the run.
     *
     * @param multiplier the multiplier, {@code > 0}
     * @return the rule
     * @throws IllegalArgumentException if {@code multiplier} is not positive
     */
    public static Temperature spread(double multiplier) {
        return new Temperature(Double.NaN, Preconditions.checkPositive(multiplier, "temperature multiplier"));
    }

    /**
     * The default: {@code spread(1)}.
     *
     * @return the rule
     */
    public static Temperature defaults() {
        return spread(1.0);
    }

    /**
     * Whether τ is fixed.
     *
     * @return true for a fixed τ
     */
    public boolean isFixed() {
        return !Double.isNaN(fixed);
    }

    /**
     * The fixed τ.
     *
     * @return τ, or {@code NaN} for a spread rule
     */
    public double fixedValue() {
        return fixed;
    }

    /**
     * The spread multiplier.
     *
     * @return the multiplier, or {@code NaN} for a fixed τ
     */
    public double multiplier() {
        return multiplier;
    }

    /** τ for a run whose pooled within-question standard deviation of e is {@code pooledStd}. */
    double resolve(double pooledStd) {
        if (isFixed()) {
            return fixed;
        }
        double t = multiplier * pooledStd;
        return t > 1e-12 && Double.isFinite(t) ? t : 1.0;
    }

    @Override
    public String toString() {
        return isFixed() ? Double.toString(fixed) : (multiplier == 1.0 ? "spread" : multiplier + "*spread");
    }
}
