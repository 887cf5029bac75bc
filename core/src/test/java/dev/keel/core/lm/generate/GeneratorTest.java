package dev.keel.core.lm.generate;

import ai.djl.Device;
import dev.keel.core.testkit.TinyFixtures;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.LlamaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GeneratorTest {

    @RegisterExtension
    static final TinyFixtures.VectorsModel MODEL = new TinyFixtures.VectorsModel();
    static final long[] PROMPT = {49, 71, 31, 10, 49, 8};

    private static LlamaModel model() {
        return MODEL.get();
    }

    @Test
    void cachedAndUncachedGreedyOutputsAreIdentical() {
        GenerationOptions o = GenerationOptions.builder().maxTokens(30).build();
        Generator g = new Generator(model());
        GenerationResult cached = g.generate(PROMPT, o, Set.of(), true, null);
        GenerationResult uncached = g.generate(PROMPT, o, Set.of(), false, null);
        assertThat(cached.tokens()).hasSize(30);
        assertThat(cached.reason()).isEqualTo(GenerationResult.FinishReason.MAX_TOKENS);
        assertThat(cached).isEqualTo(uncached);
    }

    @Test
    void greedyFollowsTheArgmaxOfTheLogits() {
        // the first generated token is the argmax of the last position's logits
        GenerationResult r = new Generator(model()).generate(PROMPT, GenerationOptions.builder().maxTokens(1).build(),
                Set.of(), true, null);
        float[] expected = TinyFixtures.expected("logits");
        // input row 0 of the vectors starts with the prompt: position 5 predicts after PROMPT
        int best = 0;
        for (int v = 1; v < 97; v++) {
            if (expected[5 * 97 + v] > expected[5 * 97 + best]) {
                best = v;
            }
        }
        assertThat(r.tokens()).containsExactly(best);
    }

    @Test
    void samplingIsReproducibleFromTheSeedAndTinyTopPIsGreedy() {
        Generator g = new Generator(model());
        GenerationOptions sampled = GenerationOptions.builder().temperature(1.5).topP(0.95).maxTokens(25).seed(11).build();
        GenerationResult a = g.generate(PROMPT, sampled, Set.of(), true, null);
        GenerationResult b = g.generate(PROMPT, sampled, Set.of(), false, null);
        GenerationResult other = g.generate(PROMPT, sampled.toBuilder().seed(12).build(), Set.of(), true, null);
        assertThat(a).isEqualTo(b);
        assertThat(other).isNotEqualTo(a);
        GenerationOptions nucleusOfOne = GenerationOptions.builder().temperature(1.0).topP(1e-9).maxTokens(25).seed(5).build();
        GenerationResult greedy = g.generate(PROMPT, GenerationOptions.builder().maxTokens(25).build(), Set.of(), true, null);
        assertThat(g.generate(PROMPT, nucleusOfOne, Set.of(), true, null).tokens()).containsExactly(greedy.tokens());
    }

    @Test
    void stopsAtStopTokensCallbacksAndContextLength() {
        Generator g = new Generator(model());
        GenerationOptions o = GenerationOptions.builder().maxTokens(20).build();
        long[] free = g.generate(PROMPT, o, Set.of(), true, null).tokens();
        long stop = free[3];
        int first = 0;
        while (free[first] != stop) {
            first++;
        }
        GenerationResult r = g.generate(PROMPT, o, Set.of(stop), true, null);
        assertThat(r.reason()).isEqualTo(GenerationResult.FinishReason.STOP_TOKEN);
        assertThat(r.tokens()).containsExactly(java.util.Arrays.copyOf(free, first));
        GenerationResult cb = g.generate(PROMPT, o, Set.of(), true, generated -> generated.length < 4);
        assertThat(cb.reason()).isEqualTo(GenerationResult.FinishReason.STOPPED);
        assertThat(cb.tokens()).hasSize(4);
        // max_position_embeddings is 64
        GenerationResult longRun = g.generate(PROMPT, GenerationOptions.builder().maxTokens(200).build(), Set.of(), true, null);
        assertThat(longRun.reason()).isEqualTo(GenerationResult.FinishReason.LENGTH);
        assertThat(longRun.tokens()).hasSize(64 - PROMPT.length);
        GenerationResult full = g.generate(new long[64], o, Set.of(), true, null);
        assertThat(full.reason()).isEqualTo(GenerationResult.FinishReason.LENGTH);
        assertThat(full.tokens()).hasSize(1);
        assertThatThrownBy(() -> g.generate(new long[0], o, Set.of(), true, null))
                .hasMessageContaining("at least one token");
        assertThatThrownBy(() -> g.generate(new long[65], o, Set.of(), true, null))
                .hasMessageContaining("65 tokens exceeds the context length (64)");
    }
}
