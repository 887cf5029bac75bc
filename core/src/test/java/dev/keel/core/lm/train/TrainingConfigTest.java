package dev.keel.core.lm.train;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainingConfigTest {

    @Test
    void toBuilderKeepsEveryValue() {
        TrainingConfig c = TrainingConfig.builder().learningRate(3e-3).weightDecay(0.1).betas(0.8, 0.99).epsilon(1e-6)
                .warmupSteps(2).totalSteps(9).epochs(4).schedule(LrSchedule.LINEAR).minLrRatio(0.1).maxGradNorm(0.5)
                .batchSize(3).gradientAccumulation(2).maxLength(12).padTokenId(5).seed(77).checkpointEvery(3)
                .keepCheckpoints(4).logEvery(7).build();
        TrainingConfig copy = c.toBuilder().build();
        assertThat(copy.asMap()).isEqualTo(c.asMap());
        assertThat(copy.checkpointEvery()).isEqualTo(3);
        assertThat(copy.keepCheckpoints()).isEqualTo(4);
        assertThat(copy.logEvery()).isEqualTo(7);
        TrainingConfig other = c.toBuilder().seed(1).totalSteps(20).build();
        assertThat(other.seed()).isEqualTo(1);
        assertThat(other.totalSteps()).isEqualTo(20);
        assertThat(other.learningRate()).isEqualTo(3e-3);
        assertThat(c.seed()).isEqualTo(77);
    }

    @Test
    void toBuilderChecksAsItGoes() {
        TrainingConfig c = TrainingConfig.builder().totalSteps(5).build();
        assertThatThrownBy(() -> c.toBuilder().batchSize(0)).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> c.toBuilder().warmupSteps(6).build())
                .hasMessageContaining("warmupSteps (6) must not exceed totalSteps (5)");
    }
}
