package dev.keel.core.lm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.safetensors.SafeTensors;
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

/** A checkpoint is loaded exactly or refused: no tensor left unused, none missing. */
class StrictLoadTest {

    /** Copies tiny-llama-a to {@code dir} with its tensors edited by {@code edit}. */
    private static void writeEdited(Path dir, Consumer<Map<String, NDArray>> edit, NDManager m) throws IOException {
        Files.copy(TinyFixtures.vectorsDir().resolve("config.json"), dir.resolve("config.json"));
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (TensorSource src = TensorSource.open(TinyFixtures.vectorsDir().resolve("model.safetensors"))) {
            for (String name : src.names()) {
                tensors.put(name, src.load(m, name));
            }
        }
        edit.accept(tensors);
        SafeTensors.write(dir.resolve("model.safetensors"), tensors, DType.F32);
    }

    @Test
    void anExtraTensorIsRefusedByName(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            writeEdited(dir, t -> t.put("model.layers.0.self_attn.q_proj.bias", m.zeros(new ai.djl.ndarray.types.Shape(48))), m);
        }
        assertThatThrownBy(() -> LlamaModel.load(dir, Device.cpu())).isInstanceOf(IOException.class)
                .hasMessageContaining("[model.layers.0.self_attn.q_proj.bias]")
                .hasMessageContaining("left unused");
    }

    @Test
    void aMissingTensorIsRefusedByName(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            writeEdited(dir, t -> t.remove("model.layers.1.mlp.up_proj.weight"), m);
        }
        assertThatThrownBy(() -> LlamaModel.load(dir, Device.cpu())).isInstanceOf(IOException.class)
                .hasMessageContaining("has no tensor [model.layers.1.mlp.up_proj.weight [96, 48]]");
    }

    @Test
    void aConfigWithFewerLayersThanTheWeightsIsRefused(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            writeEdited(dir, t -> { }, m);
        }
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"));
        assertThatThrownBy(() -> LlamaModel.load(dir, Device.cpu())).isInstanceOf(IOException.class)
                .hasMessageContaining("model.layers.1.input_layernorm.weight")
                .hasMessageContaining("model.layers.1.mlp.down_proj.weight")
                .hasMessageContaining("(9 tensors)")
                .hasMessageContaining("left unused");
    }

    @Test
    void derivedRotaryFrequenciesAndAnEqualTiedHeadAreAccepted(@TempDir Path dir) throws IOException {
        Path tied = dir.resolve("tied");
        Path differs = dir.resolve("differs");
        Files.createDirectories(tied);
        Files.createDirectories(differs);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            writeEdited(tied, t -> {
                t.put("model.layers.0.self_attn.rotary_emb.inv_freq", m.ones(new ai.djl.ndarray.types.Shape(4)));
                t.put("model.rotary_emb.inv_freq", m.ones(new ai.djl.ndarray.types.Shape(4)));
                t.put("lm_head.weight", t.get("model.embed_tokens.weight").duplicate());
            }, m);
            writeEdited(differs, t -> { }, m);
        }
        for (Path d : new Path[] {tied, differs}) {
            Files.writeString(d.resolve("config.json"), Files.readString(d.resolve("config.json"))
                    .replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true"));
        }
        try (LlamaModel model = LlamaModel.load(tied, Device.cpu())) {
            assertThat(model.parameters()).doesNotContainKey("lm_head.weight");
        }
        assertThatThrownBy(() -> LlamaModel.load(differs, Device.cpu())).isInstanceOf(IOException.class)
                .hasMessageContaining("lm_head.weight").hasMessageContaining("differs");
    }
}
