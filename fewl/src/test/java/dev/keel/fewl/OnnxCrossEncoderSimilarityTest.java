package dev.keel.fewl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.embed.ModelLoadException;
import dev.keel.core.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The user-plugged ONNX cross-encoder against PyTorch's own logits for a tiny model built for the test. */
class OnnxCrossEncoderSimilarityTest {

    private static Path model(Path dir) throws IOException {
        for (String f : List.of("model.onnx", "tokenizer.json")) {
            try (InputStream in = OnnxCrossEncoderSimilarityTest.class.getResourceAsStream("/cross-encoder/" + f)) {
                Files.copy(in, dir.resolve(f));
            }
        }
        return dir;
    }

    @Test
    void scoresAreSigmoidOfPyTorchsLogits(@TempDir Path dir) throws Exception {
        JsonNode expected;
        try (InputStream in = getClass().getResourceAsStream("/cross-encoder/expected.json")) {
            expected = Json.mapper().readTree(in);
        }
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (JsonNode e : expected) {
            a.add(e.get("a").asText());
            b.add(e.get("b").asText());
        }
        try (OnnxCrossEncoderSimilarity ce = OnnxCrossEncoderSimilarity.load(model(dir), 0)) {
            double[] s = ce.scoreAll(a, b); // one batch, padded to the longest pair
            for (int i = 0; i < s.length; i++) {
                double logit = expected.get(i).get("logit").asDouble();
                assertThat(s[i]).isCloseTo(1 / (1 + Math.exp(-logit)), within(1e-6));
                assertThat(s[i]).isBetween(0.0, 1.0);
                // the same pair alone (no padding) scores the same
                assertThat(ce.score(a.get(i), b.get(i))).isCloseTo(s[i], within(1e-6));
            }
            // not symmetric: the segment embedding tells a from b
            assertThat(ce.score("paris", "lyon")).isNotCloseTo(ce.score("lyon", "paris"), within(1e-9));
            assertThat(ce.name()).startsWith("cross-encoder:");
            // usable by the scorer on its generic path
            try (FewlScorer scorer = Fewl.builder().similarity(ce).penalty(false).build()) {
                FewlScore sc = scorer.score(FewlItem.of("x", "q?", "paris", Reference.list("lyon")));
                assertThat(sc.total()).isCloseTo(ce.score("paris", "lyon"), within(1e-12));
            }
            ce.close();
            ce.close();
            assertThatThrownBy(() -> ce.score("a", "b")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void aMissingFileIsAClearError(@TempDir Path dir) {
        assertThatThrownBy(() -> OnnxCrossEncoderSimilarity.load(dir, 0)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.onnx");
        assertThatThrownBy(() -> OnnxCrossEncoderSimilarity.load(dir, -1)).hasMessageContaining("scoreIndex");
    }
}
