package dev.keel.fewl;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Argument checks of the one-liner (no model is loaded for these). */
class FewlTest {

    @Test
    void oneLinerRejectsBadArgumentsBeforeLoadingAnything() {
        assertThatThrownBy(() -> Fewl.score("q", "", Reference.list("r"))).hasMessageContaining("answer must not be blank");
        assertThatThrownBy(() -> Fewl.score(" ", "a", Reference.list("r"))).hasMessageContaining("question must not be blank");
        assertThatThrownBy(() -> Fewl.score("q", "a", List.of())).hasMessageContaining("refs must not be empty");
        assertThatThrownBy(() -> Fewl.score("q", "a", null)).hasMessageContaining("refs must not be null");
    }
}
