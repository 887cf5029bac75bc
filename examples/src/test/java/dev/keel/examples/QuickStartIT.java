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
}
