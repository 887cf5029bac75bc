package dev.keel.core.lm;

import dev.keel.core.internal.LmLoss;

import ai.djl.Device;
import dev.keel.core.testkit.TinyFixtures;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlamaModelTest {

    @RegisterExtension
    static final TinyFixtures.VectorsModel MODEL = new TinyFixtures.VectorsModel();

    private static LlamaModel model() {
        return MODEL.get();
    }

    @Test
    void theSharedModelIsThereOnlyWhileTheClassRuns() {
        TinyFixtures.VectorsModel unregistered = new TinyFixtures.VectorsModel();
        assertThatThrownBy(unregistered::get).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("loaded before all tests");
        assertThat(model().config().vocabSize()).isEqualTo(97);
    }

    @Test
    void closeIsIdempotent() {
        LlamaModel m = TinyFixtures.tinyModel(1);
        m.close();
        m.close();
    }

    @Test
    void logitsMatchTheReference() {
        try (NDManager step = model().manager().newSubManager()) {
            NDArray ids = TinyFixtures.vectorsInputIds(step);
            NDArray logits = model().forward(ids, null, null, false);
            assertThat(logits.getShape().getShape()).containsExactly(2, 11, 97);
            double diff = TinyFixtures.maxAbsDiff(logits.toFloatArray(), TinyFixtures.expected("logits"));
            System.out.println("max |logits - expected| = " + diff);
            assertThat(diff).isLessThan(1e-4);
        }
    }

    @Test
    void lossMatchesTheReference() {
        try (NDManager step = model().manager().newSubManager()) {
            NDArray ids = TinyFixtures.vectorsInputIds(step);
            NDArray logits = model().forward(ids, null, null, false);
            float loss = LmLoss.mean(logits, ids, null).getFloat();
            double expected = TinyFixtures.vectors().get("loss_base").doubleValue();
            System.out.println("|loss - expected| = " + Math.abs(loss - expected));
            assertThat((double) loss).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @Test
    void forwardKeepsTemporariesOutOfTheModelManager() {
        int before = model().manager().getManagedArrays().size();
        try (NDManager step = model().manager().newSubManager()) {
            model().forward(TinyFixtures.vectorsInputIds(step), null, null, false);
        }
        assertThat(model().manager().getManagedArrays()).hasSize(before);
    }

    @Test
    void labelMaskExcludesPromptAndPadding() {
        try (NDManager step = model().manager().newSubManager()) {
            NDArray ids = TinyFixtures.vectorsInputIds(step);
            NDArray logits = model().forward(ids, null, null, false);
            float[] mask = new float[22];
            // row 0: tokens 5..10 are the response; row 1: only token 3
            for (int t = 5; t < 11; t++) {
                mask[t] = 1;
            }
            mask[11 + 3] = 1;
            NDArray m = step.create(mask, new ai.djl.ndarray.types.Shape(2, 11));
            float masked = LmLoss.mean(logits, ids, m).getFloat();
            // the same from per-token log-probabilities
            float[] lp = logits.logSoftmax(-1).toFloatArray();
            long[] id = ids.toLongArray();
            double sum = 0;
            int n = 0;
            for (int b = 0; b < 2; b++) {
                for (int t = 1; t < 11; t++) {
                    if (mask[b * 11 + t] == 1) {
                        sum -= lp[(b * 11 + t - 1) * 97 + (int) id[b * 11 + t]];
                        n++;
                    }
                }
            }
            assertThat(LmLoss.count(ids, m)).isEqualTo(7);
            assertThat((double) masked).isCloseTo(sum / n, org.assertj.core.data.Offset.offset(1e-5));
            NDArray none = step.zeros(new ai.djl.ndarray.types.Shape(2, 11));
            assertThatThrownBy(() -> LmLoss.mean(logits, ids, none)).hasMessageContaining("no target tokens");
        }
    }

    @Test
    void paddingDoesNotChangeRealTokens() {
        try (NDManager step = model().manager().newSubManager()) {
            NDArray ids = TinyFixtures.vectorsInputIds(step);
            float[] full = model().forward(ids.get("0:1, :"), null, null, false).toFloatArray();
            // right padding: row 0 cut to 7 tokens then padded with token 0
            long[] row = ids.get("0, :").toLongArray();
            long[] padded = row.clone();
            float[] mask = new float[11];
            for (int t = 0; t < 11; t++) {
                mask[t] = t < 7 ? 1 : 0;
                if (t >= 7) {
                    padded[t] = 0;
                }
            }
            float[] right = model().forward(step.create(padded).reshape(1, 11),
                    step.create(mask).reshape(1, 11), null, false).toFloatArray();
            for (int i = 0; i < 7 * 97; i++) {
                assertThat(right[i]).isCloseTo(full[i], org.assertj.core.data.Offset.offset(1e-5f));
            }
            // left padding: 4 pad tokens then the first 7 tokens
            long[] left = new long[11];
            float[] lmask = new float[11];
            for (int t = 0; t < 11; t++) {
                left[t] = t < 4 ? 0 : row[t - 4];
                lmask[t] = t < 4 ? 0 : 1;
            }
            float[] l = model().forward(step.create(left).reshape(1, 11), step.create(lmask).reshape(1, 11), null, false)
                    .toFloatArray();
            for (int t = 0; t < 7; t++) {
                for (int v = 0; v < 97; v++) {
                    assertThat(l[(t + 4) * 97 + v]).isCloseTo(full[t * 97 + v], org.assertj.core.data.Offset.offset(1e-4f));
                }
            }
        }
    }

    @Test
    void kvCacheGivesTheSameLogitsAsAFullPass() {
        try (NDManager step = model().manager().newSubManager(); KvCache cache = new KvCache(step, 2)) {
            NDArray ids = TinyFixtures.vectorsInputIds(step);
            float[] full = model().forward(ids, null, null, false).toFloatArray();
            float[] first = model().forward(ids.get(":, :6"), null, cache, false).toFloatArray();
            assertThat(cache.length()).isEqualTo(6);
            for (int t = 6; t < 11; t++) {
                float[] next = model().forward(ids.get(":, " + t + ":" + (t + 1)), null, cache, false).toFloatArray();
                for (int b = 0; b < 2; b++) {
                    for (int v = 0; v < 97; v++) {
                        assertThat(next[b * 97 + v]).isCloseTo(full[(b * 11 + t) * 97 + v],
                                org.assertj.core.data.Offset.offset(1e-5f));
                    }
                }
            }
            assertThat(first[0]).isCloseTo(full[0], org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    @Test
    void rejectsBadInput() {
        try (NDManager step = model().manager().newSubManager()) {
            assertThatThrownBy(() -> model().forward(step.create(new long[] {1, 200}).reshape(1, 2), null, null, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("200").hasMessageContaining("97");
            assertThatThrownBy(() -> model().forward(step.create(new long[] {1, 2}), null, null, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[batch, length]");
            assertThatThrownBy(() -> model().forward(step.create(new long[] {1, 2}).reshape(1, 2),
                    step.ones(new ai.djl.ndarray.types.Shape(1, 3)), null, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attentionMask must be [1, 2]");
        }
    }

    @Test
    void savesAndReloadsTheSameWeights(@TempDir Path dir) throws IOException {
        model().save(dir);
        try (LlamaModel again = LlamaModel.load(dir, Device.cpu()); NDManager step = again.manager().newSubManager()) {
            assertThat(again.config()).isEqualTo(model().config());
            NDArray ids = TinyFixtures.vectorsInputIds(step);
            float[] a = again.forward(ids, null, null, false).toFloatArray();
            float[] b = model().forward(ids, null, null, false).toFloatArray();
            assertThat(a).containsExactly(b);
        }
    }

    @Test
    void loadsHalfPrecisionAndShardedCheckpoints(@TempDir Path dir) throws IOException {
        float[] reference = TinyFixtures.expected("logits");
        for (dev.keel.core.lm.safetensors.DType t : new dev.keel.core.lm.safetensors.DType[] {
                dev.keel.core.lm.safetensors.DType.BF16, dev.keel.core.lm.safetensors.DType.F16}) {
            Path out = dir.resolve(t.name());
            model().save(out, t, 40_000);
            assertThat(out.resolve("model.safetensors.index.json")).exists();
            assertThat(out.resolve("model.safetensors")).doesNotExist();
            try (LlamaModel half = LlamaModel.load(out, Device.cpu()); NDManager step = half.manager().newSubManager()) {
                double diff = TinyFixtures.maxAbsDiff(half.forward(TinyFixtures.vectorsInputIds(step), null, null, false)
                        .toFloatArray(), reference);
                System.out.println(t + " checkpoint: max |logits - expected| = " + diff);
                assertThat(diff).isLessThan(t == dev.keel.core.lm.safetensors.DType.BF16 ? 0.1 : 0.01);
            }
        }
    }

    @Test
    void aTruncatedCheckpointIsAClearError(@TempDir Path dir) throws IOException {
        java.nio.file.Files.copy(TinyFixtures.vectorsDir().resolve("config.json"), dir.resolve("config.json"));
        byte[] bytes = java.nio.file.Files.readAllBytes(TinyFixtures.vectorsDir().resolve("model.safetensors"));
        java.nio.file.Files.write(dir.resolve("model.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> LlamaModel.load(dir, Device.cpu()))
                .isInstanceOf(dev.keel.core.lm.safetensors.SafeTensorsException.class)
                .hasMessageContaining("out of range");
        java.nio.file.Files.write(dir.resolve("model.safetensors"), java.util.Arrays.copyOf(bytes, 1000));
        assertThatThrownBy(() -> LlamaModel.load(dir, Device.cpu()))
                .isInstanceOf(dev.keel.core.lm.safetensors.SafeTensorsException.class)
                .hasMessageContaining("beyond the file");
        // a weight of the wrong shape
        java.nio.file.Files.writeString(dir.resolve("config.json"), java.nio.file.Files.readString(
                TinyFixtures.vectorsDir().resolve("config.json")).replace("\"intermediate_size\": 96", "\"intermediate_size\": 64"));
        java.nio.file.Files.write(dir.resolve("model.safetensors"), bytes);
        assertThatThrownBy(() -> LlamaModel.load(dir, Device.cpu())).isInstanceOf(IOException.class)
                .hasMessageContaining("model.layers.0.mlp.gate_proj.weight\" has shape [96, 48], expected [64, 48]");
    }

    @Test
    void randomModelsAreReproducibleAndTied() {
        LlamaConfig c = LlamaConfig.builder().vocabSize(32).hiddenSize(16).intermediateSize(32).numHiddenLayers(1)
                .numAttentionHeads(4).numKeyValueHeads(1).tieWordEmbeddings(true).maxPositionEmbeddings(16).build();
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
             LlamaModel a = LlamaModel.random(c, 3, m); LlamaModel b = LlamaModel.random(c, 3, m)) {
            assertThat(a.parameters()).doesNotContainKey("lm_head.weight");
            assertThat(a.linearLayers()).containsKey("lm_head");
            NDArray ids = m.create(new long[] {1, 2, 3}).reshape(1, 3);
            assertThat(a.forward(ids, null, null, false).toFloatArray())
                    .containsExactly(b.forward(ids, null, null, false).toFloatArray());
        }
    }
}
