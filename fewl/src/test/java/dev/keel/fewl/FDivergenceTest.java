package dev.keel.fewl;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Scale;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FDivergenceTest {

    /** Fenchel–Young: f(u) + f*(t) >= u·t for u > 0 and t in the conjugate's domain (t = g(v)). */
    @Property(tries = 2000)
    void fenchelYoung(@ForAll FDivergence d,
                      @ForAll @DoubleRange(min = 1e-6, max = 50) @Scale(8) double u,
                      @ForAll @DoubleRange(min = -6, max = 6) double v) {
        double t = d.activation(v);
        assertThat(d.inConjugateDomain(t)).isTrue();
        double lhs = d.f(u) + d.conjugate(t);
        assertThat(lhs).isGreaterThanOrEqualTo(u * t - 1e-9 * (1 + Math.abs(u * t)));
    }

    /** Fenchel–Young directly on the documented domains. */
    @Property(tries = 2000)
    void fenchelYoungOnDomain(@ForAll FDivergence d,
                              @ForAll @DoubleRange(min = 1e-6, max = 50) @Scale(8) double u,
                              @ForAll @DoubleRange(min = -5, max = 5) double t) {
        if (!d.inConjugateDomain(t)) {
            assertThat(d.conjugate(t)).isEqualTo(Double.POSITIVE_INFINITY);
            return;
        }
        assertThat(d.f(u) + d.conjugate(t)).isGreaterThanOrEqualTo(u * t - 1e-9 * (1 + Math.abs(u * t)));
    }

    /** The closed form f*(g(v)) agrees with composing the two. */
    @Property(tries = 1000)
    void conjugateOfActivationMatchesComposition(@ForAll FDivergence d, @ForAll @DoubleRange(min = -5, max = 5) double v) {
        double composed = d.conjugate(d.activation(v));
        assertThat(d.conjugateOfActivation(v)).isCloseTo(composed, within(1e-9 * (1 + Math.abs(composed))));
    }

    @Test
    void generatorsVanishAtOne() {
        for (FDivergence d : FDivergence.values()) {
            assertThat(d.f(1.0)).as(d.name()).isCloseTo(0.0, within(1e-12));
        }
    }

    @Test
    void equalityInFenchelYoungAtTheSlope() {
        // For differentiable f, f(u) + f*(f'(u)) = u f'(u); Hellinger: f'(u) = 1 - 1/sqrt(u).
        double u = 2.5;
        double t = 1 - 1 / Math.sqrt(u);
        FDivergence h = FDivergence.SQUARED_HELLINGER;
        assertThat(h.f(u) + h.conjugate(t)).isCloseTo(u * t, within(1e-12));
        FDivergence kl = FDivergence.KULLBACK_LEIBLER;
        double tk = Math.log(u) + 1;
        assertThat(kl.f(u) + kl.conjugate(tk)).isCloseTo(u * tk, within(1e-12));
    }

    @Test
    void namesParse() {
        assertThat(FDivergence.fromName("js")).isEqualTo(FDivergence.JENSEN_SHANNON);
        assertThat(FDivergence.fromName("SQUARED_HELLINGER")).isEqualTo(FDivergence.SQUARED_HELLINGER);
        assertThatThrownBy(() -> FDivergence.fromName("wasserstein")).hasMessageContaining("wasserstein");
    }

    /** With the optimal critic v = 1 + log(p/q), E_P[v] - E_Q[exp(v-1)] converges to KL(P||Q) for Gaussians. */
    @Property(tries = 12)
    void klEstimatorWithOptimalCriticConvergesForGaussians(@ForAll @DoubleRange(min = -1.5, max = 1.5) double mu1,
                                                          @ForAll @DoubleRange(min = -1.5, max = 1.5) double mu2,
                                                          @ForAll @DoubleRange(min = 0.8, max = 1.25) double s1) {
        double s2 = 1.0;
        double closed = Math.log(s2 / s1) + (s1 * s1 + (mu1 - mu2) * (mu1 - mu2)) / (2 * s2 * s2) - 0.5;
        SplittableRandom rng = new SplittableRandom(Double.doubleToLongBits(mu1 + 3 * mu2 + 7 * s1));
        double error = 0;
        for (int n : new int[] {2_000, 200_000}) {
            double[] p = new double[n];
            double[] q = new double[n];
            for (int i = 0; i < n; i++) {
                double zp = mu1 + s1 * gaussian(rng);
                double zq = mu2 + s2 * gaussian(rng);
                p[i] = 1 + logRatio(zp, mu1, s1, mu2, s2);
                q[i] = 1 + logRatio(zq, mu1, s1, mu2, s2);
            }
            error = Math.abs(VariationalFewl.estimate(FDivergence.KULLBACK_LEIBLER, p, q) - closed);
        }
        assertThat(error).isLessThan(0.05 + 0.05 * closed);
    }

    private static double logRatio(double z, double m1, double s1, double m2, double s2) {
        double a = (z - m1) / s1;
        double b = (z - m2) / s2;
        return Math.log(s2 / s1) - 0.5 * a * a + 0.5 * b * b;
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
