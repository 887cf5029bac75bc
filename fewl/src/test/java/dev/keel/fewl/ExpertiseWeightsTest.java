package dev.keel.fewl;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The expertise weights against values worked out by hand on a two-reference item. */
class ExpertiseWeightsTest {

    /** A symmetric lookup table of similarities. */
    static PairSimilarity table(Object... pairs) {
        Map<String, Double> t = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 3) {
            t.put(pairs[i] + "|" + pairs[i + 1], (Double) pairs[i + 2]);
            t.put(pairs[i + 1] + "|" + pairs[i], (Double) pairs[i + 2]);
        }
        return (a, b) -> {
            Double v = t.get(a + "|" + b);
            if (v == null) {
                throw new AssertionError("unexpected pair " + a + " / " + b);
            }
            return v;
        };
    }

    private static final FewlItem ITEM = new FewlItem("q", "question?", "Y",
            List.of(Reference.of("a", "A"), Reference.of("b", "B")), List.of("W1", "W2"), List.of("C"), null);

    @Test
    void expertiseIsMeanAgreementWithCorrectedMinusWithWrong() {
        PairSimilarity sims = table("A", "C", 0.8, "A", "W1", 0.2, "A", "W2", 0.4,
                "B", "C", 0.1, "B", "W1", 0.6, "B", "W2", 0.6);
        // a: 0.8 - (0.2 + 0.4) / 2 = 0.5; b: 0.1 - (0.6 + 0.6) / 2 = -0.5
        assertThat(ExpertiseWeights.expertise(sims, ITEM, new int[] {0, 1})).containsExactly(new double[] {0.5, -0.5}, within(1e-15));
        assertThat(ExpertiseWeights.expertise(sims, ITEM, new int[] {1})).containsExactly(new double[] {-0.5}, within(1e-15));
    }

    @Test
    void aMissingKindCountsZero() {
        FewlItem onlyWrong = ITEM.withExpertiseAnswers(List.of("W1"), List.of());
        PairSimilarity sims = table("A", "W1", 0.2, "B", "W1", 0.6);
        assertThat(ExpertiseWeights.expertise(sims, onlyWrong, new int[] {0, 1})).containsExactly(new double[] {-0.2, -0.6}, within(1e-15));
    }

    @Test
    void aNanSimilarityNamesTheItemAndTheReference() {
        PairSimilarity sims = (a, b) -> Double.NaN;
        assertThatThrownBy(() -> ExpertiseWeights.expertise(sims, ITEM, new int[] {0, 1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("item q: similarity of reference a and a corrected answer is NaN");
    }

    @Test
    void softmaxOfExpertiseOverTemperature() {
        // e = (0.5, -0.5), tau = 0.5: exp(0) : exp(-2)
        double[] lambda = ExpertiseWeights.softmax(new double[] {0.5, -0.5}, 0.5);
        double z = 1 + Math.exp(-2);
        assertThat(lambda).containsExactly(new double[] {1 / z, Math.exp(-2) / z}, within(1e-15));
        assertThat(lambda[0]).isCloseTo(0.8807970779778823, within(1e-15));
        // Large e does not overflow: only differences count.
        assertThat(ExpertiseWeights.softmax(new double[] {1000, 1000}, 0.01)).containsExactly(0.5, 0.5);
        assertThat(ExpertiseWeights.uniform(4)).containsExactly(0.25, 0.25, 0.25, 0.25);
    }

    @Test
    void pooledWithinStdSkipsSingletonsAndAveragesVariances() {
        // variances 0.25 and ((0.2)^2 + 0 + (0.2)^2) / 3; the singleton group is left out
        double expected = Math.sqrt((0.25 + 0.08 / 3) / 2);
        assertThat(ExpertiseWeights.pooledWithinStd(List.of(new double[] {0.5, -0.5}, new double[] {1.0}, new double[] {0.2, 0.4, 0.6})))
                .isCloseTo(expected, within(1e-15));
        assertThat(ExpertiseWeights.pooledWithinStd(List.of(new double[] {3.0}))).isZero();
        assertThat(ExpertiseWeights.pooledWithinStd(List.of())).isZero();
    }
}
