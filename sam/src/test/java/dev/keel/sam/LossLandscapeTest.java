package dev.keel.sam;

import dev.keel.core.testkit.TinyFixtures;

import ai.djl.nn.Parameter;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.train.TrainingExample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class LossLandscapeTest {

    @Test
    void gridCentreIsTheUnperturbedLossAndWeightsComeBack(@TempDir Path dir) throws Exception {
        try (LlamaModel model = TinyFixtures.tinyModel(11);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(2).alpha(4).build(), 11)) {
            List<TrainingExample> data = TinyFixtures.randomExamples(3, 8, 11);
            LmObjective objective = LmObjective.of(model, Map.of(), data);
            Map<String, Parameter> all = LossLandscape.allParameters(model, lora);
            Map<String, float[]> before = SamTest.snapshot(all);
            Landscape l = LossLandscape.builder().objective(objective).parameters(all).grid(5).range(-0.5, 0.5)
                    .seed(3).build().compute();
            assertThat(l.at(2, 2)).isEqualTo(l.baseLoss());
            assertThat(l.baseLoss()).isCloseTo(objective.loss(), offset(1e-6));
            assertThat(l.at(0, 0)).isNotEqualTo(l.baseLoss());
            for (String k : before.keySet()) {
                assertThat(all.get(k).getArray().toFloatArray()).as(k).containsExactly(before.get(k));
            }
            assertThat(l.metrics().ag()).isPositive();
            Path csv = dir.resolve("grid.csv");
            Path png = dir.resolve("plot.png");
            l.writeCsv(csv);
            l.writePng(png, "test");
            List<String> lines = Files.readAllLines(csv);
            assertThat(lines).hasSize(26);
            assertThat(lines.get(0)).isEqualTo("a,b,loss");
            assertThat(lines.get(1)).startsWith("-0.500000,-0.500000,");
            BufferedImage img = ImageIO.read(png.toFile());
            assertThat(img.getWidth()).isEqualTo(720);
            assertThat(img.getHeight()).isEqualTo(600);
            try (var s = Files.list(dir)) {
                assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("grid.csv", "plot.png");
            }
            // the same seed gives the same grid
            Landscape again = LossLandscape.builder().objective(objective).parameters(all).grid(5).range(-0.5, 0.5)
                    .seed(3).build().compute();
            assertThat(again.z()).isDeepEqualTo(l.z());
        }
    }

    @Test
    void directionsAreFilterNormalisedAndSkipVectors() {
        try (LlamaModel model = TinyFixtures.tinyModel(12)) {
            Map<String, float[]> d = LossLandscape.direction(model.parameters(), new SplittableRandom(1));
            assertThat(d.get("model.norm.weight")).containsOnly(0f);
            float[] w = model.parameters().get("model.layers.0.self_attn.q_proj.weight").getArray().toFloatArray();
            float[] dq = d.get("model.layers.0.self_attn.q_proj.weight");
            int cols = 32;
            for (int r = 0; r < 3; r++) {
                double wn = 0;
                double dn = 0;
                for (int c = 0; c < cols; c++) {
                    wn += w[r * cols + c] * w[r * cols + c];
                    dn += dq[r * cols + c] * dq[r * cols + c];
                }
                assertThat(Math.sqrt(dn)).isCloseTo(Math.sqrt(wn), offset(1e-5));
            }
        }
    }

    @Test
    void maxSharpnessIsNonNegativeAndRestoresWeights() {
        try (LlamaModel model = TinyFixtures.tinyModel(13);
             LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(2).alpha(4).build(), 13)) {
            LmObjective objective = LmObjective.of(model, Map.of(), TinyFixtures.randomExamples(2, 8, 13));
            Map<String, Parameter> all = LossLandscape.allParameters(model, lora);
            Map<String, float[]> before = SamTest.snapshot(all);
            MaxSharpness s = MaxSharpness.of(objective, all, 0.05, 3);
            assertThat(s.value()).isPositive();
            assertThat(s.maxLoss()).isGreaterThan(s.baseLoss());
            for (String k : before.keySet()) {
                assertThat(all.get(k).getArray().toFloatArray()).as(k).containsExactly(before.get(k));
            }
            assertThat(model.parameters().get("model.norm.weight").getArray().hasGradient()).isFalse();
            assertThatThrownBy(() -> MaxSharpness.of(objective, all, 0, 3)).hasMessageContaining("rho must be > 0, was 0.0");
            assertThatThrownBy(() -> MaxSharpness.of(objective, all, 0.1, 0)).hasMessageContaining("steps must be >= 1, was 0");
        }
    }

    @Test
    void badSettingsAreRejectedWithTheValues() {
        assertThatThrownBy(() -> LossLandscape.builder().grid(2)).hasMessageContaining("grid must be >= 3 points per axis, was 2");
        assertThatThrownBy(() -> LossLandscape.builder().range(1, -1)).hasMessageContaining("[1.0, -1.0]");
        assertThatThrownBy(() -> LossLandscape.builder().build()).hasMessageContaining("objective must be set");
        assertThatThrownBy(() -> LossLandscape.builder().parameters(Map.of())).hasMessageContaining("parameters must not be empty");
    }
}
