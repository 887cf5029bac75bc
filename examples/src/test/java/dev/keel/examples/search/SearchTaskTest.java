package dev.keel.examples.search;

import dev.keel.examples.tiny.TinyCorpus;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The tasks' answers are computed from the prompt, and held-out problems are never training ones. */
class SearchTaskTest {

    @Test
    void answersAreComputedFromThePrompt() {
        assertThat(SearchTask.ADD2.answer("What is 42 + 17?")).isEqualTo("59");
        assertThat(SearchTask.ADD2.answer("Add 42 and 21.")).isEqualTo("63");
        assertThat(SearchTask.ADD1.answer("What is 3 plus 4?")).isEqualTo("7");
        assertThat(SearchTask.COPY.answer("Repeat these words: cat dog sun")).isEqualTo("cat dog sun");
        assertThat(SearchTask.REVERSE.answer("Say these words backwards: cat dog sun")).isEqualTo("sun dog cat");
        assertThatThrownBy(() -> SearchTask.ADD2.answer("Tell me a joke"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Tell me a joke");
        assertThatThrownBy(() -> SearchTask.of("mul")).hasMessage("task must be one of [add2, add1, copy, reverse], was mul");
    }

    @Test
    void everyCorpusAnswerAgreesWithTheComputedOne() {
        for (SearchTask t : SearchTask.values()) {
            for (TinyCorpus.Item it : t.heldOut(40)) {
                assertThat(t.answer(it.prompt())).as(it.prompt()).isEqualTo(it.answer());
            }
            for (TinyCorpus.Item it : t.training(100, 1)) {
                assertThat(t.answer(it.prompt())).as(it.prompt()).isEqualTo(it.answer());
            }
        }
    }

    @Test
    void heldOutProblemsAreNotInTraining() {
        Set<String> trained = new HashSet<>();
        for (TinyCorpus.Item it : TinyCorpus.train(SearchTask.MODEL_SEED)) {
            trained.add(it.prompt());
        }
        for (SearchTask t : SearchTask.values()) {
            List<TinyCorpus.Item> held = t.heldOut(40);
            assertThat(held).hasSize(t == SearchTask.ADD1 ? Math.min(40, held.size()) : 40);
            for (TinyCorpus.Item it : held) {
                assertThat(trained).as(t.key()).doesNotContain(it.prompt());
            }
        }
    }

    @Test
    void wilsonIntervalMatchesTheFormula() {
        double[] w = SearchBench.wilson(7, 30);
        // Wilson's formula evaluated separately in Python (z = 1.959964): 0.117924, 0.409283
        assertThat(w[0]).isBetween(0.117923, 0.117925);
        assertThat(w[1]).isBetween(0.409282, 0.409284);
        assertThat(SearchBench.wilson(0, 0)).containsExactly(0, 1);
    }
}
