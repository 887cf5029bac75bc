package dev.keel.fewl;

import dev.keel.core.testkit.TestEmbedders;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Theorem 3.4 of the FEWL paper, simulated: references with constant per-model expertise answer
 * conditionally independently; answerers with known error rates; the least hallucinating answerer
 * has the highest expected FEWL. Checked as the mean over seeds, and as "ranks first in most seeds".
 */
class TheoremSimulationTest {

    private static final double[] ANSWERER_ERROR = {0.1, 0.3, 0.5, 0.7};
    private static final double[] REFERENCE_ACCURACY = {0.8, 0.6, 0.5};

    @Test
    void mostTruthfulAnswererRanksFirstInExpectation() {
        int seeds = 10;
        double[] meanOverSeeds = new double[ANSWERER_ERROR.length];
        int firstCount = 0;
        for (int seed = 0; seed < seeds; seed++) {
            double[] m = meanFewl(seed, 60);
            int best = 0;
            for (int a = 0; a < m.length; a++) {
                meanOverSeeds[a] += m[a] / seeds;
                if (m[a] > m[best]) {
                    best = a;
                }
            }
            if (best == 0) {
                firstCount++;
            }
        }
        for (int a = 1; a < meanOverSeeds.length; a++) {
            assertThat(meanOverSeeds[a - 1]).as("answerer %d vs %d", a - 1, a).isGreaterThan(meanOverSeeds[a]);
        }
        assertThat(firstCount).isGreaterThanOrEqualTo(8);
    }

    private static double[] meanFewl(long seed, int questions) {
        SplittableRandom r = new SplittableRandom(seed);
        List<FewlItem> items = new ArrayList<>();
        for (int q = 0; q < questions; q++) {
            SimulatedData.Question qq = SimulatedData.question(r, q);
            List<Reference> refs = new ArrayList<>();
            for (int m = 0; m < REFERENCE_ACCURACY.length; m++) {
                refs.add(Reference.of("ref" + m, r.nextDouble() < REFERENCE_ACCURACY[m] ? qq.truth() : qq.wrong().get(r.nextInt(4))));
            }
            for (int a = 0; a < ANSWERER_ERROR.length; a++) {
                String answer = r.nextDouble() < ANSWERER_ERROR[a] ? qq.wrong().get(r.nextInt(4)) : qq.truth();
                items.add(new FewlItem("a" + a + "-q" + q, qq.question(), answer, refs,
                        qq.wrong().subList(0, 2), List.of(qq.paraphrase()), null));
            }
        }
        double[] mean = new double[ANSWERER_ERROR.length];
        try (FewlScorer s = Fewl.builder().embedder(new TestEmbedders.Hashing(128)).neighbours(5).build()) {
            List<FewlScore> scores = s.scoreAll(items);
            for (int i = 0; i < scores.size(); i++) {
                mean[i % ANSWERER_ERROR.length] += scores.get(i).total() / questions;
            }
        }
        return mean;
    }
}
