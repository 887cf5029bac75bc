package dev.keel.examples;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class QuickStartIT {

    @Test
    void paraphrasesAreCloserThanUnrelatedSentences() {
        double close = QuickStart.similarity("The cat sits on the mat.", "A cat is sitting on a mat.");
        double far = QuickStart.similarity("The cat sits on the mat.", "Tax forms are due in April.");
        assertThat(close).isGreaterThan(0.9);
        assertThat(far).isLessThan(0.2);
    }

    @Test
    void embedReturnsThreeUnitVectorsOf384() {
        float[][] vectors = QuickStart.embed();
        assertThat(vectors).hasNumberOfRows(3);
        for (float[] v : vectors) {
            assertThat(v).hasSize(384);
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
    }
}
