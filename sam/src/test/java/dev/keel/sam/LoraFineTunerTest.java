package dev.keel.sam;

import dev.keel.core.testkit.TinyFixtures;

import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.TrainingConfig;
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
            LoraConfig lora = LoraConfig.builder().rank(4).alpha(8).targetModules("q_proj", "v_proj").build();
            TrainingConfig training = TrainingConfig.builder().totalSteps(8).batchSize(4).learningRate(1e-2).seed(1).build();
            FineTuneResult plain = LoraFineTuner.builder(model, data).lora(lora).training(training).build().fit();
            try (LoraAdapter a = plain.adapter()) {
                assertThat(plain.training().status()).isEqualTo(TrainingResult.Status.COMPLETED);
                assertThat(plain.history()).hasSize(8);
                assertThat(plain.gradientPasses()).isEqualTo(8);
                assertThat(plain.optimizer()).isEqualTo("adamw");
                assertThat(eval.loss()).isLessThan(before);
                assertThat(plain.history().get(0).perturbedLoss()).isNaN();
            }
            FineTuneResult sam = LoraFineTuner.builder(model, data).lora(lora).optimizer(OptimizerChoice.sam(0.05))
                    .training(training).checkpointDir(dir.resolve("ckpt")).build().fit();
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
            FineTuneResult look = LoraFineTuner.builder(model, data).optimizer(OptimizerChoice.parse("looksam:0.05:4"))
                    .training(training).build().fit();
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
            FineTuneResult r = LoraFineTuner.builder(model, data).lora(LoraConfig.builder().rank(2).alpha(4).build())
                    .trainBaseWeights(true).samScope(Sam.Scope.ALL_TRAINABLE).optimizer(OptimizerChoice.asam(0.5, 0.01))
                    .training(TrainingConfig.builder().totalSteps(2).batchSize(2).learningRate(1e-3).build())
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
    void composesTheConfigurationsItIsGiven() throws Exception {
        List<TrainingExample> data = TinyFixtures.randomExamples(2, 6, 23);
        try (LlamaModel model = TinyFixtures.tinyModel(23)) {
            TrainingConfig training = TrainingConfig.builder().epochs(2).seed(5).build();
            LoraConfig lora = LoraConfig.builder().rank(2).alpha(4).build();
            LoraFineTuner t = LoraFineTuner.builder(model, data).training(training).lora(lora)
                    .optimizer(OptimizerChoice.sam(0.1)).build();
            assertThat(t.trainingConfig()).isSameAs(training);
            assertThat(t.loraConfig()).isSameAs(lora);
            assertThat(t.optimizer()).isEqualTo(OptimizerChoice.sam(0.1));
            LoraFineTuner d = LoraFineTuner.builder(model, data).build();
            assertThat(d.loraConfig()).isEqualTo(LoraFineTuner.DEFAULT_LORA);
            assertThat(d.optimizer()).isEqualTo(OptimizerChoice.plain());
            assertThat(d.trainingConfig().asMap()).isEqualTo(TrainingConfig.builder().build().asMap());
        }
    }

    @Test
    void badSettingsNameTheValue() throws Exception {
        List<TrainingExample> data = TinyFixtures.randomExamples(2, 6, 24);
        assertThatThrownBy(() -> LoraFineTuner.builder(null, data)).hasMessageContaining("model");
        try (LlamaModel model = TinyFixtures.tinyModel(24)) {
            assertThatThrownBy(() -> LoraFineTuner.builder(model, List.of())).hasMessageContaining("data");
            LoraFineTuner.Builder b = LoraFineTuner.builder(model, data);
            assertThatThrownBy(() -> b.training(null)).hasMessageContaining("training");
            assertThatThrownBy(() -> b.lora(null)).hasMessageContaining("lora");
            assertThatThrownBy(() -> b.optimizer(null)).hasMessageContaining("optimizer");
            assertThatThrownBy(() -> b.samScope(null)).hasMessageContaining("scope");
            assertThatThrownBy(() -> b.listener(null)).hasMessageContaining("listener");
            assertThatThrownBy(() -> LoraFineTuner.builder(model, List.of(), null, null)).hasMessageContaining("records");
        }
    }
}
