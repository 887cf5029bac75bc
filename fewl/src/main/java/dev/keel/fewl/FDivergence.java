package dev.keel.fewl;

/**
 * An f-divergence {@code D_f(P || Q) = E_Q[f(dP/dQ)]} through its variational (Fenchel) form
 * {@code D_f(P || Q) >= sup_T E_P[T] - E_Q[f*(T)]}, with the critic written as {@code T = g(v)}: an
 * output activation {@code g} maps any real critic value {@code v} into the domain of the convex
 * conjugate {@code f*}.
 *
 * <table>
 *   <caption>Generators, conjugates and activations</caption>
 *   <tr><th>divergence</th><th>f(u)</th><th>f*(t), domain</th><th>g(v)</th><th>f*(g(v))</th></tr>
 *   <tr><td>total variation</td><td>½|u − 1|</td><td>t, |t| ≤ ½</td><td>½ tanh v</td><td>½ tanh v</td></tr>
 *   <tr><td>Kullback–Leibler</td><td>u log u</td><td>exp(t − 1), all t</td><td>v</td><td>exp(v − 1)</td></tr>
 *   <tr><td>Jensen–Shannon</td><td>u log u − (u + 1) log((u + 1)/2)</td><td>−log(2 − eᵗ), t &lt; log 2</td>
 *       <td>log 2 − log(1 + e^(−v))</td><td>v + log(1 + e^(−v)) − log 2</td></tr>
 *   <tr><td>Pearson χ²</td><td>(u − 1)²</td><td>t²/4 + t, all t</td><td>v</td><td>v²/4 + v</td></tr>
 *   <tr><td>squared Hellinger</td><td>(√u − 1)²</td><td>t/(1 − t), t &lt; 1</td><td>1 − e^(−v)</td><td>eᵛ − 1</td></tr>
 * </table>
 *
 * <p>The squared-Hellinger pair: {@code f*(t) = sup_u [tu − (√u − 1)²]}; the derivative
 * {@code t − 1 + 1/√u} vanishes at {@code √u = 1/(1 − t)}, which exists only for {@code t < 1}, and
 * the supremum there is {@code t/(1 − t)² − (t/(1 − t))² = t/(1 − t)} (for {@code t ≥ 1} it is
 * unbounded). The activation {@code g(v) = 1 − e^(−v)} maps the reals onto {@code (−∞, 1)}, and
 * {@code f*(g(v)) = (1 − e^(−v))/e^(−v) = eᵛ − 1}.
 *
 * <p>The TV, KL, JS and χ² pairs are those of the f-GAN family (Nowozin et al. 2016) as used in the
 * FEWL authors' code. FEWL's linear formula is the total-variation case with the critic
 * {@code T = ½·Sim} (which lies in TV's conjugate domain for any similarity in {@code [−1, 1]}): see
 * {@link VariationalFewl}.
 */
public enum FDivergence {

    /**
     * Total variation, {@code f(u) = ½|u − 1|}.
     */
    TOTAL_VARIATION("tv") {
        @Override
        public double f(double u) {
            return 0.5 * Math.abs(u - 1);
        }

        @Override
        public double conjugate(double t) {
            return Math.abs(t) <= 0.5 ? t : Double.POSITIVE_INFINITY;
        }

        @Override
        public boolean inConjugateDomain(double t) {
            return Math.abs(t) <= 0.5;
        }

        @Override
        public double activation(double v) {
            return 0.5 * Math.tanh(v);
        }

        @Override
        public double conjugateOfActivation(double v) {
            return 0.5 * Math.tanh(v);
        }
    },

    /**
     * Kullback–Leibler, {@code f(u) = u log u}.
     */
    KULLBACK_LEIBLER("kl") {
        @Override
        public double f(double u) {
            return u == 0 ? 0 : u * Math.log(u);
        }

        @Override
        public double conjugate(double t) {
            return Math.exp(t - 1);
        }

        @Override
        public double conjugateOfActivation(double v) {
            return Math.exp(v - 1);
        }
    },

