package dev.keel.sam;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.rwkv.RwkvConfig;
import dev.keel.core.lm.rwkv.RwkvModel;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.core.lm.train.TrainingResult;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** LoRA + SAM fine-tuning of the recurrent RWKV model, through the same fine-tuner as the Transformer's. */
class RwkvFineTuneTest {

    @Test
    void loraWithSamFitsAnRwkvModel(@TempDir Path dir) throws Exception {
        List<TrainingExample> data = TinyFixtures.randomExamples(4, 20, 21);
        RwkvConfig c = RwkvConfig.builder().vocabSize(97).hiddenSize(32).intermediateSize(64).numHiddenLayers(2).build();
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             RwkvModel model = RwkvModel.random(c, 3, root)) {
            LmObjective eval = LmObjective.of(model, Map.of(), data);
            double before = eval.loss();
            LoraConfig lora = LoraConfig.builder().rank(4).alpha(8)
                    .targetModules("receptance", "key", "value", "output", "head").build();
            TrainingConfig training = TrainingConfig.builder().totalSteps(6).batchSize(4).learningRate(2e-2).seed(1).build();
            FineTuneResult sam = LoraFineTuner.builder(model, data).lora(lora).optimizer(OptimizerChoice.sam(0.05))
                    .training(training).checkpointDir(dir.resolve("ckpt")).build().fit();
            try (LoraAdapter a = sam.adapter()) {
                // time mixing's and channel mixing's receptance/key/value, time mixing's output per block; the head
                assertThat(a.layers().keySet()).hasSize(2 * 7 + 1).contains("rwkv.blocks.1.attention.output",
                        "rwkv.blocks.0.feed_forward.key", "rwkv.blocks.0.feed_forward.receptance",
                        "rwkv.blocks.1.feed_forward.value", "head");
                assertThat(sam.training().status()).isEqualTo(TrainingResult.Status.COMPLETED);
                assertThat(sam.history()).hasSize(6).allSatisfy(m -> {
                    assertThat(m.passes()).isEqualTo(2);
                    assertThat(m.epsilonNorm()).isBetween(0.0499, 0.0501);
                    assertThat(m.perturbedLoss()).isFinite();
                });
                double after = eval.loss();
                System.out.println("RWKV LoRA+SAM: loss " + before + " -> " + after);
                assertThat(after).isLessThan(before - 0.05);
                a.save(dir.resolve("adapter"));
                assertThat(Files.readString(dir.resolve("adapter/adapter_config.json"))).contains("receptance");
            }
        }
    }
}
