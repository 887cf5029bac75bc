package dev.keel.core.chat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenerationOptionsTest {

    @Test
    void builderChecksEachValue() {
        assertThatThrownBy(() -> GenerationOptions.builder().temperature(-1)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> GenerationOptions.builder().topP(0)).hasMessageContaining("topP must be in (0, 1], was 0.0");
        assertThatThrownBy(() -> GenerationOptions.builder().maxTokens(0)).hasMessageContaining("maxTokens must be > 0, was 0");
        assertThatThrownBy(() -> GenerationOptions.builder().stop(List.of(""))).hasMessageContaining("stop");
    }

    @Test
    void toBuilderKeepsValues() {
        GenerationOptions o = GenerationOptions.builder().temperature(0.7).topP(0.9).maxTokens(12).seed(3).stop(List.of("\n")).build();
        assertThat(o.toBuilder().build()).isEqualTo(o);
        assertThat(o.toBuilder().seed(4).build()).isNotEqualTo(o);
        assertThat(GenerationOptions.defaults().temperature()).isZero();
    }

    @Test
    void responseHoldsExactlyOneOfTextAndError() {
        assertThatThrownBy(() -> new ChatResponse(null, null)).isInstanceOf(IllegalArgumentException.class);
        ChatModelException e = new ChatModelException(ChatModelException.Kind.IO, "boom");
        assertThatThrownBy(() -> ChatResponse.failed(e).textOrThrow()).isSameAs(e);
        assertThat(ChatResponse.ok("x").textOrThrow()).isEqualTo("x");
        assertThatThrownBy(() -> Role.fromWireName("robot")).hasMessageContaining("\"robot\"");
    }
}
