package dev.keel.core.similarity;

import dev.keel.core.embed.Embedder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** An embedder that breaks its promise (unit vectors, one per text) gives an error, not a clamped "cosine". */
class CosineSimilarityContractTest {

    private static Embedder returning(float[][] vectors) {
        return new Embedder() {
            @Override
            public float[][] embedAll(List<String> texts) {
                return vectors;
            }

            @Override
            public int dimension() {
                return 2;
            }

            @Override
            public String id() {
                return "broken";
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void nonUnitVectorsAreRefusedNotClamped() {
        // before: dot = 12 clamped to 1.0, a perfect score for two different texts
        CosineSimilarity c = new CosineSimilarity(returning(new float[][] {{3, 0}, {4, 0}}));
        assertThatThrownBy(() -> c.score("a", "b")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("embedder broken returned vector 0 of norm 3.0");
        assertThatThrownBy(() -> c.matrix(List.of("a"), List.of("b"))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aMissingOrShortVectorIsRefused() {
        assertThatThrownBy(() -> new CosineSimilarity(returning(new float[][] {{1, 0}})).score("a", "b"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("returned 1 vectors for 2 texts");
        assertThatThrownBy(() -> new CosineSimilarity(returning(new float[][] {{1, 0}, {1}})).score("a", "b"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("vector 1 of 1 floats");
    }

    @Test
    void unitVectorsScoreTheirCosine() {
        float s = (float) Math.sqrt(0.5);
        assertThat(new CosineSimilarity(returning(new float[][] {{1, 0}, {s, s}})).score("a", "b")).isCloseTo(s, within(1e-6));
    }
}
