package dev.keel.core.internal;

import dev.keel.core.KeelVersion;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PreconditionsTest {

    @Test
    void messagesNameTheArgumentAndTheValue() {
        assertThatThrownBy(() -> Preconditions.checkPositive(-0.1, "rho")).hasMessage("rho must be finite and > 0, was -0.1");
        assertThatThrownBy(() -> Preconditions.checkPositive(0, "k")).hasMessage("k must be > 0, was 0");
        assertThatThrownBy(() -> Preconditions.checkInRange(2.0, 0, 1, "p")).hasMessage("p must be in [0.0, 1.0], was 2.0");
        assertThatThrownBy(() -> Preconditions.notNull(null, "model")).isInstanceOf(NullPointerException.class).hasMessage("model must not be null");
        assertThatThrownBy(() -> Preconditions.notBlank(" ", "id")).hasMessageContaining("id must not be blank");
        assertThatThrownBy(() -> Preconditions.notEmpty(List.of(), "refs")).hasMessage("refs must not be empty");
        assertThatThrownBy(() -> Preconditions.noNulls(Arrays.asList("a", null), "texts")).hasMessageContaining("element 1 was null");
        assertThatThrownBy(() -> Preconditions.checkPositive(Double.NaN, "tau")).hasMessageContaining("was NaN");
        assertThatThrownBy(() -> Preconditions.checkNonNegative(Double.POSITIVE_INFINITY, "t")).hasMessageContaining("Infinity");
    }

    @Test
    void versionIsFilteredByTheBuild() {
        assertThat(KeelVersion.get()).isNotEqualTo("unknown").doesNotContain("${");
    }
}
