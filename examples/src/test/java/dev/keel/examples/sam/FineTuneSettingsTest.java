package dev.keel.examples.sam;

import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.core.testkit.TinyFixtures;
import dev.keel.sam.FineTuneResult;
import dev.keel.sam.LoraFineTuner;
import dev.keel.sam.OptimizerChoice;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FineTuneSettingsTest {

    /** A builder of the shared setters alone. */
    static final class Settings extends FineTuneSettings.Builder<Settings> {
        Settings() {
            super(TrainingConfig.builder().totalSteps(2).build(), List.of(OptimizerChoice.plain()));
        }

        @Override
        protected Settings self() {
            return this;
        }

        FineTuneSettings build() {
            return fineTune();
        }
    }

    @Test
    void theSharedSettersComposeTheSettings() {
        FineTuneSettings s = new Settings().seeds(4, 5).learningRate(1e-2).batchSize(2).lora(2, 4, "q_proj")
                .optimizers("none", "asam:0.5").build();
        assertThat(s.seeds()).containsExactly(4L, 5L);
        assertThat(s.training().learningRate()).isEqualTo(1e-2);
        assertThat(s.training().batchSize()).isEqualTo(2);
        assertThat(s.training().totalSteps()).isEqualTo(2);
        assertThat(s.lora().rank()).isEqualTo(2);
        assertThat(s.lora().targetModules()).containsExactly("q_proj");
        assertThat(s.optimizers()).containsExactly(OptimizerChoice.plain(), OptimizerChoice.asam(0.5, 0.01));
        assertThat(s.optimizerSpecs()).containsExactly("none", "asam:0.5");
        assertThat(s.describeLora()).isEqualTo("LoRA r=2 alpha=4.0 on [q_proj]");
        FineTuneSettings d = new Settings().build();
        assertThat(d.seeds()).containsExactly(1L, 2L, 3L);
        assertThat(d.lora()).isEqualTo(LoraFineTuner.DEFAULT_LORA);
        assertThat(new Settings().lora(4, 8).build().lora().targetModules()).containsExactly("q_proj", "v_proj");
    }

    @Test
    void fitUsesTheSeedAndThePerRunChanges() throws Exception {
        List<TrainingExample> data = TinyFixtures.randomExamples(2, 6, 41);
        FineTuneSettings s = new Settings().lora(LoraConfig.builder().rank(2).alpha(4).build()).batchSize(2).build();
        try (LlamaModel model = TinyFixtures.tinyModel(41)) {
            FineTuneResult r = s.fit(model, data, OptimizerChoice.sam(0.05), 9, t -> t.totalSteps(3));
            try (LoraAdapter a = r.adapter()) {
                assertThat(r.training().steps()).isEqualTo(3);
                assertThat(r.gradientPasses()).isEqualTo(6);
                assertThat(r.training().provenance().seed()).isEqualTo(9);
            }
        }
    }

    @Test
    void badSettingsNameTheValue() {
        TrainingConfig t = TrainingConfig.builder().build();
        LoraConfig l = LoraFineTuner.DEFAULT_LORA;
        List<OptimizerChoice> o = List.of(OptimizerChoice.plain());
        assertThatThrownBy(() -> new FineTuneSettings(List.of(), t, l, o)).hasMessageContaining("seeds");
        assertThatThrownBy(() -> new FineTuneSettings(List.of(1L, 1L), t, l, o)).hasMessageContaining("seeds must be distinct, were [1, 1]");
        assertThatThrownBy(() -> new FineTuneSettings(List.of(1L), null, l, o)).hasMessageContaining("training");
        assertThatThrownBy(() -> new FineTuneSettings(List.of(1L), t, null, o)).hasMessageContaining("lora");
        assertThatThrownBy(() -> new FineTuneSettings(List.of(1L), t, l, List.of())).hasMessageContaining("optimizers");
        Settings b = new Settings();
        assertThatThrownBy(() -> b.learningRate(0)).hasMessageContaining("learningRate must be > 0, was 0.0");
        assertThatThrownBy(() -> b.batchSize(0)).hasMessageContaining("batchSize must be > 0, was 0");
        assertThatThrownBy(() -> b.lora(0, 8)).hasMessageContaining("rank must be > 0, was 0");
        assertThatThrownBy(() -> b.lora(2, -1)).hasMessageContaining("loraAlpha must be > 0, was -1.0");
        assertThatThrownBy(() -> b.lora(null)).hasMessageContaining("lora");
        assertThatThrownBy(() -> b.training(null)).hasMessageContaining("training");
        assertThatThrownBy(() -> b.seeds((List<Long>) null)).hasMessageContaining("seeds");
        assertThatThrownBy(() -> b.optimizers("adam")).hasMessageContaining("optimizer \"adam\" is not");
    }
}
