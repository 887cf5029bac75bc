package dev.keel.examples.sam;

import dev.keel.core.chat.ChatRecord;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.generate.ChatTemplate;
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

/** The full experiment grid (3 methods x 3 seeds x rehearsal x WiSE-FT) on a tiny random model. */
class ForgettingExperimentIT {

    
    @Test
    void runsEndToEndAndWritesTheTable(@TempDir Path dir) throws IOException {
        Path model = ForgettingExperimentTest.modelDir(dir);
        Path a = dir.resolve("a.jsonl");
        Path bTrain = dir.resolve("b-train.jsonl");
        Path bEval = dir.resolve("b-eval.jsonl");
        Path pool = dir.resolve("a-pool.jsonl");
        ChatRecord.writeAll(a, ForgettingExperimentTest.taskA(8, 0));
        ChatRecord.writeAll(pool, ForgettingExperimentTest.taskA(8, 3));
        ChatRecord.writeAll(bTrain, ForgettingExperimentTest.taskB(16, 0));
        ChatRecord.writeAll(bEval, ForgettingExperimentTest.taskB(8, 1));
        ForgettingExperiment.Config c = ForgettingExperiment.Config.builder(model, a).taskB(bTrain, bEval)
                .rehearsal(pool, 0.5).seeds(1, 2, 3).methods("none", "sam:0.05", "looksam:0.05:2").steps(4)
                .batchSize(4).learningRate(1e-2).lora(2, 4).landscapeGrid(3).sharpnessRho(0.05)
                .plots(dir.resolve("plots"), 3).build();
        ForgettingTable t = SamCommands.forgetting(c, ChatTemplate.plain(), dir.resolve("out"));
        assertThat(t.rows()).extracting(ForgettingTable.Row::method).containsExactly("none", "none+wise0.5", "sam:0.05",
                "sam:0.05+wise0.5", "looksam:0.05:2", "looksam:0.05:2+wise0.5", "none+rehearsal",
                "none+rehearsal+wise0.5", "sam:0.05+rehearsal", "sam:0.05+rehearsal+wise0.5", "looksam:0.05:2+rehearsal",
                "looksam:0.05:2+rehearsal+wise0.5");
        assertThat(t.runs()).hasSize(36);
        assertThat(t.row("sam:0.05").taskA().n()).isEqualTo(3);
        assertThat(t.row("sam:0.05").passes().mean()).isEqualTo(8);
        assertThat(t.row("looksam:0.05:2").passes().mean()).isEqualTo(6);
        assertThat(t.row("none").passes().mean()).isEqualTo(4);
        assertThat(t.row("none").ag().mean()).isFinite();
        assertThat(t.row("none").maxSharp().mean()).isGreaterThanOrEqualTo(0);
        String md = t.toMarkdown();
        assertThat(md).startsWith("Task A ").contains("| method | seeds |").contains("| sam:0.05 | 3 |").contains(" ± ");
        assertThat(Files.readString(dir.resolve("out/forgetting.md"))).isEqualTo(md);
        assertThat(Files.readAllLines(dir.resolve("out/forgetting-runs.csv"))).hasSize(37);
        assertThat(ImageIO.read(dir.resolve("plots/landscape-before.png").toFile())).isNotNull();
        assertThat(dir.resolve("plots/landscape-after-sam_0.05.png")).exists();
        // deterministic: the same configuration gives the same scores
        ForgettingTable again = ForgettingExperiment.run(ForgettingExperiment.Config.builder(model, a).taskB(bTrain, bEval)
                .seeds(1).methods("sam:0.05").steps(4).batchSize(4).learningRate(1e-2).lora(2, 4).landscapeGrid(0)
                .sharpnessRho(0).wiseAlpha(0).build(), ChatTemplate.plain());
        ForgettingTable.Run first = t.runs().stream().filter(r -> r.method().equals("sam:0.05") && r.seed() == 1).findFirst()
                .orElseThrow();
        assertThat(again.runs().get(0).taskA()).isEqualTo(first.taskA());
        assertThat(again.runs().get(0).taskB()).isEqualTo(first.taskB());
    }
}