    /**
     * Jensen–Shannon (GAN form), {@code f(u) = u log u − (u + 1) log((u + 1)/2)}.
     */
    JENSEN_SHANNON("js") {
        @Override
        public double f(double u) {
            return (u == 0 ? 0 : u * Math.log(u)) - (u + 1) * Math.log((u + 1) / 2);
        }

        @Override
        public double conjugate(double t) {
            return t < LOG2 ? -Math.log(2 - Math.exp(t)) : Double.POSITIVE_INFINITY;
        }

        @Override
        public boolean inConjugateDomain(double t) {
            return t < LOG2;
        }

        @Override
        public double activation(double v) {
            return LOG2 - softplus(-v);
        }

        @Override
        public double conjugateOfActivation(double v) {
            return v + softplus(-v) - LOG2;
        }
    },

    /**
     * Pearson χ², {@code f(u) = (u − 1)²}.
     */
    PEARSON_CHI2("chi2") {
        @Override
        public double f(double u) {
            return (u - 1) * (u - 1);
        }

        @Override
        public double conjugate(double t) {
            return t * t / 4 + t;
        }

        @Override
        public double conjugateOfActivation(double v) {
            return v * v / 4 + v;
        }
    },

    /**
     * Squared Hellinger, {@code f(u) = (√u − 1)²}.
     */
    SQUARED_HELLINGER("hellinger") {
        @Override
        public double f(double u) {
            double r = Math.sqrt(u) - 1;
            return r * r;
        }

        @Override
        public double conjugate(double t) {
            return t < 1 ? t / (1 - t) : Double.POSITIVE_INFINITY;
        }

        @Override
        public boolean inConjugateDomain(double t) {
            return t < 1;
        }

        @Override
        public double activation(double v) {
            return -Math.expm1(-v);
        }

        @Override
        public double conjugateOfActivation(double v) {
            return Math.expm1(v);
        }
    };

    private static final double LOG2 = Math.log(2);

    private final String shortName;

    FDivergence(String shortName) {
        this.shortName = shortName;
    }

    /**
     * The generator {@code f(u)} for {@code u >= 0}: convex with {@code f(1) = 0}.
     *
     * @param u the density ratio, {@code >= 0}
     * @return {@code f(u)}
     */
    public abstract double f(double u);

    /**
     * The convex conjugate {@code f*(t)}; {@code +∞} outside its domain.
     *
     * @param t the argument
     * @return {@code f*(t)}
     */
    public abstract double conjugate(double t);

    /**
     * Whether {@code t} lies in the domain of {@link #conjugate}.
     *
     * @param t the argument
     * @return true inside the domain; by default every finite {@code t}, for the divergences whose
     *         conjugate is defined on all reals (KL, χ²)
     */
    public boolean inConjugateDomain(double t) {
        return !Double.isNaN(t) && !Double.isInfinite(t);
    }

    /**
     * The output activation {@code g(v)}: any real into the conjugate's domain.
     *
     * @param v the critic's raw value
     * @return {@code g(v)}; by default {@code v} itself, for the divergences whose conjugate is
     *         defined on all reals (KL, χ²)
     */
    public double activation(double v) {
        return v;
    }

    /**
     * {@code f*(g(v))}, computed in a numerically stable closed form.
     *
     * @param v the critic's raw value
     * @return {@code f*(g(v))}
     */
    public abstract double conjugateOfActivation(double v);

    /**
     * A short name for tables and command lines: {@code tv, kl, js, chi2, hellinger}.
     *
     * @return the short name
     */
    public String shortName() {
        return shortName;
    }

    /**
     * Parses a {@link #shortName()} or constant name (case-insensitive).
     *
     * @param name the name
     * @return the divergence
     * @throws IllegalArgumentException if no divergence has that name
     */
    public static FDivergence fromName(String name) {
        for (FDivergence d : values()) {
            if (d.shortName.equalsIgnoreCase(name) || d.name().equalsIgnoreCase(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown f-divergence \"" + name + "\", expected one of tv, kl, js, chi2, hellinger");
    }

    /** {@code log(1 + e^x)} without overflow. */
    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }
}
