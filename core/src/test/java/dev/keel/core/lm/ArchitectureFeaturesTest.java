package dev.keel.core.lm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Json;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.safetensors.SafeTensors;
import dev.keel.core.lm.safetensors.SafeTensorsFile;
import dev.keel.core.lm.safetensors.TensorSource;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each architecture feature changes the logits where it should, and what is not supported is refused by name. */
class ArchitectureFeaturesTest {

    private static ObjectNode config(String variant) throws IOException {
        return (ObjectNode) Json.mapper().readTree(Files.readString(TinyFixtures.vectorsDir(variant).resolve("config.json")));
    }

    /** Writes {@code config} and the variant's tensors, edited by {@code edit}, to {@code dir}. */
    private static Path write(Path dir, String variant, ObjectNode config, Consumer<Map<String, NDArray>> edit,
                              NDManager m) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), Json.toPrettyString(config));
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (TensorSource src = TensorSource.open(TinyFixtures.vectorsDir(variant).resolve("model.safetensors"))) {
            for (String name : src.names()) {
                tensors.put(name, src.load(m, name));
            }
        }
        edit.accept(tensors);
        SafeTensors.write(dir.resolve("model.safetensors"), tensors, DType.F32);
        return dir;
    }

    private static float[] logits(Path dir, String variant) throws IOException {
        try (LlamaModel model = LlamaModel.load(dir, Device.cpu()); NDManager step = model.manager().newSubManager()) {
            return model.forward(TinyFixtures.inputIds(TinyFixtures.vectorsDir(variant), step)).toFloatArray();
        }
    }

    private static float[] expected(String variant) throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(TinyFixtures.vectorsDir(variant).resolve("expected.safetensors"))) {
            return f.readFloats("logits");
        }
    }

    @Test
    void qwen2ZeroBiasesGiveTheBiasFreeLogitsAndRealOnesChangeThem(@TempDir Path dir) throws IOException {
        ObjectNode asLlama = config("qwen2-a");
        asLlama.put("model_type", "llama");
        asLlama.remove(java.util.List.of("use_sliding_window", "sliding_window", "max_window_layers"));
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Path zeroed = write(dir.resolve("zeroed"), "qwen2-a", config("qwen2-a"), t -> t.replaceAll(
                    (name, a) -> name.endsWith(".bias") ? a.zerosLike() : a), m);
            Path biasFree = write(dir.resolve("bias-free"), "qwen2-a", asLlama,
                    t -> t.keySet().removeIf(name -> name.endsWith(".bias")), m);
            Path withoutBiases = write(dir.resolve("without"), "qwen2-a", config("qwen2-a"),
                    t -> t.keySet().removeIf(name -> name.endsWith(".bias")), m);
            float[] free = logits(biasFree, "qwen2-a");
            assertThat(TinyFixtures.maxAbsDiff(logits(zeroed, "qwen2-a"), free)).isLessThan(1e-6);
            assertThat(TinyFixtures.maxAbsDiff(expected("qwen2-a"), free)).isGreaterThan(1e-2);
            // a Qwen2 checkpoint without its biases is refused, not run bias-free
            assertThatThrownBy(() -> LlamaModel.load(withoutBiases, Device.cpu())).isInstanceOf(IOException.class)
                    .hasMessageContaining("model.layers.0.self_attn.q_proj.bias [64]");
        }
    }

    @Test
    void llama3ScalingMattersAndRopeParametersIsTheSame(@TempDir Path dir) throws IOException {
        ObjectNode plain = config("llama3-a");
        plain.remove("rope_scaling");
        ObjectNode params = config("llama3-a");
        ObjectNode rp = (ObjectNode) params.remove("rope_scaling");
        rp.put("rope_theta", params.remove("rope_theta").doubleValue());
        params.set("rope_parameters", rp);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] unscaled = logits(write(dir.resolve("plain"), "llama3-a", plain, t -> { }, m), "llama3-a");
            assertThat(TinyFixtures.maxAbsDiff(unscaled, expected("llama3-a"))).isGreaterThan(1e-3);
            float[] newer = logits(write(dir.resolve("params"), "llama3-a", params, t -> { }, m), "llama3-a");
            assertThat(TinyFixtures.maxAbsDiff(newer, expected("llama3-a"))).isLessThan(1e-4);
        }
        assertThat(LlamaConfig.fromJson(params).ropeTheta()).isEqualTo(500000.0);
        assertThat(LlamaConfig.fromJson(params).ropeScaling()).isEqualTo(RopeScaling.llama3(8, 1, 4, 16));
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        float[] plain = RopeScaling.NONE.inverseFrequencies(10000, 16);
        float[] linear = RopeScaling.linear(4).inverseFrequencies(10000, 16);
        for (int i = 0; i < plain.length; i++) {
            assertThat(linear[i]).isCloseTo(plain[i] / 4, org.assertj.core.data.Offset.offset(1e-9f));
        }
        // llama3 keeps the high frequencies, divides the low ones and blends those between
        float[] l3 = RopeScaling.llama3(8, 1, 4, 8192).inverseFrequencies(500000, 128);
        float[] base = RopeScaling.NONE.inverseFrequencies(500000, 128);
        assertThat(l3[0]).isEqualTo(base[0]);
        assertThat(l3[63]).isCloseTo(base[63] / 8, org.assertj.core.data.Offset.offset(1e-12f));
        // frequency 1 has wavelength 2 pi, between 16 / 4 and 16 / 1: smooth = (16 / (2 pi) - 1) / (4 - 1)
        float[] small = RopeScaling.llama3(8, 1, 4, 16).inverseFrequencies(500000, 16);
        double smooth = (16 / (2 * Math.PI) - 1) / 3;
        assertThat((double) small[0]).isCloseTo((1 - smooth) / 8 + smooth, org.assertj.core.data.Offset.offset(1e-7));
    }

    @Test
    void mistralWindowMattersAlsoWithTheKvCache(@TempDir Path dir) throws IOException {
        ObjectNode full = config("mistral-a");
        full.putNull("sliding_window");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] unwindowed = logits(write(dir.resolve("full"), "mistral-a", full, t -> { }, m), "mistral-a");
            assertThat(TinyFixtures.maxAbsDiff(unwindowed, expected("mistral-a"))).isGreaterThan(1e-3);
        }
        float[] want = expected("mistral-a");
        Path vectors = TinyFixtures.vectorsDir("mistral-a");
        try (LlamaModel model = LlamaModel.load(vectors, Device.cpu());
             NDManager step = model.manager().newSubManager(); KvCache cache = new KvCache(step, 2)) {
            assertThat(model.config().slidingWindow()).isEqualTo(4);
            NDArray ids = TinyFixtures.inputIds(vectors, step);
            int vocab = 120;
            model.forward(ids.get(":, :3"), null, cache, false);
            double worst = 0;
            for (int t = 3; t < 11; t++) {
                float[] next = model.forward(ids.get(":, " + t + ":" + (t + 1)), null, cache, false).toFloatArray();
                for (int b = 0; b < 2; b++) {
                    for (int v = 0; v < vocab; v++) {
                        worst = Math.max(worst, Math.abs(next[b * vocab + v] - want[(b * 11 + t) * vocab + v]));
                    }
                }
            }
            System.out.println("mistral-a with the KV cache, one token at a time: max diff " + worst);
            assertThat(worst).isLessThan(1e-4);
        }
    }

    @Test
    void cachedAndUncachedGreedyGenerationAgreeForEachArchitecture() throws IOException {
        // not llama-dynamic: with dynamic NTK cached keys keep the frequencies of their own step, by design
        for (String variant : new String[] {"qwen2-a", "llama3-a", "qwen3-a", "mistral-a", "llama-yarn", "qwen2-yarn",
                "qwen2-sliding"}) {
            try (LlamaModel model = LlamaModel.load(TinyFixtures.vectorsDir(variant), Device.cpu())) {
                dev.keel.core.lm.generate.Generator g = new dev.keel.core.lm.generate.Generator(model);
                dev.keel.core.chat.GenerationOptions o = dev.keel.core.chat.GenerationOptions.builder().maxTokens(20).build();
                long[] prompt = {5, 17, 33, 8, 21};
                var cached = g.generate(prompt, o, java.util.Set.of(), true, null);
                var uncached = g.generate(prompt, o, java.util.Set.of(), false, null);
                assertThat(cached.tokens()).as(variant).hasSize(20);
                assertThat(cached).as(variant).isEqualTo(uncached);
            }
        }
    }

    @Test
    void savesAndReloadsEachArchitecture(@TempDir Path dir) throws IOException {
        for (String variant : new String[] {"qwen2-a", "llama3-a", "qwen3-a", "mistral-a"}) {
            Path out = dir.resolve(variant);
            try (LlamaModel model = LlamaModel.load(TinyFixtures.vectorsDir(variant), Device.cpu())) {
                model.save(out);
                assertThat(LlamaConfig.fromJson(out)).isEqualTo(model.config());
            }
            assertThat(TinyFixtures.maxAbsDiff(logits(out, variant), expected(variant))).isLessThan(1e-4);
        }
    }

    @Test
    void unsupportedFieldsAreRefusedByNameAndValue() throws IOException {
        ObjectNode longrope = config("llama3-a");
        ((ObjectNode) longrope.get("rope_scaling")).put("rope_type", "longrope");
        assertThatThrownBy(() -> LlamaConfig.fromJson(longrope)).hasMessageContaining("rope_scaling.rope_type \"longrope\"");
        ObjectNode newerLongrope = config("qwen3-a");
        newerLongrope.set("rope_parameters", Json.mapper().readTree("{\"rope_type\": \"longrope\", \"factor\": 4.0}"));
        assertThatThrownBy(() -> LlamaConfig.fromJson(newerLongrope))
                .hasMessageContaining("rope_parameters.rope_type \"longrope\"");
        ObjectNode extraKey = config("llama3-a");
        ((ObjectNode) extraKey.get("rope_scaling")).put("attention_factor", 2.0);
        assertThatThrownBy(() -> LlamaConfig.fromJson(extraKey)).hasMessageContaining("rope_scaling.attention_factor (2.0)");
        ObjectNode dynamicExtra = config("llama3-a");
        dynamicExtra.set("rope_scaling", Json.mapper().readTree("{\"type\": \"dynamic\", \"factor\": 2.0, \"beta_fast\": 4}"));
        assertThatThrownBy(() -> LlamaConfig.fromJson(dynamicExtra)).hasMessageContaining("rope_scaling.beta_fast (4)")
                .hasMessageContaining("rope_type dynamic");
        ObjectNode window = config("qwen2-a");
        window.put("use_sliding_window", "yes");
        assertThatThrownBy(() -> LlamaConfig.fromJson(window)).hasMessageContaining("use_sliding_window must be true or false, was \"yes\"");
        ObjectNode gemma = config("qwen2-a");
        gemma.put("model_type", "gemma3");
        assertThatThrownBy(() -> LlamaConfig.fromJson(gemma)).hasMessageContaining("model_type \"gemma3\"");
        ObjectNode act = config("mistral-a");
        act.put("hidden_act", "gelu");
        assertThatThrownBy(() -> LlamaConfig.fromJson(act)).hasMessageContaining("hidden_act \"gelu\"");
        ObjectNode layers = config("qwen3-a");
        layers.set("layer_types", Json.mapper().readTree("[\"full_attention\", \"sliding_attention\"]"));
        assertThatThrownBy(() -> LlamaConfig.fromJson(layers)).hasMessageContaining("layer_types[1] (\"sliding_attention\")")
                .hasMessageContaining("use_sliding_window is not true");
        ObjectNode chunked = config("qwen3-a");
        chunked.put("use_sliding_window", true);
        chunked.set("layer_types", Json.mapper().readTree("[\"full_attention\", \"chunked_attention\"]"));
        assertThatThrownBy(() -> LlamaConfig.fromJson(chunked)).hasMessageContaining("layer_types[1] (\"chunked_attention\")")
                .hasMessageContaining("supported: full_attention, sliding_attention");
        ObjectNode shortList = config("qwen2-a");
        shortList.set("layer_types", Json.mapper().readTree("[\"full_attention\"]"));
        assertThatThrownBy(() -> LlamaConfig.fromJson(shortList)).hasMessageContaining("layer_types must list 2 layers");
        ObjectNode ministral = config("mistral-a");
        ministral.set("layer_types", Json.mapper().readTree("[\"full_attention\", \"sliding_attention\"]"));
        assertThatThrownBy(() -> LlamaConfig.fromJson(ministral)).hasMessageContaining("layer_types[0] (\"full_attention\")")
                .hasMessageContaining("model_type mistral");
        ObjectNode partial = config("llama3-a");
        partial.put("partial_rotary_factor", 0.5);
        assertThatThrownBy(() -> LlamaConfig.fromJson(partial)).hasMessageContaining("partial_rotary_factor (0.5)");
        ObjectNode quant = config("llama3-a");
        quant.set("quantization_config", Json.mapper().readTree("{\"quant_method\": \"gptq\"}"));
        assertThatThrownBy(() -> LlamaConfig.fromJson(quant)).hasMessageContaining("quantization_config");
    }

    @Test
    void yarnDynamicAndQwenWindowsEachMatter(@TempDir Path dir) throws IOException {
        ObjectNode noYarn = config("llama-yarn");
        noYarn.remove("rope_scaling");
        ObjectNode noDynamic = config("llama-dynamic");
        noDynamic.remove("rope_scaling");
        noDynamic.put("max_position_embeddings", 64);
        ObjectNode noWindow = config("qwen2-sliding");
        noWindow.put("use_sliding_window", false);
        ObjectNode everyLayer = config("qwen2-sliding");
        everyLayer.put("max_window_layers", 0);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (var c : Map.of("llama-yarn", noYarn, "llama-dynamic", noDynamic, "qwen2-sliding", noWindow).entrySet()) {
                float[] without = logits(write(dir.resolve(c.getKey()), c.getKey(), c.getValue(), t -> { }, m), c.getKey());
                assertThat(TinyFixtures.maxAbsDiff(without, expected(c.getKey()))).as(c.getKey()).isGreaterThan(1e-2);
            }
            float[] all = logits(write(dir.resolve("all"), "qwen2-sliding", everyLayer, t -> { }, m), "qwen2-sliding");
            assertThat(TinyFixtures.maxAbsDiff(all, expected("qwen2-sliding"))).isGreaterThan(1e-2);
            // the explicit layer_types of transformers 5 give the same model as use_sliding_window + max_window_layers
            ObjectNode explicit = config("qwen2-sliding");
            explicit.remove("max_window_layers");
            explicit.set("layer_types", Json.mapper().readTree("[\"full_attention\", \"sliding_attention\"]"));
            float[] listed = logits(write(dir.resolve("listed"), "qwen2-sliding", explicit, t -> { }, m), "qwen2-sliding");
            assertThat(TinyFixtures.maxAbsDiff(listed, expected("qwen2-sliding"))).isLessThan(2e-5);
            ObjectNode reversed = config("qwen2-sliding");
            reversed.set("layer_types", Json.mapper().readTree("[\"sliding_attention\", \"full_attention\"]"));
            float[] swapped = logits(write(dir.resolve("reversed"), "qwen2-sliding", reversed, t -> { }, m), "qwen2-sliding");
            assertThat(TinyFixtures.maxAbsDiff(swapped, expected("qwen2-sliding"))).isGreaterThan(1e-2);
        }
        LlamaConfig c = LlamaConfig.fromJson(config("qwen2-sliding"));
        assertThat(c.layerTypes()).containsExactly(LlamaConfig.FULL_ATTENTION, LlamaConfig.SLIDING_ATTENTION);
        assertThat(c.isSlidingLayer(0)).isFalse();
        assertThat(c.isSlidingLayer(1)).isTrue();
        assertThat(c.toString()).contains("window=5 on layers 1");
    }

    @Test
    void savesAndReloadsTheScaledAndWindowedVariants(@TempDir Path dir) throws IOException {
        for (String variant : new String[] {"llama-yarn", "qwen2-yarn", "llama-dynamic", "qwen2-sliding"}) {
            Path out = dir.resolve(variant);
            try (LlamaModel model = LlamaModel.load(TinyFixtures.vectorsDir(variant), Device.cpu())) {
                model.save(out);
                assertThat(LlamaConfig.fromJson(out)).as(variant).isEqualTo(model.config());
            }
            assertThat(TinyFixtures.maxAbsDiff(logits(out, variant), expected(variant))).as(variant).isLessThan(2e-5);
        }
    }

    @Test
    void defaultsFollowTransformers() throws IOException {
        ObjectNode mistral = config("mistral-a");
        mistral.remove("sliding_window");
        assertThat(LlamaConfig.fromJson(mistral).slidingWindow()).isEqualTo(4096);
        ObjectNode qwen3 = config("qwen3-a");
        qwen3.remove("head_dim");
        assertThat(LlamaConfig.fromJson(qwen3).headDim()).isEqualTo(128);
        ObjectNode llama = config("llama3-a");
        llama.put("attention_bias", true);
        llama.put("mlp_bias", true);
        LlamaConfig c = LlamaConfig.fromJson(llama);
        assertThat(c.attentionBias() && c.outputBias() && c.mlpBias()).isTrue();
        assertThat(LlamaModel.expectedShapes(c)).containsKeys("model.layers.0.self_attn.o_proj.bias",
                "model.layers.1.mlp.down_proj.bias");
        LlamaConfig qwen2 = LlamaConfig.fromJson(config("qwen2-a"));
        assertThat(qwen2.attentionBias()).isTrue();
        assertThat(qwen2.outputBias()).isFalse();
        // Qwen2Config: sliding_window 4096 and max_window_layers 28 when absent, no window without use_sliding_window
        ObjectNode qwenWindow = config("qwen2-a");
        qwenWindow.put("use_sliding_window", true);
        qwenWindow.remove(java.util.List.of("sliding_window", "max_window_layers"));
        qwenWindow.put("num_hidden_layers", 30);
        LlamaConfig w = LlamaConfig.fromJson(qwenWindow);
        assertThat(w.slidingWindow()).isEqualTo(4096);
        assertThat(w.isSlidingLayer(27)).isFalse();
        assertThat(w.isSlidingLayer(28)).isTrue();
        ObjectNode off = config("qwen2-a");
        off.put("sliding_window", 8);
        off.put("max_window_layers", 0);
        assertThat(LlamaConfig.fromJson(off).slidingWindow()).isZero();
        assertThat(LlamaConfig.fromJson(off).isSlidingLayer(1)).isFalse();
    }
}
