package dev.keel.core.lm;

import dev.keel.core.testkit.TinyFixtures;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlamaConfigTest {

    @Test
    void readsTheTestVectorConfig() throws IOException {
        LlamaConfig c = LlamaConfig.fromJson(TinyFixtures.vectorsDir());
        assertThat(c.vocabSize()).isEqualTo(97);
        assertThat(c.hiddenSize()).isEqualTo(48);
        assertThat(c.intermediateSize()).isEqualTo(96);
        assertThat(c.numHiddenLayers()).isEqualTo(2);
        assertThat(c.numAttentionHeads()).isEqualTo(6);
        assertThat(c.numKeyValueHeads()).isEqualTo(2);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.groupSize()).isEqualTo(3);
        assertThat(c.rmsNormEps()).isEqualTo(1e-5);
        assertThat(c.ropeTheta()).isEqualTo(10000.0);
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.maxPositionEmbeddings()).isEqualTo(64);
        assertThat(c.bosTokenId()).isEqualTo(1);
        assertThat(c.eosTokenId()).isEqualTo(2);
        assertThat(LlamaConfig.fromJson(c.toJson())).isEqualTo(c);
        assertThat(LlamaConfig.fromJson(dev.keel.core.internal.Json.mapper().readTree(c.toJsonString()))).isEqualTo(c);
        assertThat(c.parameterCount()).isEqualTo(97 * 48 * 2 + 2 * (48 * 48 * 2 + 48 * 16 * 2 + 3 * 48 * 96 + 96) + 48);
    }

    private static ObjectNode base() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("vocab_size", 100).put("hidden_size", 48).put("intermediate_size", 96).put("num_hidden_layers", 2)
                .put("num_attention_heads", 6).put("num_key_value_heads", 2);
        return o;
    }

    @Test
    void errorsNameTheValues() {
        assertThatThrownBy(() -> LlamaConfig.fromJson(base().put("hidden_size", 50)))
                .hasMessage("num_attention_heads (6) must divide hidden_size (50)");
        assertThatThrownBy(() -> LlamaConfig.fromJson(base().put("num_key_value_heads", 4)))
                .hasMessage("num_key_value_heads (4) must divide num_attention_heads (6)");
        assertThatThrownBy(() -> LlamaConfig.fromJson(base().put("vocab_size", 0)))
                .hasMessageContaining("vocab_size must be > 0, was 0");
        assertThatThrownBy(() -> LlamaConfig.fromJson(base().put("rms_norm_eps", -1)))
                .hasMessageContaining("rms_norm_eps").hasMessageContaining("-1");
        assertThatThrownBy(() -> LlamaConfig.fromJson(base().put("hidden_size", "big")))
                .hasMessageContaining("hidden_size must be an integer, was \"big\"");
        assertThatThrownBy(() -> LlamaConfig.fromJson(base().without("num_hidden_layers")))
                .hasMessageContaining("num_hidden_layers is missing");
        assertThatThrownBy(() -> LlamaConfig.fromJson(base().put("hidden_act", "gelu")))
                .hasMessageContaining("hidden_act \"gelu\"");
        assertThatThrownBy(() -> LlamaConfig.fromJson(base().put("model_type", "gpt2")))
                .hasMessageContaining("gpt2");
        assertThatThrownBy(() -> LlamaConfig.fromJson(base().put("eos_token_id", 100)))
                .hasMessageContaining("eos_token_id (100)").hasMessageContaining("vocab_size (100)");
        assertThatThrownBy(() -> LlamaConfig.builder().vocabSize(10).hiddenSize(50).intermediateSize(8)
                .numHiddenLayers(1).numAttentionHeads(6).build())
                .hasMessage("num_attention_heads (6) must divide hidden_size (50)");
    }

    @Test
    void defaultsAndListEosIds() {
        ObjectNode o = base().without("num_key_value_heads");
        o.putArray("eos_token_id").add(7).add(8);
        LlamaConfig c = LlamaConfig.fromJson(o);
        assertThat(c.numKeyValueHeads()).isEqualTo(6);
        assertThat(c.eosTokenId()).isEqualTo(7);
        assertThat(c.rmsNormEps()).isEqualTo(1e-6);
    }

    @Test
    void fileErrorsNameTheFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{oops");
        assertThatThrownBy(() -> LlamaConfig.fromJson(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("config.json");
        Files.writeString(dir.resolve("config.json"), base().put("hidden_size", 50).toString());
        assertThatThrownBy(() -> LlamaConfig.fromJson(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("config.json").hasMessageContaining("must divide hidden_size (50)");
        assertThatThrownBy(() -> LlamaConfig.fromJson(dir.resolve("none")))
                .isInstanceOf(IOException.class);
    }
}
