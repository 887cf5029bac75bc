package dev.keel.core.lm.rwkv;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.generate.GenerationResult;
import dev.keel.core.lm.generate.Generator;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.LmTrainer;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.core.lm.train.TrainingExample;
import dev.keel.core.lm.train.TrainingResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Generation, training and LoRA through the interfaces the Transformer uses. */
class RwkvGenerationTest {

    static RwkvConfig config() {
        return RwkvConfig.builder().vocabSize(40).hiddenSize(32).intermediateSize(64).numHiddenLayers(2)
                .contextLength(64).eosTokenId(1).build();
    }

    /** Greedy continuation by full recomputation, the slow way. */
    private static List<Long> greedyByRecomputation(RwkvModel model, long[] prompt, int n) {
        List<Long> seq = new ArrayList<>();
        for (long p : prompt) {
            seq.add(p);
        }
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try (NDManager step = model.manager().newSubManager()) {
                long[] ids = seq.stream().mapToLong(Long::longValue).toArray();
                NDArray logits = model.forward(step.create(new long[][] {ids}));
                long next = logits.get(new NDIndex("0, -1, :")).argMax().getLong();
                seq.add(next);
                out.add(next);
            }
        }
        return out;
    }

    @Test
    void greedyWithStateEqualsRecomputationAndBatchesAgree() {
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             RwkvModel model = RwkvModel.random(config(), 4, root)) {
            Generator g = new Generator(model);
            GenerationOptions greedy = GenerationOptions.builder().temperature(0).maxTokens(12).build();
            long[] prompt = {5, 6, 7, 8};
            GenerationResult withState = g.generate(prompt, greedy, Set.of(), true, null);
            GenerationResult without = g.generate(prompt, greedy, Set.of(), false, null);
            assertThat(withState.tokens()).containsExactly(without.tokens());
            assertThat(withState.tokens()).hasSize(12);
            List<Long> slow = greedyByRecomputation(model, prompt, 12);
            assertThat(withState.tokens()).containsExactly(slow.stream().mapToLong(Long::longValue).toArray());
            // batched: left-padded prompts of different lengths give each row's own result
            long[] other = {9, 3};
            List<GenerationResult> both = g.generateBatch(List.of(new Generator.Request(prompt, greedy, Set.of(), 0, null),
                    new Generator.Request(other, greedy, Set.of(), 0, null)));
            assertThat(both.get(0).tokens()).containsExactly(withState.tokens());
            assertThat(both.get(1).tokens()).containsExactly(g.generate(other, greedy, Set.of(), true, null).tokens());
            // a stop id ends generation before it
            long stop = withState.tokens()[3];
            GenerationResult stopped = g.generate(prompt, greedy, Set.of(stop), true, null);
            assertThat(stopped.reason()).isEqualTo(GenerationResult.FinishReason.STOP_TOKEN);
            assertThat(stopped.tokens().length).isLessThanOrEqualTo(3);
            // sampling is reproducible from its seed and differs across seeds
            GenerationOptions s1 = GenerationOptions.builder().temperature(1.5).maxTokens(20).seed(1L).build();
            GenerationOptions s2 = GenerationOptions.builder().temperature(1.5).maxTokens(20).seed(2L).build();
            assertThat(g.generate(prompt, s1, Set.of(), true, null).tokens())
                    .containsExactly(g.generate(prompt, s1, Set.of(), true, null).tokens());
            assertThat(g.generate(prompt, s1, Set.of(), true, null).tokens())
                    .isNotEqualTo(g.generate(prompt, s2, Set.of(), true, null).tokens());
        }
    }

    @Test
    void trainerAndLoraTrainAnRwkvModel(@TempDir Path dir) throws Exception {
        // a copying task: the model learns to continue 2 3 4 ... 9 from 2 3 4
        List<TrainingExample> data = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            data.add(TrainingExample.of(new long[] {2, 3, 4, 5, 6, 7, 8, 9, 1}));
        }
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             RwkvModel model = RwkvModel.random(config(), 5, root);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(4).alpha(8)
                     .targetModules(LoraConfig.ALL_LINEAR, "head").build(), 9)) {
            assertThat(lora.layers()).hasSize(2 * 7 + 1).containsKey("head");
            model.save(dir.resolve("base"));
            TrainingConfig tc = TrainingConfig.builder().totalSteps(40).batchSize(4).learningRate(3e-2).warmupSteps(2)
                    .seed(1).build();
            TrainingResult r;
            try (LmTrainer t = LmTrainer.builder().model(model).parameters(lora.parameters()).config(tc).build()) {
                r = t.fit(data);
            }
            System.out.println("RWKV LoRA losses: " + r.losses());
            assertThat(r.status()).isEqualTo(TrainingResult.Status.COMPLETED);
            assertThat(r.losses().get(r.losses().size() - 1)).isLessThan(r.losses().get(0) * 0.5f);
            GenerationResult g = new Generator(model).generate(new long[] {2, 3, 4},
                    GenerationOptions.builder().temperature(0).maxTokens(10).build(), Set.of(1L), true, null);
            assertThat(g.tokens()).containsExactly(5, 6, 7, 8, 9);
            assertThat(g.reason()).isEqualTo(GenerationResult.FinishReason.STOP_TOKEN);
            // the adapter saves in PEFT's layout and loads back onto a fresh copy of the base
            lora.save(dir.resolve("adapter"));
            try (RwkvModel base = RwkvModel.load(dir.resolve("base"), Device.cpu());
                 LoraAdapter back = LoraAdapter.load(base, dir.resolve("adapter"))) {
                assertThat(back.layers().keySet()).isEqualTo(lora.layers().keySet());
                GenerationResult again = new Generator(base).generate(new long[] {2, 3, 4},
                        GenerationOptions.builder().temperature(0).maxTokens(10).build(), Set.of(1L), true, null);
                assertThat(again.tokens()).containsExactly(g.tokens());
            }
        }
    }
}
