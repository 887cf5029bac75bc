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
 * computed from the same stored weights (test vectors qwen2-a, llama3-a, qwen3-a, mistral-a).
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
}
