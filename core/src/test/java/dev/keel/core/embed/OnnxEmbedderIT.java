package dev.keel.core.embed;

import dev.keel.core.data.TruthfulQa;
import dev.keel.core.similarity.CosineSimilarity;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loads the real all-MiniLM-L6-v2 model from its Maven jar. */
class OnnxEmbedderIT {

    private static OnnxEmbedder embedder;

    @BeforeAll
    static void load() {
        embedder = OnnxEmbedder.allMiniLmL6V2();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    private static List<String> truthfulQaSentences(int n) {
        List<String> out = new ArrayList<>();
        for (TruthfulQa.Question q : TruthfulQa.load()) {
            out.add(q.question());
            out.add(q.best());
        }
        return out.subList(0, n);
    }

    @Test
    void vectorsEqualLangchain4jOnTwoHundredTruthfulQaSentences() {
        List<String> texts = truthfulQaSentences(200);
        float[][] ours = embedder.embedAll(texts);
        AllMiniLmL6V2EmbeddingModel peer = new AllMiniLmL6V2EmbeddingModel();
        double worst = 1;
        for (int i = 0; i < texts.size(); i++) {
            float[] theirs = peer.embed(TextSegment.from(texts.get(i))).content().vector();
            worst = Math.min(worst, CosineSimilarity.dot(ours[i], theirs));
        }
        assertThat(worst).isGreaterThanOrEqualTo(0.9999);
    }

    @Test
    void paraphraseScoresHighAndUnrelatedLow() {
        CosineSimilarity sim = new CosineSimilarity(embedder);
        assertThat(sim.score("The cat sits on the mat.", "A cat is sitting on a mat.")).isGreaterThan(0.9);
        assertThat(sim.score("The cat sits on the mat.", "Tax forms are due in April.")).isLessThan(0.2);
    }

    @Test
    void vectorsAreUnitLengthAndOfTheModelsDimension() {
        assertThat(embedder.dimension()).isEqualTo(384);
        for (float[] v : embedder.embedAll(truthfulQaSentences(20))) {
            assertThat(v).hasSize(384);
            double s = 0;
            for (float x : v) {
                s += x * x;
            }
            assertThat(Math.sqrt(s)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void batchingAndOrderDoNotChangeVectors() {
        List<String> texts = new ArrayList<>(truthfulQaSentences(40));
        texts.add("");
        float[][] together = embedder.embedAll(texts);
        List<String> shuffled = new ArrayList<>(texts);
        Collections.shuffle(shuffled, new Random(3));
        float[][] apart = embedder.embedAll(shuffled);
        for (int i = 0; i < shuffled.size(); i++) {
            float[] single = embedder.embed(shuffled.get(i));
            float[] batched = together[texts.indexOf(shuffled.get(i))];
            assertThat(CosineSimilarity.dot(single, batched)).isGreaterThan(0.99999);
            assertThat(CosineSimilarity.dot(apart[i], batched)).isGreaterThan(0.99999);
        }
    }

    @Test
    void longTextIsTruncatedNotRefused() {
        String longText = "word ".repeat(5000);
        float[] v = embedder.embed(longText);
        assertThat(v).hasSize(384);
        assertThat(embedder.tokenIds(List.of(longText)).get(0)).hasSize(embedder.maxTokens());
    }

    @Test
    void clsPoolingDiffersFromMean() {
        try (OnnxEmbedder cls = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().pooling(Pooling.CLS).batchSize(4))) {
            float[] a = cls.embed("The cat sits on the mat.");
            float[] b = embedder.embed("The cat sits on the mat.");
            assertThat(CosineSimilarity.dot(a, b)).isLessThan(0.9999);
            assertThat(cls.pooling()).isEqualTo(Pooling.CLS);
        }
    }

    @Test
    void fusedGraphGivesTheVectorsOfTheExportedGraph() {
        assertThat(embedder.fused()).isTrue();
        List<String> texts = truthfulQaSentences(200);
        float[][] fused = embedder.embedAll(texts);
        try (OnnxEmbedder plain = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().fuse(false))) {
            assertThat(plain.fused()).isFalse();
            float[][] unfused = plain.embedAll(texts);
            double worst = 1;
            for (int i = 0; i < texts.size(); i++) {
                worst = Math.min(worst, CosineSimilarity.dot(fused[i], unfused[i]));
            }
            assertThat(worst).isGreaterThanOrEqualTo(0.99999);
        }
    }

    @Test
    void packedRowsGiveEachTextItsOwnVectorWhateverItShares() {
        // Short texts share packed rows; a long one gets a row of its own and sets the row length.
        List<String> texts = new ArrayList<>(truthfulQaSentences(30));
        texts.add("word ".repeat(120));
        texts.add("x");
        for (Pooling p : Pooling.values()) {
            try (OnnxEmbedder packed = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().pooling(p).batchSize(64));
                 OnnxEmbedder plain = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.builder().pooling(p).fuse(false))) {
                assertThat(packed.fused()).isTrue();
                float[][] a = packed.embedAll(texts);
                float[][] b = plain.embedAll(texts);
                for (int i = 0; i < texts.size(); i++) {
                    assertThat(CosineSimilarity.dot(a[i], b[i])).as("%s text %d", p, i).isGreaterThan(0.99999);
                    assertThat(CosineSimilarity.dot(a[i], packed.embed(texts.get(i)))).isGreaterThan(0.99999);
                }
            }
        }
    }

    @Test
    void aModelFileIsFusedToo(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path model = dir.resolve("model.onnx");
        Path tok = dir.resolve("tokenizer.json");
        ClassLoader cl = OnnxEmbedder.class.getClassLoader();
        try (var in = cl.getResourceAsStream(OnnxEmbedder.DEFAULT_MODEL_RESOURCE)) {
            Files.copy(in, model);
        }
        try (var in = cl.getResourceAsStream(OnnxEmbedder.DEFAULT_TOKENIZER_RESOURCE)) {
            Files.copy(in, tok);
        }
        try (OnnxEmbedder fromFile = OnnxEmbedder.builder().modelPath(model).tokenizerPath(tok).build()) {
            assertThat(fromFile.fused()).isTrue();
            assertThat(fromFile.toString()).contains("fused=true");
            assertThat(CosineSimilarity.dot(fromFile.embed("A cat sits."), embedder.embed("A cat sits."))).isGreaterThan(0.99999);
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseFails() {
        OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2();
        e.close();
        e.close();
        assertThatThrownBy(() -> e.embed("x")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void aFileThatIsNotAModelIsAClearError(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path model = Files.writeString(dir.resolve("model.onnx"), "not a model");
        Path tok = Files.writeString(dir.resolve("tokenizer.json"), "{}");
        assertThatThrownBy(() -> OnnxEmbedder.builder().modelPath(model).tokenizerPath(tok).build())
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("model.onnx");
        assertThatThrownBy(() -> OnnxEmbedder.builder().modelPath(dir.resolve("missing.onnx")).tokenizerPath(tok).build())
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("missing.onnx");
    }
}
