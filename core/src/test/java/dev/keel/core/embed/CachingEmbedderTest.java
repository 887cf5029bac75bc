package dev.keel.core.embed;

import dev.keel.core.similarity.CosineSimilarity;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CachingEmbedderTest {

    /** A deterministic embedder that records what it was asked to embed. */
    static final class CountingEmbedder implements Embedder {
        final List<List<String>> calls = new ArrayList<>();
        boolean closed;

        @Override
        public float[][] embedAll(List<String> texts) {
            calls.add(List.copyOf(texts));
            float[][] out = new float[texts.size()][];
            for (int i = 0; i < texts.size(); i++) {
                float[] v = new float[4];
                for (char c : texts.get(i).toCharArray()) {
                    v[c % 4] += 1;
                }
                v[3] += 0.5f;
                out[i] = OnnxEmbedder.normalize(v);
            }
            return out;
        }

        @Override
        public int dimension() {
            return 4;
        }

        @Override
        public String id() {
            return "counting";
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void embedsEachDistinctTextOnceAcrossCalls() {
        CountingEmbedder inner = new CountingEmbedder();
        try (CachingEmbedder e = new CachingEmbedder(inner)) {
            float[][] first = e.embedAll(List.of("a", "b", "a"));
            float[][] second = e.embedAll(List.of("b", "c", "c"));
            assertThat(inner.calls).containsExactly(List.of("a", "b"), List.of("c"));
            assertThat(first[0]).isEqualTo(first[2]);
            assertThat(second[0]).isEqualTo(first[1]);
            assertThat(e.size()).isEqualTo(3);
            e.embedAll(List.of("a", "c"));
            assertThat(inner.calls).hasSize(2);
        }
        assertThat(inner.closed).isTrue();
    }

    @Test
    void returnedVectorsCannotCorruptTheCache() {
        CachingEmbedder e = new CachingEmbedder(new CountingEmbedder(), false);
        float[] v = e.embed("x");
        float keep = v[0];
        v[0] = 42;
        assertThat(e.embed("x")[0]).isEqualTo(keep);
    }

    @Test
    void cosineEmbedsEachDistinctTextOncePerCall() {
        CountingEmbedder inner = new CountingEmbedder();
        CosineSimilarity sim = new CosineSimilarity(inner);
        double[][] m = sim.matrix(List.of("ab", "cd", "ab"), List.of("ab", "x"));
        assertThat(inner.calls).containsExactly(List.of("ab", "cd", "x"));
        assertThat(m[0][0]).isEqualTo(1.0);
        assertThat(m[2]).isEqualTo(m[0]);
        double[] pairs = sim.scoreAll(List.of("ab", "cd"), List.of("cd", "ab"));
        assertThat(pairs[0]).isEqualTo(pairs[1]);
    }
}
