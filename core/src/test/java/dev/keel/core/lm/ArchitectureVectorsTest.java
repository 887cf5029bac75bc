package dev.keel.core.lm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.keel.core.lm.safetensors.SafeTensorsFile;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The decoder variants of real Hub checkpoints against logits an independent PyTorch implementation
 * computed from the same stored weights (test vectors qwen2-a, llama3-a, qwen3-a, mistral-a), and against the
 * project's own vectors from the independent float64 NumPy reference {@code core/src/test/python/llama_reference.py}
 * (llama-linear-bias, llama-yarn, qwen2-yarn, llama-dynamic, qwen2-sliding).
 */
class ArchitectureVectorsTest {

    /** Max |logits - expected| for the variant's input ids; checks the shape too. */
    static double diff(String variant) throws IOException {
        Path dir = TinyFixtures.vectorsDir(variant);
        float[] expected;
        long[] shape;
        try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve("expected.safetensors"))) {
            expected = f.readFloats("logits");
            shape = f.info("logits").shape();
        }
        try (LlamaModel model = LlamaModel.load(dir, Device.cpu()); NDManager step = model.manager().newSubManager()) {
            NDArray logits = model.forward(TinyFixtures.inputIds(dir, step));
            assertThat(logits.getShape().getShape()).containsExactly(shape);
            double d = TinyFixtures.maxAbsDiff(logits.toFloatArray(), expected);
            System.out.println(variant + ": max |logits - expected| = " + d + " (" + model.config() + ")");
            return d;
        }
    }

    @Test
    void qwen2WithQkvBiases() throws IOException {
        assertThat(diff("qwen2-a")).isLessThan(1e-4);
    }

    @Test
    void llama3WithLlama3RopeScaling() throws IOException {
        assertThat(diff("llama3-a")).isLessThan(1e-4);
    }

    @Test
    void qwen3WithPerHeadQkNorm() throws IOException {
        assertThat(diff("qwen3-a")).isLessThan(1e-4);
    }

    /** Own vector (core/src/test/python/llama_reference.py, NumPy in float64): linear scaling, q/k/v/o and MLP biases. */
    @Test
    void llamaWithLinearRopeScalingAndBiases() throws IOException {
        assertThat(diff("llama-linear-bias")).isLessThan(1e-4);
    }

    @Test
    void mistralWithSlidingWindow() throws IOException {
        assertThat(diff("mistral-a")).isLessThan(1e-4);
    }

    /** Own vector: YaRN with transformers' defaults (rope_scaling spelling), 48 positions, original context 32. */
    @Test
    void llamaWithYarn() throws IOException {
        assertThat(diff("llama-yarn")).isLessThan(2e-5);
    }

    /** Own vector: YaRN with mscale/mscale_all_dim, betas and truncate false (rope_parameters spelling) on Qwen2. */
    @Test
    void qwen2WithYarnInTheRopeParametersSpelling() throws IOException {
        assertThat(diff("qwen2-yarn")).isLessThan(2e-5);
    }

    /** Own vector: dynamic NTK at 40 positions past max_position_embeddings 16, in one forward call. */
    @Test
    void llamaWithDynamicNtk() throws IOException {
        assertThat(diff("llama-dynamic")).isLessThan(2e-5);
    }

    /**
     * Dynamic NTK through the KV cache: a prefill of 12, then one token a call, each call's frequencies those
     * of its own highest position (keys in the cache keep theirs), against the reference doing the same.
     */
    @Test
    void llamaWithDynamicNtkThroughTheKvCache() throws IOException {
        double d = stepwise("llama-dynamic", "logits_cached", 12);
        assertThat(d).isLessThan(2e-5);
        // and the cached logits are not those of one forward pass: the scaling really moved with the length
        Path dir = TinyFixtures.vectorsDir("llama-dynamic");
        try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve("expected.safetensors"))) {
            assertThat(TinyFixtures.maxAbsDiff(f.readFloats("logits"), f.readFloats("logits_cached"))).isGreaterThan(1e-3);
        }
    }

    /** Own vector: Qwen2 use_sliding_window with max_window_layers 1 (layer 0 full, layer 1 windowed, window 5). */
    @Test
    void qwen2WithSlidingWindowOnTheUpperLayers() throws IOException {
        assertThat(diff("qwen2-sliding")).isLessThan(2e-5);
        // the same logits one token at a time through the KV cache (the window applies to cached keys too)
        assertThat(stepwise("qwen2-sliding", "logits", 3)).isLessThan(2e-5);
    }

    /** Max |logits - expected[tensor]| feeding {@code prefill} tokens, then one token a call through a KV cache. */
    static double stepwise(String variant, String tensor, int prefill) throws IOException {
        Path dir = TinyFixtures.vectorsDir(variant);
        float[] want;
        long[] shape;
        try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve("expected.safetensors"))) {
            want = f.readFloats(tensor);
            shape = f.info(tensor).shape();
        }
        int b = (int) shape[0];
        int t = (int) shape[1];
        int vocab = (int) shape[2];
        try (LlamaModel model = LlamaModel.load(dir, Device.cpu()); NDManager step = model.manager().newSubManager();
             KvCache cache = new KvCache(step, model.config().numHiddenLayers())) {
            NDArray ids = TinyFixtures.inputIds(dir, step);
            float[] first = model.forward(ids.get(":, :" + prefill), null, cache, false).toFloatArray();
            double worst = 0;
            for (int bi = 0; bi < b; bi++) {
                for (int ti = 0; ti < prefill; ti++) {
                    for (int v = 0; v < vocab; v++) {
                        worst = Math.max(worst, Math.abs(first[(bi * prefill + ti) * vocab + v]
                                - want[(bi * t + ti) * vocab + v]));
                    }
                }
            }
            for (int ti = prefill; ti < t; ti++) {
                float[] next = model.forward(ids.get(":, " + ti + ":" + (ti + 1)), null, cache, false).toFloatArray();
                for (int bi = 0; bi < b; bi++) {
                    for (int v = 0; v < vocab; v++) {
                        worst = Math.max(worst, Math.abs(next[bi * vocab + v] - want[(bi * t + ti) * vocab + v]));
                    }
                }
            }
            System.out.println(variant + " through the KV cache (prefill " + prefill + ", then one token a call) against "
                    + tensor + ": max diff " + worst);
            return worst;
        }
    }
}
