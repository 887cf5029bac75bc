package dev.keel.fewl;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The tensor search agrees with the brute-force reference (to float rounding) on random data. */
class NeighbourSearchTensorTest {

    private static float[][] unitVectors(int n, int d, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[][] v = new float[n][d];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (int k = 0; k < d; k++) {
                v[i][k] = (float) rnd.nextGaussian();
                norm += v[i][k] * v[i][k];
            }
            for (int k = 0; k < d; k++) {
                v[i][k] /= (float) Math.sqrt(norm);
            }
        }
        return v;
    }

    @Test
    void agreesWithBruteForceAcrossBlocksWithSelfAndDuplicatesExcluded() {
        float[][] corpus = unitVectors(700, 16, 1);
        corpus[5] = corpus[4].clone();                  // a near-duplicate pair
        float[][] queries = new float[600][];
        int[] self = new int[600];
        for (int i = 0; i < 600; i++) {
            queries[i] = corpus[i];
            self[i] = i;
        }
        NeighbourSearch.Result t = NeighbourSearch.topKTensor(queries, corpus, 7, self, 0.95, Device.cpu());
        NeighbourSearch.Result b = NeighbourSearch.bruteForce(queries, corpus, 7, self, 0.95);
        int sameIndex = 0;
        for (int q = 0; q < queries.length; q++) {
            assertThat(t.indices()[q]).hasSize(7).doesNotContain(q);
            for (int r = 0; r < 7; r++) {
                assertThat(t.similarities()[q][r]).isCloseTo(b.similarities()[q][r], org.assertj.core.data.Offset.offset(1e-5));
                if (t.indices()[q][r] == b.indices()[q][r]) {
                    sameIndex++;
                }
            }
        }
        assertThat(t.indices()[4]).doesNotContain(5);
        assertThat(sameIndex).isGreaterThanOrEqualTo(600 * 7 - 10);
    }

    @Test
    void aSmallCorpusGivesFewerThanK() {
        float[][] corpus = unitVectors(3, 4, 2);
        NeighbourSearch.Result t = NeighbourSearch.topKTensor(corpus, corpus, 5, new int[] {0, 1, 2}, 2.0, Device.cpu());
        assertThat(t.indices()[0]).hasSize(2).containsExactlyInAnyOrder(1, 2);
    }
}
