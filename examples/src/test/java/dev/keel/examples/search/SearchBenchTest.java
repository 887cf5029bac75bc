package dev.keel.examples.search;

import dev.keel.core.lm.search.Verifier;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SearchBenchTest {

    @Test
    void digitClosenessGradesNearMissesBelowTheAnswer() {
        Verifier v = SearchBench.digitCloseness("63");
        assertThat(v.score("63")).isEqualTo(1.0);
        assertThat(v.score(" 63 ")).isEqualTo(1.0);
        assertThat(v.score("61")).isEqualTo(0.25);   // the tens digit agrees: 0.5 · 1/2
        assertThat(v.score("53")).isEqualTo(0.25);   // the units digit agrees
        assertThat(v.score("12")).isEqualTo(0.0);
        assertThat(v.score("163")).isEqualTo(0.5 * 2 / 3);
        assertThat(v.score("sixty-three")).isEqualTo(0.0);
        assertThat(v.score("")).isEqualTo(0.0);
        assertThat(SearchBench.digitCloseness("148").score("141")).isEqualTo(0.5 * 2 / 3);
        assertThatThrownBy(() -> SearchBench.digitCloseness("a b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("answer must be digits, was \"a b\"");
    }

    @Test
    void settingsCarryTheSolverAndTheGradedValue() {
        SearchBench.Settings d = SearchBench.Settings.defaults();
        assertThat(d.solver()).isFalse();
        assertThat(d.graded()).isFalse();
        assertThat(d.withSolver(true).solver()).isTrue();
        assertThat(d.withSolver(true).withGraded(true).graded()).isTrue();
        assertThat(d.withSolver(true).withGraded(true).solver()).isTrue();
        assertThat(new SearchBench.Settings(8, 1, 1)).isEqualTo(d);
    }
}
