package dev.keel.examples.sam;

import dev.keel.core.testkit.TinyFixtures;

import dev.keel.core.chat.ChatRecord;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.train.TrainingConfig;
import dev.keel.sam.LoraFineTuner;
import dev.keel.sam.OptimizerChoice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The experiment and the CLI entry points, end to end on a tiny random model with synthetic tasks A and B. */
class ForgettingExperimentTest {

    private static final String[] WORDS = {"water", "oil", "people", "time", "word", "number", "way", "book"};

    /** A random model with the 97-word test tokenizer, saved as a Hugging Face directory. */
    static Path modelDir(Path dir) throws IOException {
        Path m = dir.resolve("tiny");
        try (LlamaModel model = TinyFixtures.tinyModel(41)) {
            model.save(m);
        }
        Files.copy(TinyFixtures.tinyTokenizer(), m.resolve("tokenizer.json"));
        return m;
    }

    static List<ChatRecord> taskA(int n, int offset) {
        List<ChatRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String w = WORDS[(i + offset) % WORDS.length];
            out.add(ChatRecord.of(null, "what is " + w, w + " is a word"));
        }
        return out;
    }

    static List<ChatRecord> taskB(int n, int offset) {
        List<ChatRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String w = WORDS[(i * 3 + offset) % WORDS.length];
            out.add(ChatRecord.of(null, "write " + w, w + " " + w + " " + w));
        }
        return out;
    }

    @Test
    void runsEndToEndAndWritesTheTable(@TempDir Path dir) throws IOException {
        Path model = modelDir(dir);
        Path a = dir.resolve("a.jsonl");
        Path bTrain = dir.resolve("b-train.jsonl");
        Path bEval = dir.resolve("b-eval.jsonl");
        ChatRecord.writeAll(a, taskA(8, 0));
        ChatRecord.writeAll(bTrain, taskB(16, 0));
        ChatRecord.writeAll(bEval, taskB(8, 1));
        ForgettingExperiment.Config c = ForgettingExperiment.Config.builder(model, a).taskB(bTrain, bEval)
                .seeds(1, 2).methods("none", "sam:0.05").steps(3)
                .batchSize(4).learningRate(1e-2).lora(2, 4).landscapeGrid(3).sharpnessRho(0.05)
                .plots(dir.resolve("plots"), 3).build();
        ForgettingTable t = SamCommands.forgetting(c, ChatTemplate.plain(), dir.resolve("out"));
        assertThat(t.rows()).extracting(ForgettingTable.Row::method).containsExactly("none", "none+wise0.5", "sam:0.05",
                "sam:0.05+wise0.5");
        assertThat(t.runs()).hasSize(8);
        assertThat(t.row("sam:0.05").taskA().n()).isEqualTo(2);
        assertThat(t.row("sam:0.05").passes().mean()).isEqualTo(6);
        assertThat(t.row("none").passes().mean()).isEqualTo(3);
        assertThat(t.row("none").ag().mean()).isFinite();
        assertThat(t.row("none").maxSharp().mean()).isGreaterThanOrEqualTo(0);
        String md = t.toMarkdown();
        assertThat(md).startsWith("Task A ").contains("| method | seeds |").contains("| sam:0.05 | 2 |").contains(" ± ");
        assertThat(Files.readString(dir.resolve("out/forgetting.md"))).isEqualTo(md);
        assertThat(Files.readAllLines(dir.resolve("out/forgetting-runs.csv"))).hasSize(9);
        assertThat(ImageIO.read(dir.resolve("plots/landscape-before.png").toFile())).isNotNull();
        assertThat(dir.resolve("plots/landscape-after-sam_0.05.png")).exists();
        // deterministic: the same configuration gives the same scores
        ForgettingTable again = ForgettingExperiment.run(ForgettingExperiment.Config.builder(model, a).taskB(bTrain, bEval)
                .seeds(1).methods("sam:0.05").steps(3).batchSize(4).learningRate(1e-2).lora(2, 4).landscapeGrid(0)
                .sharpnessRho(0).wiseAlpha(0).build(), ChatTemplate.plain());
        ForgettingTable.Run first = t.runs().stream().filter(r -> r.method().equals("sam:0.05") && r.seed() == 1).findFirst()
                .orElseThrow();
        assertThat(again.runs().get(0).taskA()).isEqualTo(first.taskA());
        assertThat(again.runs().get(0).taskB()).isEqualTo(first.taskB());
    }

    @Test
    void trainAndLandscapeCommandsWriteTheirFiles(@TempDir Path dir) throws IOException {
        Path model = modelDir(dir);
        Path data = dir.resolve("b.jsonl");
        ChatRecord.writeAll(data, taskB(8, 0));
        SamCommands.TrainReport r = SamCommands.train(model, data, dir.resolve("adapter"),
                SamCommands.TrainOptions.defaults().withMethod("asam:0.5").withSteps(3));
        assertThat(r.steps()).isEqualTo(3);
        assertThat(r.gradientPasses()).isEqualTo(6);
        assertThat(r.optimizer()).startsWith("asam(");
        assertThat(dir.resolve("adapter/adapter_model.safetensors")).exists();
        assertThat(dir.resolve("adapter/adapter_config.json")).exists();
        assertThat(Files.readAllLines(dir.resolve("adapter/metrics.csv"))).hasSize(4);
        assertThat(Files.readString(dir.resolve("adapter/training.json"))).contains("\"gradient_passes\" : 6");
        SamCommands.LandscapeReport l = SamCommands.landscape(model, dir.resolve("adapter"), data, dir.resolve("l/plot.png"),
                SamCommands.LandscapeOptions.defaults().withGrid(3).withLoraOnly(true));
        assertThat(l.png()).exists();
        assertThat(Files.readAllLines(l.csv())).hasSize(10);
        assertThat(Files.readString(l.json())).contains("\"max_sharpness\"").contains("Keel's definitions");
        assertThat(l.sharpness().value()).isGreaterThanOrEqualTo(0);
        SamCommands.LandscapeReport all = SamCommands.landscape(model, null, data, dir.resolve("l/base.png"),
                SamCommands.LandscapeOptions.defaults().withGrid(3));
        assertThat(all.landscape().at(1, 1)).isEqualTo(all.landscape().baseLoss());
        assertThatThrownBy(() -> SamCommands.landscape(model, null, data, dir.resolve("x.png"),
                SamCommands.LandscapeOptions.defaults().withLoraOnly(true))).hasMessageContaining("needs an adapter");
    }

    @Test
    void configErrorsNameTheValues(@TempDir Path dir) {
        ForgettingExperiment.Config.Builder b = ForgettingExperiment.Config.builder(dir, dir.resolve("a.jsonl"));
        assertThatThrownBy(() -> b.methods("sam:-1").build()).hasMessageContaining("optimizer \"sam:-1\"")
                .hasMessageContaining("rho must be > 0, was -1.0");
        assertThatThrownBy(() -> b.methods("adam").build()).hasMessageContaining("optimizer \"adam\" is not none");
        assertThatThrownBy(() -> b.methods("none", "none").build()).hasMessageContaining("optimizers must be distinct, were [none, none]");
        assertThatThrownBy(() -> b.methods("none").seeds(2, 2).build()).hasMessageContaining("seeds must be distinct, were [2, 2]");
        assertThatThrownBy(() -> b.seeds(1).training(TrainingConfig.builder().epochs(2).build()).build())
                .hasMessageContaining("steps must be > 0 (the runs take a fixed number of steps), was 0");
        assertThatThrownBy(() -> b.methods("none").steps(0).build()).hasMessageContaining("steps must be > 0, was 0");
        assertThatThrownBy(() -> b.steps(5).landscapeGrid(2).build()).hasMessageContaining("landscapeGrid must be 0 or >= 3, was 2");
        assertThatThrownBy(() -> b.landscapeGrid(0).rehearsal(null, 0.2).build()).hasMessageContaining("needs a rehearsalPool");
        assertThatThrownBy(() -> SamCommands.TrainOptions.defaults().withMethod("looksam:0.1")).hasMessageContaining("looksam:RHO:K");
        assertThatThrownBy(() -> SamCommands.TrainOptions.defaults().withSteps(-1)).hasMessageContaining("steps must be >= 0, was -1");
        assertThatThrownBy(() -> new SamCommands.TrainOptions(null, LoraFineTuner.DEFAULT_LORA, OptimizerChoice.plain(),
                ChatTemplate.plain())).hasMessageContaining("training");
        assertThat(SamCommands.TrainOptions.defaults().withSteps(7).withMethod("looksam:0.05:5").training().totalSteps()).isEqualTo(7);
        assertThat(ForgettingExperiment.Config.builder(dir, dir.resolve("a.jsonl")).methods("none", "sam:0.05").steps(9).lora(4, 8).build().fineTune().optimizerSpecs())
                .containsExactly("none", "sam:0.05");
        assertThat(ForgettingExperiment.multiplicationTask(3, 5)).hasSize(5).isEqualTo(ForgettingExperiment.multiplicationTask(3, 5));
    }
}
