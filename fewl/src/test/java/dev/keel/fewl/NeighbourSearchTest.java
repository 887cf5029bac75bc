package dev.keel.fewl;

import dev.keel.core.testkit.TestEmbedders;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NeighbourSearchTest {

    @Property(tries = 30)
    void blockedTopKEqualsBruteForce(@ForAll long seed,
                                     @ForAll @IntRange(min = 1, max = 300) int queries,
                                     @ForAll @IntRange(min = 1, max = 700) int corpusSize,
                                     @ForAll @IntRange(min = 0, max = 30) int k) {
        SplittableRandom r = new SplittableRandom(seed);
        int d = 16;
        float[][] corpus = random(r, corpusSize, d);
        float[][] q = new float[queries][];
        int[] self = new int[queries];
        for (int i = 0; i < queries; i++) {
            if (r.nextBoolean()) {
                self[i] = r.nextInt(corpusSize);
                q[i] = corpus[self[i]].clone();
            } else {
                self[i] = -1;
                q[i] = random(r, 1, d)[0];
            }
        }
        // Some exact duplicates in the corpus, so that the threshold has something to do.
        if (corpusSize > 2) {
            corpus[corpusSize - 1] = corpus[0].clone();
        }
        double threshold = 0.9;
        NeighbourSearch.Result a = NeighbourSearch.topK(q, corpus, k, self, threshold);
        NeighbourSearch.Result b = NeighbourSearch.bruteForce(q, corpus, k, self, threshold);
        for (int i = 0; i < queries; i++) {
            assertThat(a.indices()[i]).containsExactly(b.indices()[i]);
            assertThat(a.similarities()[i]).containsExactly(b.similarities()[i]);
            for (int j = 0; j < a.indices()[i].length; j++) {
                assertThat(a.indices()[i][j]).isNotEqualTo(self[i]);
                assertThat(a.similarities()[i][j]).isLessThanOrEqualTo(threshold);
            }
        }
    }

    @Test
    void ordersBestFirstAndBreaksTiesByIndex() {
        float[][] corpus = {{1, 0}, {0, 1}, {0.6f, 0.8f}, {0, 1}};
        NeighbourSearch.Result r = NeighbourSearch.topK(new float[][] {{0, 1}}, corpus, 3, null, 1.5);
        assertThat(r.indices()[0]).containsExactly(1, 3, 2);
        NeighbourSearch.Result noDup = NeighbourSearch.topK(new float[][] {{0, 1}}, corpus, 3, null, 0.99);
        assertThat(noDup.indices()[0]).containsExactly(2, 0);
    }

    @Test
    void rejectsMismatchedShapes() {
        assertThatThrownBy(() -> NeighbourSearch.topK(new float[][] {{1, 0}}, new float[][] {{1, 0, 0}}, 1, null, 1))
                .hasMessageContaining("corpus[0] must have length 2");
        assertThatThrownBy(() -> NeighbourSearch.topK(new float[][] {{1, 0}}, new float[][] {{1, 0}}, 1, new int[2], 1))
                .hasMessageContaining("size mismatch");
        assertThatThrownBy(() -> NeighbourSearch.topK(new float[][] {{1, 0}}, new float[][] {{1, 0}}, -1, null, 1))
                .hasMessageContaining("k must be >= 0, was -1");
    }

    private static float[][] random(SplittableRandom r, int n, int d) {
        float[][] v = new float[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                v[i][j] = (float) (r.nextDouble() * 2 - 1);
            }
            TestEmbedders.normalise(v[i]);
        }
        return v;
    }

    @Test
    void onlyLargeSearchesWithPyTorchsNativeLibraryUseTensors() {
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.BooleanSupplier absent = () -> {
            asked.incrementAndGet();
            return false;
        };
        assertThat(NeighbourSearch.usesTensors(2000, 2000, 25, () -> true)).isTrue();
        assertThat(NeighbourSearch.usesTensors(2000, 2000, 25, absent)).isFalse();     // no native library: plain Java
        assertThat(asked.get()).isEqualTo(1);
        assertThat(NeighbourSearch.usesTensors(10, 10, 25, absent)).isFalse();         // small: the library is not even looked for
        assertThat(NeighbourSearch.usesTensors(2000, 2000, 0, absent)).isFalse();
        assertThat(asked.get()).isEqualTo(1);
        assertThat(NeighbourSearch.usesTensors(1, (int) NeighbourSearch.TENSOR_THRESHOLD - 1, 1, () -> true)).isFalse();
    }
}
