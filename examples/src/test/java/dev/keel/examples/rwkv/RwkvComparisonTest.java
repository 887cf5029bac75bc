package dev.keel.examples.rwkv;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RwkvComparisonTest {

    /** keel-tiny's Llama shape, as its config.json gives it. */
    private static final String KEEL_TINY_LLAMA = "{\"model_type\":\"llama\",\"vocab_size\":3921,\"hidden_size\":128,"
            + "\"intermediate_size\":352,\"num_hidden_layers\":4,\"num_attention_heads\":4,\"num_key_value_heads\":2}";

    private static JsonNode json(String s) {
        return Json.parseObject(s);
    }

    @Test
    void llamaFlopsPerTokenAreCountedByHand() {
        JsonNode c = json(KEEL_TINY_LLAMA);
        // per layer: q 2*128*128, k and v 2*2*128*64, o 2*128*128, SwiGLU 3*2*128*352, attention 4*128*(23+1)/2
        double layer = 32768 + 32768 + 32768 + 270336 + 6144;
        double expected = 3 * (4 * layer + 2 * 128 * 3921);
        assertThat(RwkvComparison.trainingFlopsPerToken(c, 23)).isCloseTo(expected, within(1e-6));
    }

    @Test
    void rwkvFlopsPerTokenAreCountedByHandAndMatchKeelTinysWithinOnePercent() {
        JsonNode r = json("{\"model_type\":\"rwkv\",\"vocab_size\":3921,\"hidden_size\":128,\"attention_hidden_size\":128,"
                + "\"intermediate_size\":395,\"num_hidden_layers\":4}");
        // r, k, v 3*2*128*128, output 2*128*128, channel key and value 2*2*128*395, receptance 2*128*128, wkv 4*128*9.5
        double layer = 98304 + 32768 + 202240 + 32768 + 4864;
        double expected = 3 * (4 * layer + 2 * 128 * 3921);
        double rwkv = RwkvComparison.trainingFlopsPerToken(r, 23);
        assertThat(rwkv).isCloseTo(expected, within(1e-6));
        JsonNode l = json(KEEL_TINY_LLAMA);
        assertThat(rwkv / RwkvComparison.trainingFlopsPerToken(l, 23)).isBetween(0.99, 1.01);
    }

    @Test
    void anotherModelTypeIsRefusedByName() {
        assertThatThrownBy(() -> RwkvComparison.trainingFlopsPerToken(json("{\"model_type\":\"mamba\"}"), 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model_type").hasMessageContaining("mamba");
    }
}
