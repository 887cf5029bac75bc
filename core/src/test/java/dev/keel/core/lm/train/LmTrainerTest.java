package dev.keel.core.lm.train;

import dev.keel.core.testkit.TinyFixtures;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.ChatRecord;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.safetensors.SafeTensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class LmTrainerTest {

    /** Sequences of varying length with a prompt of 3 tokens; a fixed pattern so there is something to learn. */
    static List<TrainingExample> data(int n) {
        SplittableRandom r = new SplittableRandom(5);
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = 5 + r.nextInt(6);
            long[] prompt = {1, 10 + i % 5, 20};
            long[] response = new long[len];
            for (int t = 0; t < len; t++) {
                response[t] = 30 + (i % 5 + t) % 7;
            }
            out.add(TrainingExample.promptAndResponse(prompt, response));
        }
        return out;
    }

    static LoraConfig lora() {
        return LoraConfig.builder().rank(4).alpha(8).targetModules("q_proj", "v_proj", "down_proj").dropout(0.1).build();
    }

    static TrainingConfig.Builder config() {
        return TrainingConfig.builder().learningRate(5e-3).warmupSteps(2).totalSteps(6).schedule(LrSchedule.COSINE)
                .batchSize(4).maxGradNorm(1.0).weightDecay(0.01).seed(9).logEvery(100);
    }

    @Test
    void trainingLowersTheLoss() throws IOException {
        try (LlamaModel model = TinyFixtures.vectorsModel();
             LoraAdapter adapter = LoraAdapter.create(model, lora(), 1);
             LmTrainer trainer = LmTrainer.builder().model(model).parameters(adapter.parameters())
                     .config(config().learningRate(2e-2).totalSteps(15).build()).build()) {
            TrainingResult r = trainer.fit(data(12));
            assertThat(r.status()).isEqualTo(TrainingResult.Status.COMPLETED);
            assertThat(r.losses()).hasSize(15);
            float first = r.losses().get(0);
            float last = r.losses().get(14);
            System.out.println("LoRA training loss " + first + " -> " + last);
            assertThat(last).isLessThan(first * 0.7f);
        }
    }

    @Test
    void progressIsReportedToListeners() throws IOException {
        List<TrainingListener.Progress> seen = new ArrayList<>();
        List<TrainingResult> ended = new ArrayList<>();
        try (LlamaModel model = TinyFixtures.vectorsModel();
             LoraAdapter adapter = LoraAdapter.create(model, lora(), 1);
             LmTrainer trainer = LmTrainer.builder().model(model).parameters(adapter.parameters())
                     .config(config().totalSteps(4).build()).listener(new TrainingListener() {
                         @Override
                         public void onStep(Progress p) {
                             seen.add(p);
                         }

                         @Override
                         public void onEnd(TrainingResult result) {
                             ended.add(result);
                         }
                     }).build()) {
            trainer.fit(data(8));
        }
        assertThat(seen).hasSize(4);
        assertThat(seen.get(0).step()).isEqualTo(1);
        assertThat(seen.get(0).learningRate()).isCloseTo(2.5e-3, offset(1e-12));
        assertThat(seen.get(1).learningRate()).isCloseTo(5e-3, offset(1e-12));
        assertThat(seen.get(3).eta().isZero()).isTrue();
        assertThat(seen).allSatisfy(p -> assertThat(p.tokensPerSecond()).isPositive());
        assertThat(seen.get(2).epoch()).isEqualTo(1);
        assertThat(ended).hasSize(1);
        assertThat(ended.get(0).provenance().seed()).isEqualTo(9);
        assertThat(ended.get(0).provenance().config()).containsEntry("totalSteps", "4").containsEntry("schedule", "COSINE");
    }

    /** Runs 6 steps, checkpointing every 3, optionally stopping after step 3. */
    private static TrainingResult run(Path ckpt, boolean stopAtThree, Map<String, float[]> finalWeights) throws IOException {
        try (LlamaModel model = TinyFixtures.vectorsModel();
             LoraAdapter adapter = LoraAdapter.create(model, lora(), 1)) {
            LmTrainer[] holder = new LmTrainer[1];
            try (LmTrainer trainer = LmTrainer.builder().model(model).parameters(adapter.parameters())
                    .config(config().checkpointEvery(3).gradientAccumulation(2).batchSize(2).build())
                    .checkpointDir(ckpt)
                    .checkpointExtras(dir -> adapter.save(dir.resolve("adapter")))
                    .listener(new TrainingListener() {
                        @Override
                        public void onStep(Progress p) {
                            if (stopAtThree && p.step() == 3) {
                                holder[0].requestStop();
                            }
                        }
                    }).build()) {
                holder[0] = trainer;
                TrainingResult r = trainer.fit(data(10));
                adapter.parameters().forEach((k, p) -> finalWeights.put(k, p.getArray().toFloatArray()));
                return r;
            }
        }
    }

    @Test
    void aResumedRunContinuesTheSameLossCurve(@TempDir Path dir) throws IOException {
        Map<String, float[]> straightWeights = new HashMap<>();
        TrainingResult straight = run(dir.resolve("a"), false, straightWeights);
        assertThat(straight.status()).isEqualTo(TrainingResult.Status.COMPLETED);
        Map<String, float[]> ignored = new HashMap<>();
        TrainingResult first = run(dir.resolve("b"), true, ignored);
        assertThat(first.status()).isEqualTo(TrainingResult.Status.STOPPED);
        assertThat(first.steps()).isEqualTo(3);
        assertThat(first.lastCheckpoint()).isEqualTo(dir.resolve("b").resolve("step-000003"));
        assertThat(Files.readString(dir.resolve("b").resolve("latest")).strip()).isEqualTo("step-000003");
        assertThat(first.lastCheckpoint().resolve("adapter").resolve("adapter_model.safetensors")).exists();
        Map<String, float[]> resumedWeights = new HashMap<>();
        TrainingResult resumed = run(dir.resolve("b"), false, resumedWeights);
        assertThat(resumed.status()).isEqualTo(TrainingResult.Status.COMPLETED);
        assertThat(resumed.losses()).hasSize(6);
        System.out.println("straight " + straight.losses() + "\nresumed  " + resumed.losses());
        for (int i = 0; i < 6; i++) {
            assertThat(resumed.losses().get(i)).isCloseTo(straight.losses().get(i), offset(1e-6f));
        }
        for (String k : straightWeights.keySet()) {
            assertThat(TinyFixtures.maxAbsDiff(resumedWeights.get(k), straightWeights.get(k))).as(k).isLessThan(1e-6);
        }
        try (Stream<Path> s = Files.list(dir.resolve("b"))) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("latest", "step-000003", "step-000006");
        }
    }

    /** Trains {@code steps} steps into {@code ckpt} (checkpoint every 2) with the given rate and run settings. */
    private static TrainingResult resumeRun(Path ckpt, double lr, Map<String, String> settings, boolean allow, int stopAt)
            throws IOException {
        try (LlamaModel model = TinyFixtures.vectorsModel();
             LoraAdapter adapter = LoraAdapter.create(model, lora(), 1)) {
            LmTrainer[] holder = new LmTrainer[1];
            try (LmTrainer trainer = LmTrainer.builder().model(model).parameters(adapter.parameters())
                    .config(config().learningRate(lr).checkpointEvery(2).batchSize(2).build())
                    .checkpointDir(ckpt).runSettings(settings).allowConfigChange(allow)
                    .listener(new TrainingListener() {
                        @Override
                        public void onStep(Progress p) {
                            if (p.step() == stopAt) {
                                holder[0].requestStop();
                            }
                        }
                    }).build()) {
                holder[0] = trainer;
                return trainer.fit(data(10));
            }
        }
    }

    @Test
    void aResumeWithAnotherConfigurationIsRefusedNamingEachFieldUnlessAllowed(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("c");
        TrainingResult first = resumeRun(ckpt, 1e-3, Map.of("optimizer", "adamw", "dataSha256", "aa"), false, 2);
        assertThat(first.status()).isEqualTo(TrainingResult.Status.STOPPED);
        assertThatThrownBy(() -> resumeRun(ckpt, 1e38, Map.of("optimizer", "sam(rho=0.05)", "dataSha256", "aa"), false, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot resume")
                .hasMessageContaining("learningRate: checkpoint 0.001, now 1.0E38")
                .hasMessageContaining("optimizer: checkpoint adamw, now sam(rho=0.05)")
                .hasMessageNotContaining("dataSha256");
        assertThat(Files.readString(ckpt.resolve("latest")).strip()).isEqualTo("step-000002");
        TrainingResult same = resumeRun(ckpt, 1e-3, Map.of("optimizer", "adamw", "dataSha256", "aa"), false, -1);
        assertThat(same.status()).isEqualTo(TrainingResult.Status.COMPLETED);
        assertThat(same.losses().subList(0, 2)).isEqualTo(first.losses());
        TrainingResult allowed = resumeRun(ckpt, 2e-3, Map.of("optimizer", "adamw", "dataSha256", "aa"), true, -1);
        assertThat(allowed.status()).isEqualTo(TrainingResult.Status.COMPLETED);
        assertThatThrownBy(() -> LmTrainer.builder().runSettings(Map.of("seed", "1")))
                .hasMessageContaining("\"seed\" is a TrainingConfig field");
    }

    @Test
    void gradientAccumulationMatchesOneLargeBatch() throws IOException {
        Map<String, float[]> big = new HashMap<>();
        Map<String, float[]> accumulated = new HashMap<>();
        float[] losses = new float[2];
        for (int variant = 0; variant < 2; variant++) {
            try (LlamaModel model = TinyFixtures.vectorsModel();
                 LoraAdapter adapter = LoraAdapter.create(model, LoraConfig.builder().rank(4).alpha(8).build(), 1);
                 LmTrainer trainer = LmTrainer.builder().model(model).parameters(adapter.parameters())
                         .config(config().totalSteps(1).warmupSteps(0).batchSize(variant == 0 ? 4 : 2)
                                 .gradientAccumulation(variant == 0 ? 1 : 2).build()).build()) {
                losses[variant] = trainer.fit(data(8)).losses().get(0);
                Map<String, float[]> out = variant == 0 ? big : accumulated;
                adapter.parameters().forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
            }
        }
        assertThat(losses[1]).isCloseTo(losses[0], offset(1e-5f));
        for (String k : big.keySet()) {
            assertThat(TinyFixtures.maxAbsDiff(accumulated.get(k), big.get(k))).as(k).isLessThan(1e-6);
        }
    }

    @Test
    void aNonFiniteLossStopsWithTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        try (LlamaModel model = TinyFixtures.vectorsModel();
             LoraAdapter adapter = LoraAdapter.create(model, lora(), 1)) {
            int[] step = {0};
            StepStrategy poisoned = (pass, params) -> ++step[0] == 3 ? Float.NaN : pass.run();
            try (LmTrainer trainer = LmTrainer.builder().model(model).parameters(adapter.parameters())
                    .config(config().checkpointEvery(1).build()).checkpointDir(dir).stepStrategy(poisoned).build()) {
                TrainingResult r = trainer.fit(data(8));
                assertThat(r.status()).isEqualTo(TrainingResult.Status.DIVERGED);
                assertThat(r.steps()).isEqualTo(2);
                assertThat(r.lastCheckpoint()).isEqualTo(dir.resolve("step-000002"));
                assertThat(r.message()).contains("step 3").contains("step-000002");
                assertThat(Files.readString(dir.resolve("latest")).strip()).isEqualTo("step-000002");
                try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve("step-000002").resolve("trainer_state.safetensors"))) {
                    for (Map.Entry<String, Parameter> e : adapter.parameters().entrySet()) {
                        assertThat(e.getValue().getArray().toFloatArray()).containsExactly(f.readFloats("param/" + e.getKey()));
                    }
                }
            }
        }
    }

    @Test
    void aStepStrategyCanTakeTwoGradientPasses() throws IOException {
        LoraConfig noDropout = LoraConfig.builder().rank(4).alpha(8).targetModules("q_proj", "v_proj", "down_proj").build();
        Map<String, float[]> standard = new HashMap<>();
        Map<String, float[]> twice = new HashMap<>();
        int[] passes = {0};
        // two passes at the same weights: the second pass's gradients replace (do not add to) the first's
        StepStrategy twoPasses = (pass, params) -> {
            float loss = pass.run();
            passes[0]++;
            pass.run();
            passes[0]++;
            return loss;
        };
        List<Float> losses = new ArrayList<>();
        for (StepStrategy strategy : List.of(StepStrategy.standard(), twoPasses)) {
            try (LlamaModel model = TinyFixtures.vectorsModel();
                 LoraAdapter adapter = LoraAdapter.create(model, noDropout, 1);
                 LmTrainer trainer = LmTrainer.builder().model(model).parameters(adapter.parameters())
                         .config(config().totalSteps(3).build()).stepStrategy(strategy).build()) {
                losses.addAll(trainer.fit(data(8)).losses());
                Map<String, float[]> out = strategy == twoPasses ? twice : standard;
                adapter.parameters().forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
            }
        }
        assertThat(passes[0]).isEqualTo(6);
        assertThat(losses.subList(3, 6)).containsExactlyElementsOf(losses.subList(0, 3));
        for (String k : standard.keySet()) {
            assertThat(twice.get(k)).as(k).containsExactly(standard.get(k));
        }
    }

    @Test
    void fullTrainingOfASmallRandomModel() throws IOException {
        dev.keel.core.lm.LlamaConfig c = dev.keel.core.lm.LlamaConfig.builder().vocabSize(64).hiddenSize(32)
                .intermediateSize(64).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2)
                .tieWordEmbeddings(true).maxPositionEmbeddings(32).build();
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); LlamaModel model = LlamaModel.random(c, 3, m)) {
            model.setBaseTrainable(true);
            assertThat(model.isBaseTrainable()).isTrue();
            try (LmTrainer trainer = LmTrainer.builder().model(model).parameters(model.parameters())
                    .config(config().learningRate(1e-2).totalSteps(20).build()).build()) {
                TrainingResult r = trainer.fit(data(8));
                System.out.println("full training loss " + r.losses().get(0) + " -> " + r.losses().get(19));
                assertThat(r.losses().get(19)).isLessThan(r.losses().get(0) * 0.6f);
            }
            model.setBaseTrainable(false);
            assertThat(model.parameters().values()).allSatisfy(p -> assertThat(p.requiresGradient()).isFalse());
        }
    }

    @Test
    void collatePadsOnTheRightAndMasksPadding() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray[] a = LmTrainer.collate(m, List.of(TrainingExample.of(5, 6, 7), TrainingExample.promptAndResponse(
                    new long[] {1, 2}, new long[] {3})), 0);
            assertThat(a[0].toLongArray()).containsExactly(5, 6, 7, 1, 2, 3);
            assertThat(a[1].toFloatArray()).containsExactly(1, 1, 1, 1, 1, 1);
            assertThat(a[2].toFloatArray()).containsExactly(0, 1, 1, 0, 0, 1);
            NDArray[] b = LmTrainer.collate(m, List.of(TrainingExample.of(5, 6, 7, 8), TrainingExample.of(1, 2)), 9);
            assertThat(b[0].toLongArray()).containsExactly(5, 6, 7, 8, 1, 2, 9, 9);
            assertThat(b[1].toFloatArray()).containsExactly(1, 1, 1, 1, 1, 1, 0, 0);
            assertThat(b[2].toFloatArray()).containsExactly(0, 1, 1, 1, 0, 1, 0, 0);
        }
    }

    @Test
    void chatRecordsTrainOnTheReplyOnly() throws IOException, URISyntaxException {
        Path tok = Path.of(getClass().getResource("/tokenizers/tiny-word-97.json").toURI());
        try (LmTokenizer t = LmTokenizer.load(tok)) {
            ChatRecord rec = ChatRecord.of(List.of(ChatMessage.user("what is the water"), ChatMessage.assistant("it is water")));
            TrainingExample e = ChatExamples.encode(rec, t, ChatTemplate.llama2(), 2);
            long[] ids = e.inputIds();
            boolean[] mask = e.labelMask();
            // <s> [INST] what is the water [/INST] it is water </s> + eos 2
            assertThat(ids).hasSize(12);
            assertThat(ids[ids.length - 1]).isEqualTo(2);
            assertThat(e.targetCount()).isEqualTo(5);
            assertThat(mask).containsExactly(false, false, false, false, false, false, false, true, true, true, true, true);
            assertThatThrownBy(() -> ChatExamples.encodeAll(List.of(rec, ChatRecord.of(List.of(ChatMessage.user("x")))),
                    t, ChatTemplate.llama2(), 2)).hasMessageContaining("record 2 of 2").hasMessageContaining("assistant");
        }
    }

    @Test
    void badConfigurationsAreClearErrors() throws IOException {
        assertThatThrownBy(() -> TrainingConfig.builder().learningRate(-1)).hasMessageContaining("learningRate");
        assertThatThrownBy(() -> TrainingConfig.builder().warmupSteps(10).totalSteps(5).build())
                .hasMessageContaining("warmupSteps (10) must not exceed totalSteps (5)");
        assertThatThrownBy(() -> TrainingConfig.builder().betas(1.0, 0.9)).hasMessageContaining("beta1");
        assertThatThrownBy(() -> TrainingExample.of(1)).hasMessageContaining("at least 2 tokens");
        try (LlamaModel model = TinyFixtures.vectorsModel()) {
            assertThatThrownBy(() -> LmTrainer.builder().model(model).parameters(model.parameters()))
                    .hasMessageContaining("does not take gradients");
        }
    }
}
