package dev.keel.sam;

import dev.keel.core.testkit.TinyFixtures;

import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.core.lm.train.TrainingResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoraFineTunerTest {

    @Test
    void fitsWithAndWithoutSam(@TempDir Path dir) throws Exception {
        List<TrainingExample> data = TinyFixtures.randomExamples(4, 8, 21);
        try (LlamaModel model = TinyFixtures.tinyModel(21)) {
            LmObjective eval = LmObjective.of(model, Map.of(), data);
            double before = eval.loss();
            FineTuneResult plain = LoraFineTuner.builder().model(model).data(data).lora(4, 8, "q_proj", "v_proj")
                    .totalSteps(8).batchSize(4).learningRate(1e-2).seed(1).build().fit();
            try (LoraAdapter a = plain.adapter()) {
                assertThat(plain.training().status()).isEqualTo(TrainingResult.Status.COMPLETED);
                assertThat(plain.history()).hasSize(8);
                assertThat(plain.gradientPasses()).isEqualTo(8);
                assertThat(plain.optimizer()).isEqualTo("adamw");
                assertThat(eval.loss()).isLessThan(before);
                assertThat(plain.history().get(0).perturbedLoss()).isNaN();
            }
            FineTuneResult sam = LoraFineTuner.builder().model(model).data(data).lora(4, 8, "q_proj", "v_proj")
                    .sam(0.05).totalSteps(8).batchSize(4).learningRate(1e-2).seed(1).checkpointDir(dir.resolve("ckpt"))
                    .build().fit();
            try (LoraAdapter a = sam.adapter()) {
                assertThat(sam.history()).hasSize(8);
                assertThat(sam.gradientPasses()).isEqualTo(16);
                assertThat(sam.optimizer()).isEqualTo("sam(rho=0.05)+adamw");
                assertThat(sam.history()).allSatisfy(m -> {
                    assertThat(m.passes()).isEqualTo(2);
                    assertThat(m.epsilonNorm()).isBetween(0.0499, 0.0501);
                    assertThat(m.perturbedLoss()).isFinite();
                });
                assertThat(eval.loss()).isLessThan(before);
                assertThat(sam.historyCsv().lines()).hasSize(9);
                assertThat(Files.exists(dir.resolve("ckpt/step-000008/adapter_model.safetensors"))).isTrue();
                a.save(dir.resolve("adapter"));
            }
            assertThat(model.linearLayers().values()).allSatisfy(l -> assertThat(l.lora()).isNull());
            FineTuneResult look = LoraFineTuner.builder().model(model).data(data).lookSam(0.05, 4, 0.7)
                    .totalSteps(8).batchSize(4).learningRate(1e-2).seed(1).build().fit();
            try (LoraAdapter a = look.adapter()) {
                assertThat(look.gradientPasses()).isEqualTo(8 + 2);
                assertThat(look.history().stream().mapToInt(FineTuneResult.StepMetrics::passes).toArray())
                        .containsExactly(2, 1, 1, 1, 2, 1, 1, 1);
            }
        }
    }

    @Test
    void samOverAllTrainableWeights() throws Exception {
        List<TrainingExample> data = TinyFixtures.randomExamples(2, 6, 22);
        try (LlamaModel model = TinyFixtures.tinyModel(22)) {
            float[] before = model.parameters().get("model.layers.0.mlp.up_proj.weight").getArray().toFloatArray();
            FineTuneResult r = LoraFineTuner.builder().model(model).data(data).lora(2, 4).trainBaseWeights(true)
                    .samScope(Sam.Scope.ALL_TRAINABLE).asam(0.5, 0.01).totalSteps(2).batchSize(2).learningRate(1e-3)
                    .build().fit();
            try (LoraAdapter a = r.adapter()) {
                assertThat(r.gradientPasses()).isEqualTo(4);
                assertThat(model.parameters().get("model.layers.0.mlp.up_proj.weight").getArray().toFloatArray())
                        .isNotEqualTo(before);
            }
            assertThat(model.isBaseTrainable()).isFalse();
        }
    }

    @Test
    void badSettingsNameTheValue() {
        assertThatThrownBy(() -> LoraFineTuner.builder().sam(-1)).hasMessageContaining("rho must be > 0, was -1.0");
        assertThatThrownBy(() -> LoraFineTuner.builder().epochs(0)).hasMessageContaining("epochs must be > 0, was 0");
        assertThatThrownBy(() -> LoraFineTuner.builder().learningRate(0)).hasMessageContaining("learningRate must be > 0, was 0.0");
        assertThatThrownBy(() -> LoraFineTuner.builder().lora(0, 8)).hasMessageContaining("r");
        assertThatThrownBy(() -> LoraFineTuner.builder().build()).hasMessageContaining("model must be set");
    }
}
