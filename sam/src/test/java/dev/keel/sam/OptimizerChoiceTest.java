package dev.keel.sam;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OptimizerChoiceTest {

    @Test
    void parsesEachForm() {
        assertThat(OptimizerChoice.parse("none")).isSameAs(OptimizerChoice.plain());
        assertThat(OptimizerChoice.parse(" NONE ")).isSameAs(OptimizerChoice.plain());
        assertThat(OptimizerChoice.parse("sam:0.05")).isEqualTo(new OptimizerChoice.SamStep(0.05));
        assertThat(OptimizerChoice.parse("asam:0.5")).isEqualTo(new OptimizerChoice.AsamStep(0.5, 0.01));
        assertThat(OptimizerChoice.parse("asam:0.5:0.2")).isEqualTo(new OptimizerChoice.AsamStep(0.5, 0.2));
        assertThat(OptimizerChoice.parse("looksam:0.05:5")).isEqualTo(new OptimizerChoice.LookSamStep(0.05, 5, 0.7));
        assertThat(OptimizerChoice.parse("LookSAM:0.05:5:0.3")).isEqualTo(new OptimizerChoice.LookSamStep(0.05, 5, 0.3));
    }

    @Test
    void specReadsBackToTheSameChoice() {
        for (String s : new String[] {"none", "sam:0.05", "sam:0.5", "asam:0.5", "asam:0.5:0.2", "looksam:0.05:5",
                "looksam:0.05:2:0.5"}) {
            OptimizerChoice c = OptimizerChoice.parse(s);
            assertThat(c.spec()).isEqualTo(s);
            assertThat(c.toString()).isEqualTo(s);
            assertThat(OptimizerChoice.parse(c.spec())).isEqualTo(c);
        }
    }

    @Test
    void buildsTheMatchingSamStrategy() {
        assertThat(OptimizerChoice.plain().samBuilder(Sam.Scope.LORA)).isNull();
        try (Sam s = OptimizerChoice.sam(0.05).samBuilder(Sam.Scope.ALL_TRAINABLE).build()) {
            assertThat(s.variant()).isEqualTo(Sam.Variant.SAM);
            assertThat(s.rho()).isEqualTo(0.05);
            assertThat(s.scope()).isEqualTo(Sam.Scope.ALL_TRAINABLE);
        }
        try (Sam s = OptimizerChoice.asam(0.5, 0.01).samBuilder(Sam.Scope.LORA).build()) {
            assertThat(s.variant()).isEqualTo(Sam.Variant.ASAM);
            assertThat(s.describe()).isEqualTo("asam(rho=0.5, eta=0.01)");
        }
        try (Sam s = OptimizerChoice.lookSam(0.05, 5, 0.7).samBuilder(Sam.Scope.LORA).build()) {
            assertThat(s.variant()).isEqualTo(Sam.Variant.LOOKSAM);
            assertThat(s.describe()).isEqualTo("looksam(rho=0.05, k=5, alpha=0.7)");
        }
    }

    @Test
    void badFormsNameTheValueAndListTheForms() {
        String forms = "none, sam:RHO, asam:RHO[:ETA] or looksam:RHO:K[:ALPHA]";
        assertThatThrownBy(() -> OptimizerChoice.parse("adam")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("optimizer \"adam\" is not " + forms).hasMessageContaining("unknown optimizer \"adam\"");
        assertThatThrownBy(() -> OptimizerChoice.parse("")).hasMessageContaining("optimizer \"\" is not");
        assertThatThrownBy(() -> OptimizerChoice.parse(null)).hasMessageContaining("optimizer");
        assertThatThrownBy(() -> OptimizerChoice.parse("none:1")).hasMessageContaining("none takes no arguments");
        assertThatThrownBy(() -> OptimizerChoice.parse("sam")).hasMessageContaining("expected sam:RHO");
        assertThatThrownBy(() -> OptimizerChoice.parse("sam:0.1:2")).hasMessageContaining("expected sam:RHO");
        assertThatThrownBy(() -> OptimizerChoice.parse("sam:x")).hasMessageContaining("rho must be a number, was \"x\"");
        assertThatThrownBy(() -> OptimizerChoice.parse("sam:-1")).hasMessageContaining("optimizer \"sam:-1\"")
                .hasMessageContaining("rho must be > 0, was -1.0");
        assertThatThrownBy(() -> OptimizerChoice.parse("asam:0.5:1:2")).hasMessageContaining("expected asam:RHO or asam:RHO:ETA");
        assertThatThrownBy(() -> OptimizerChoice.parse("asam:0.5:-1")).hasMessageContaining("eta must be >= 0, was -1.0");
        assertThatThrownBy(() -> OptimizerChoice.parse("looksam:0.1")).hasMessageContaining("looksam:RHO:K");
        assertThatThrownBy(() -> OptimizerChoice.parse("looksam:0.1:2.5")).hasMessageContaining("k must be an integer, was \"2.5\"");
        assertThatThrownBy(() -> OptimizerChoice.parse("looksam:0.1:0")).hasMessageContaining("k must be >= 1, was 0");
        assertThatThrownBy(() -> OptimizerChoice.parse("looksam:0.1:2:-1")).hasMessageContaining("alpha must be >= 0, was -1.0");
    }

    @Test
    void factoriesCheckTheirValues() {
        assertThatThrownBy(() -> OptimizerChoice.sam(0)).hasMessageContaining("rho must be > 0, was 0.0");
        assertThatThrownBy(() -> OptimizerChoice.sam(Double.NaN)).hasMessageContaining("rho must be > 0, was NaN");
        assertThatThrownBy(() -> OptimizerChoice.asam(-1, 0.01)).hasMessageContaining("rho must be > 0, was -1.0");
        assertThatThrownBy(() -> OptimizerChoice.asam(0.5, Double.POSITIVE_INFINITY)).hasMessageContaining("eta must be >= 0");
        assertThatThrownBy(() -> OptimizerChoice.lookSam(0.5, 0, 0.7)).hasMessageContaining("k must be >= 1, was 0");
        assertThatThrownBy(() -> OptimizerChoice.lookSam(0.5, 2, -0.1)).hasMessageContaining("alpha must be >= 0, was -0.1");
    }
}
