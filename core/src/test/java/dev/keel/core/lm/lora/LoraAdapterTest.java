package dev.keel.core.lm.lora;

import ai.djl.Device;
import dev.keel.core.testkit.TinyFixtures;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.internal.LmLoss;
import dev.keel.core.lm.safetensors.SafeTensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class LoraAdapterTest {

    @RegisterExtension
    static final TinyFixtures.VectorsModel MODEL = new TinyFixtures.VectorsModel();

    private static LlamaModel model() {
        return MODEL.get();
    }

    private static float[] logits() {
        try (NDManager step = model().manager().newSubManager()) {
            return model().forward(TinyFixtures.vectorsInputIds(step), null, null, false).toFloatArray();
        }
    }

    @Test
    void logitsAndLossWithThePeftAdapterMatchTheReference() throws IOException {
        try (LoraAdapter lora = LoraAdapter.load(model(), TinyFixtures.vectorsDir())) {
            assertThat(lora.config().scaling()).isEqualTo(2.0);
            assertThat(lora.layers()).containsOnlyKeys("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                    "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");
            try (NDManager step = model().manager().newSubManager()) {
                NDArray ids = TinyFixtures.vectorsInputIds(step);
                NDArray logits = model().forward(ids, null, null, false);
                double diff = TinyFixtures.maxAbsDiff(logits.toFloatArray(), TinyFixtures.expected("logits_with_adapter"));
                float loss = LmLoss.mean(logits, ids, null).getFloat();
                double expected = TinyFixtures.vectors().get("loss_with_adapter").doubleValue();
                System.out.println("max |logits_with_adapter - expected| = " + diff + ", |loss_with_adapter - expected| = "
                        + Math.abs(loss - expected));
                assertThat(diff).isLessThan(1e-4);
                assertThat((double) loss).isCloseTo(expected, offset(1e-4));
            }
        }
        // detached again: back to the base logits
        assertThat(TinyFixtures.maxAbsDiff(logits(), TinyFixtures.expected("logits"))).isLessThan(1e-4);
    }

    @Test
    void savedAdapterReloadsBitIdentically(@TempDir Path dir) throws IOException {
        try (LoraAdapter lora = LoraAdapter.load(model(), TinyFixtures.vectorsDir())) {
            lora.save(dir);
        }
        try (LoraAdapter again = LoraAdapter.load(model(), dir);
             SafeTensorsFile original = SafeTensorsFile.open(TinyFixtures.vectorsDir().resolve("adapter_model.safetensors"));
             SafeTensorsFile saved = SafeTensorsFile.open(dir.resolve("adapter_model.safetensors"))) {
            assertThat(saved.names()).containsExactlyInAnyOrderElementsOf(original.names());
            for (String n : original.names()) {
                assertThat(saved.readFloats(n)).as(n).containsExactly(original.readFloats(n));
            }
            for (Map.Entry<String, Parameter> e : again.parameters().entrySet()) {
                assertThat(e.getValue().getArray().toFloatArray())
                        .containsExactly(original.readFloats(LoraAdapter.PEFT_PREFIX + e.getKey()));
            }
            assertThat(again.config()).isEqualTo(LoraConfig.fromJson(TinyFixtures.vectorsDir()));
            String json = Files.readString(dir.resolve("adapter_config.json"));
            assertThat(json).contains("\"peft_type\" : \"LORA\"").contains("\"target_modules\" : [ \"q_proj\", \"v_proj\" ]")
                    .contains("\"lora_alpha\" : 8");
        }
    }

    @Test
    void mergeThenUnmergeRestoresTheBase() throws IOException {
        Map<String, float[]> before = new java.util.HashMap<>();
        model().parameters().forEach((k, p) -> before.put(k, p.getArray().toFloatArray()));
        try (LoraAdapter lora = LoraAdapter.load(model(), TinyFixtures.vectorsDir())) {
            float[] unmergedLogits = logits();
            lora.merge();
            assertThat(lora.isMerged()).isTrue();
            assertThat(TinyFixtures.maxAbsDiff(logits(), unmergedLogits)).isLessThan(1e-5);
            assertThatThrownBy(lora::merge).isInstanceOf(IllegalStateException.class);
            lora.unmerge();
            double worst = 0;
            for (Map.Entry<String, Parameter> e : model().parameters().entrySet()) {
                worst = Math.max(worst, TinyFixtures.maxAbsDiff(e.getValue().getArray().toFloatArray(), before.get(e.getKey())));
            }
            System.out.println("max |W after merge+unmerge - W| = " + worst);
            assertThat(worst).isLessThan(1e-6);
            lora.merge();
        }
        // close() unmerged
        double worst = 0;
        for (Map.Entry<String, Parameter> e : model().parameters().entrySet()) {
            worst = Math.max(worst, TinyFixtures.maxAbsDiff(e.getValue().getArray().toFloatArray(), before.get(e.getKey())));
        }
        assertThat(worst).isLessThan(1e-6);
    }

    @Test
    void newAdaptersStartAsTheIdentityWithPeftInit() {
        LoraConfig c = LoraConfig.builder().rank(4).alpha(8).targetModules(LoraConfig.ALL_LINEAR).useRslora(true).build();
        assertThat(c.scaling()).isEqualTo(4.0);
        float[] base = logits();
        try (LoraAdapter lora = LoraAdapter.create(model(), c, 7)) {
            assertThat(lora.layers()).hasSize(14).doesNotContainKey("lm_head");
            assertThat(logits()).containsExactly(base);
            float[] a = lora.parameters().get("model.layers.0.mlp.down_proj.lora_A.weight").getArray().toFloatArray();
            double bound = 1 / Math.sqrt(96);
            for (float v : a) {
                assertThat((double) Math.abs(v)).isLessThanOrEqualTo(bound);
            }
            assertThat(lora.parameters().get("model.layers.0.mlp.down_proj.lora_B.weight").getArray().toFloatArray())
                    .containsOnly(0f);
            assertThat(lora.parameters().values()).allSatisfy(p -> assertThat(p.getArray().hasGradient()).isTrue());
            assertThat(model().parameters().values()).allSatisfy(p -> assertThat(p.getArray().hasGradient()).isFalse());
        }
        try (LoraAdapter a = LoraAdapter.create(model(), c, 7)) {
            float[] first = a.parameters().get("model.layers.1.self_attn.k_proj.lora_A.weight").getArray().toFloatArray();
            a.close();
            try (LoraAdapter b = LoraAdapter.create(model(), c, 7)) {
                assertThat(b.parameters().get("model.layers.1.self_attn.k_proj.lora_A.weight").getArray().toFloatArray())
                        .containsExactly(first);
            }
        }
    }

    @Test
    void badConfigsAndFilesAreClearErrors(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> LoraAdapter.create(model(), LoraConfig.builder().targetModules("qq_proj").build(), 1))
                .hasMessageContaining("[qq_proj] match no linear layer");
        try (LoraAdapter a = LoraAdapter.create(model(), LoraConfig.builder().build(), 1)) {
            assertThatThrownBy(() -> LoraAdapter.create(model(), LoraConfig.builder().build(), 1))
                    .hasMessageContaining("already has a LoRA adapter");
        }
        assertThatThrownBy(() -> LoraConfig.builder().rank(0)).hasMessageContaining("r must be > 0, was 0");
        assertThatThrownBy(() -> LoraConfig.builder().dropout(1.0)).hasMessageContaining("lora_dropout must be in [0, 1), was 1.0");
        // adapter of rank 4 described as rank 2
        Files.copy(TinyFixtures.vectorsDir().resolve("adapter_model.safetensors"), dir.resolve("adapter_model.safetensors"));
        Files.writeString(dir.resolve("adapter_config.json"),
                Files.readString(TinyFixtures.vectorsDir().resolve("adapter_config.json")).replace("\"r\": 4", "\"r\": 2"));
        assertThatThrownBy(() -> LoraAdapter.load(model(), dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("lora_A.weight\" has shape [4, 48], expected [2, 48]");
        // targets k_proj, which the file does not hold
        Files.writeString(dir.resolve("adapter_config.json"),
                Files.readString(TinyFixtures.vectorsDir().resolve("adapter_config.json")).replace("\"v_proj\"", "\"k_proj\""));
        assertThatThrownBy(() -> LoraAdapter.load(model(), dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("no lora_A weight for model.layers.0.self_attn.k_proj");
        assertThat(model().linearLayers().values()).allSatisfy(l -> assertThat(l.lora()).isNull());
    }

    @Test
    void regexAndSuffixMatching() throws Exception {
        LoraConfig re = LoraConfig.builder().targetRegex("model\\.layers\\.1\\..*_proj").build();
        assertThat(re.matches("model.layers.1.mlp.up_proj")).isTrue();
        assertThat(re.matches("model.layers.0.mlp.up_proj")).isFalse();
        LoraConfig suffix = LoraConfig.builder().targetModules("self_attn.o_proj").build();
        assertThat(suffix.matches("model.layers.3.self_attn.o_proj")).isTrue();
        assertThat(suffix.matches("model.layers.3.self_attn.xo_proj")).isFalse();
        assertThat(LoraConfig.fromJson(re.toJson())).isEqualTo(re);
        LoraConfig all = LoraConfig.builder().targetModules(LoraConfig.ALL_LINEAR).alpha(2.5).dropout(0.1).build();
        assertThat(LoraConfig.fromJson(all.toJson())).isEqualTo(all);
        assertThat(LoraConfig.fromJson(dev.keel.core.internal.Json.mapper().readTree(all.toJsonString()))).isEqualTo(all);
        assertThatThrownBy(() -> LoraConfig.builder().targetRegex("(")).hasMessageContaining("regex \"(\" is invalid");
        com.fasterxml.jackson.databind.node.ObjectNode json = all.toJson();
        json.putObject("rank_pattern").put("q_proj", 8);
        assertThatThrownBy(() -> LoraConfig.fromJson(json)).hasMessageContaining("rank_pattern");
        assertThatThrownBy(() -> LoraConfig.fromJson(all.toJson().put("use_dora", true))).hasMessageContaining("use_dora");
        assertThatThrownBy(() -> LoraConfig.fromJson(all.toJson().put("peft_type", "IA3"))).hasMessageContaining("IA3");
        assertThatThrownBy(() -> LoraConfig.fromJson(all.toJson().put("bias", "all"))).hasMessageContaining("bias");
    }
}
