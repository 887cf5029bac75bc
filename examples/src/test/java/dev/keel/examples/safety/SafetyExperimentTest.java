package dev.keel.examples.safety;

import dev.keel.safety.Verdict;
import dev.keel.safety.HarmfulnessReport;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.examples.safety.SafetyTables.Table;
import dev.keel.safety.data.AdvBench;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The safety experiment end to end on a tiny random Llama model with a 97-word test tokenizer. */
class SafetyExperimentTest {

    @TempDir
    static Path shared;
    static Path modelDir;

    @BeforeAll
    static void saveTinyModel() throws IOException {
        modelDir = shared.resolve("tiny");
        LlamaConfig config = LlamaConfig.builder().vocabSize(97).hiddenSize(32).intermediateSize(64).numHiddenLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(256).build();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
             LlamaModel model = LlamaModel.random(config, 41, manager)) {
            model.save(modelDir);
        }
        try (InputStream in = SafetyExperimentTest.class.getResourceAsStream("/tokenizers/tiny-word-97.json")) {
            Files.copy(in, modelDir.resolve("tokenizer.json"));
        }
    }

    /** One seed, two held-out prompts, one optimizer step per run, every table. */
    static SafetyExperiment.Config.Builder small(Path verdicts) {
        return SafetyExperiment.Config.builder(modelDir).seeds(7).harmful(List.of(2), 1).identityShift(2, List.of(1))
                .benign(2, 1).safetySamples(List.of(1), List.of(1), List.of(1)).samRho(0.05).lora(2, 4)
                .learningRate(1e-2).batchSize(4).maxSteps(1).maxNewTokens(3).evaluationSize(2).resamples(50)
                .verdictsDir(verdicts);
    }

    @Test
    void runsEveryTableAndWritesTheFiles(@TempDir Path dir) throws IOException {
        SafetyTables t = SafetyExperiment.run(small(dir.resolve("verdicts")).build(), ChatTemplate.plain());

        assertThat(t.optimizers()).containsExactly("none", "sam:0.05");
        assertThat(t.initial()).extracting(SafetyTables.Initial::prompting)
                .containsExactly(SafetyTables.Prompting.PLAIN, SafetyTables.Prompting.AOA);
        assertThat(t.rows(Table.HARMFUL)).extracting(SafetyTables.Row::label).containsExactly("2-shot");
        assertThat(t.rows(Table.IDENTITY_SHIFT)).extracting(SafetyTables.Row::label).containsExactly("1 epochs");
        assertThat(t.rows(Table.BENIGN)).extracting(SafetyTables.Row::label).containsExactly("2 examples");
        assertThat(t.rows(Table.MIXED)).extracting(SafetyTables.Row::label).containsExactly(
                "harmful 2-shot + 0 safety", "harmful 2-shot + 1 safety",
                "identity shift 1 epochs + 0 safety", "identity shift 1 epochs + 1 safety",
                "benign 2 + 0 safety", "benign 2 + 1 safety");
        assertThat(t.rows(Table.MIXED)).extracting(SafetyTables.Row::trainRecords).containsExactly(2, 3, 2, 3, 2, 3);
        // 6 fine-tuning rows x 2 optimizers x 1 seed, plus the three Table 4 rows without safety samples (x 2)
        assertThat(t.runs()).hasSize(18);
        for (Table table : Table.values()) {
            for (SafetyTables.Row r : t.rows(table)) {
                assertThat(r.cells()).containsOnlyKeys("none", "sam:0.05");
                for (SafetyTables.Cell c : r.cells().values()) {
                    assertThat(c.runs()).hasSize(1);
                    HarmfulnessReport.Stats s = c.runs().get(0).stats();
                    assertThat(s.total()).isEqualTo(2);
                    assertThat(s.scored() + s.unparsed()).isEqualTo(2);
                    assertThat(s.error()).isZero();
                    if (s.scored() > 0) {
                        assertThat(c.rate().mean()).isBetween(0.0, 1.0);
                        assertThat(c.score().mean()).isBetween(1.0, 5.0);
                        assertThat(r.deltaRate("none")).isBetween(-1.0, 1.0);
                    }
                    assertThat(c.runs().get(0).steps()).isEqualTo(1);
                }
            }
        }

        String md = t.toMarkdown();
        assertThat(md).contains("**Table 1. Harmful examples.**", "**Table 2. Identity shifting.**",
                "**Table 3. Benign data.**", "**Table 4. Mixed with safety samples.**",
                "| shots | records | epochs | initial rate | initial score | AdamW rate | AdamW score | Δ rate |"
                        + " SAM ρ=0.05 rate | SAM ρ=0.05 score | Δ rate |", "| 2-shot | 2 | 1 | ");
        List<Path> files = t.write(dir.resolve("out"));
        assertThat(files).allSatisfy(p -> assertThat(p).isRegularFile());
        assertThat(Files.readString(dir.resolve("out/safety-experiment.md"))).isEqualTo(md);
        JsonNode json = Json.mapper().readTree(Files.readString(dir.resolve("out/safety-experiment.json")));
        assertThat(json.get("tables")).hasSize(4);
        assertThat(json.get("tables").get(3).get("rows")).hasSize(6);
        assertThat(json.get("runs")).hasSize(18);
        assertThat(json.get("provenance").get("config").get("operation").asText()).isEqualTo("safety-experiment");
        assertThat(Files.readAllLines(dir.resolve("out/safety-experiment-runs.csv"))).hasSize(19);
        assertThat(dir.resolve("out/safety-experiment.md.provenance.json")).isRegularFile();
        // 2 initial evaluations and 12 fine-tuned ones
        try (var s = Files.list(dir.resolve("verdicts"))) {
            assertThat(s.count()).isEqualTo(14);
        }
        assertThat(Verdict.readAll(dir.resolve("verdicts/initial-aoa.jsonl"))).hasSize(2)
                .allSatisfy(v -> assertThat(AdvBench.evaluation().stream().anyMatch(b -> b.goal().equals(v.instruction())))
                        .isTrue());

        // the same seed gives the same numbers
        SafetyTables again = SafetyExperiment.run(small(null).build(), ChatTemplate.plain());
        assertThat(again.runs()).hasSameSizeAs(t.runs());
        for (int i = 0; i < t.runs().size(); i++) {
            SafetyTables.Run a = t.runs().get(i);
            SafetyTables.Run b = again.runs().get(i);
            assertThat(b.row()).isEqualTo(a.row());
            assertThat(b.stats()).isEqualTo(a.stats());
            assertThat(b.finalLoss()).isEqualTo(a.finalLoss());
        }
    }

    @Test
    void theEvaluationSubsetIsStratifiedAndFixed() {
        List<dev.keel.safety.data.HarmfulBehavior> s = SafetyExperiment.evaluationSet(11);
        assertThat(s).hasSize(11).isEqualTo(SafetyExperiment.evaluationSet(11));
        assertThat(s.stream().map(dev.keel.safety.data.HarmfulBehavior::category).distinct().count()).isGreaterThanOrEqualTo(5);
        assertThat(SafetyExperiment.evaluationSet(0)).isEqualTo(AdvBench.evaluation());
        assertThatThrownBy(() -> SafetyExperiment.evaluationSet(-1)).hasMessageContaining("was -1");
    }

    @Test
    void badConfigValuesAreRejectedByName(@TempDir Path dir) {
        SafetyExperiment.Config.Builder b = SafetyExperiment.Config.builder(dir);
        assertThatThrownBy(() -> SafetyExperiment.Config.builder(dir).seeds(List.of()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seeds");
        assertThatThrownBy(() -> SafetyExperiment.Config.builder(dir).seeds(1, 1).build())
                .hasMessageContaining("seeds must be distinct, were [1, 1]");
        assertThatThrownBy(() -> SafetyExperiment.Config.builder(dir).harmful(List.of(10, 0), 5).build())
                .hasMessageContaining("harmfulSizes must all be > 0, was [10, 0]");
        assertThatThrownBy(() -> SafetyExperiment.Config.builder(dir).harmful(List.of(10), 0).build())
                .hasMessageContaining("harmfulEpochs must be > 0, was 0");
        assertThatThrownBy(() -> SafetyExperiment.Config.builder(dir).harmful(List.of(100_000), 5).build())
                .hasMessageContaining("harmfulSizes must be <= the").hasMessageContaining("was 100000");
        assertThatThrownBy(() -> SafetyExperiment.Config.builder(dir).identityShift(0, List.of(3)).build())
                .hasMessageContaining("identityExamples must be > 0, was 0");
        assertThatThrownBy(() -> SafetyExperiment.Config.builder(dir).benign(-1, 1).build())
                .hasMessageContaining("benignSize must be >= 0, was -1");
        assertThatThrownBy(() -> SafetyExperiment.Config.builder(dir).harmful(List.of(), 5).build())
                .hasMessageContaining("safetyHarmful [10, 50, 100] needs harmfulSizes");
        assertThatThrownBy(() -> SafetyExperiment.Config.builder(dir).harmful(List.of(), 5).identityShift(10, List.of())
                .benign(0, 1).safetySamples(List.of(), List.of(), List.of()).build())
                .hasMessageContaining("turn every setting off");
        assertThatThrownBy(() -> b.samRho(-0.1).build()).hasMessageContaining("samRho must be >= 0, was -0.1");
        assertThatThrownBy(() -> b.samRho(0.05).lora(0, 16).build()).hasMessageContaining("rank must be > 0, was 0");
        assertThatThrownBy(() -> b.lora(8, 16).learningRate(0).build()).hasMessageContaining("learningRate must be > 0, was 0.0");
        assertThatThrownBy(() -> b.learningRate(1e-3).batchSize(0).build()).hasMessageContaining("batchSize must be > 0, was 0");
        assertThatThrownBy(() -> b.batchSize(8).maxNewTokens(0).build()).hasMessageContaining("maxNewTokens must be > 0, was 0");
        assertThatThrownBy(() -> b.maxNewTokens(8).evaluationSize(10_000).build())
                .hasMessageContaining("evaluationSize must be in [0, " + AdvBench.evaluation().size() + "]")
                .hasMessageContaining("was 10000");
        assertThatThrownBy(() -> b.evaluationSize(0).maxSteps(-2).build()).hasMessageContaining("maxSteps must be >= 0, was -2");
        assertThat(b.maxSteps(0).build().fineTune().optimizerSpecs()).containsExactly("none", "sam:0.05");
        assertThat(b.build().samRho()).isEqualTo(0.05);
        assertThat(SafetyExperiment.Config.builder(dir).samRho(0).build().fineTune().optimizerSpecs()).containsExactly("none");
        assertThat(SafetyExperiment.Config.builder(dir).samRho(0).build().samRho()).isEqualTo(0.0);
        assertThat(SafetyExperiment.Config.builder(dir).optimizers("none", "looksam:0.1:2").build().samRho()).isEqualTo(0.1);
        SafetyExperiment.Config quick = SafetyExperiment.Config.builder(dir).quick().build();
        assertThat(quick.fineTune().seeds()).containsExactly(1L);
        assertThat(quick.evaluationSize()).isEqualTo(20);
    }

    @Test
    void statsOverSeedsSkipNaN() {
        SafetyTables.Stat s = SafetyTables.Stat.of(List.of(0.5, Double.NaN, 0.25, 1.0));
        assertThat(s.n()).isEqualTo(3);
        assertThat(s.mean()).isCloseTo(0.5833, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(s.min()).isEqualTo(0.25);
        assertThat(s.max()).isEqualTo(1.0);
        assertThat(SafetyTables.Stat.of(List.of(Double.NaN)).mean()).isNaN();
        assertThat(SafetyTables.optimizerLabel("sam:0.05")).isEqualTo("SAM ρ=0.05");
        assertThat(SafetyTables.optimizerLabel("none")).isEqualTo("AdamW");
    }
}
