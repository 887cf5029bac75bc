package dev.keel.examples.tiny;

import dev.keel.core.internal.Json;
import dev.keel.core.lm.generate.LmTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A short run of the recipe on a very small model: the files and the metrics (the evaluation covers every
 * held-out AdvBench instruction, with 4-token replies). */
class TinyRecipeIT {

    @Test
    void aSmokeRunWritesAHuggingFaceDirectoryWithMetrics(@TempDir Path dir) throws Exception {
        TinyRecipe.Result a = TinyRecipe.train(dir.resolve("a"), 5, TinyRecipe.Settings.smoke(), null);
        for (String f : TinyModel.FILES) {
            assertThat(dir.resolve("a").resolve(f)).exists();
        }
        var m = Json.mapper().readTree(Files.readString(dir.resolve("a/metrics.json")));
        assertThat(m.path("training").path("steps").asInt()).isEqualTo(3);
        assertThat(m.path("evaluation").path("exact_match_accuracy").size()).isEqualTo(7);
        assertThat(m.path("evaluation").has("refusal_rate_heldout_advbench")).isTrue();
        try (LmTokenizer tok = LmTokenizer.load(dir.resolve("a"))) {
            assertThat(tok.vocabSize()).isEqualTo(m.path("vocab_size").asInt());
        }
        assertThat(a.finalLoss()).isPositive();
    }
}
