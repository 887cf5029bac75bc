package dev.keel.core.lm.generate;

import dev.keel.core.chat.ChatMessage;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JinjaChatTemplateTest {

    private static String render(String source, List<ChatMessage> messages) {
        return JinjaChatTemplate.of("t", source, Map.of("bos_token", "<s>", "eos_token", "</s>")).render(messages, true);
    }

    @Test
    void raiseExceptionNamesTheTemplateAndMessage() {
        JinjaChatTemplate t = JinjaChatTemplate.of("my-model/tokenizer_config.json",
                "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with user') }}{% endif %}ok", Map.of());
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.system("s")), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("my-model/tokenizer_config.json").hasMessageContaining("Conversation must start with user");
        assertThat(t.render(List.of(ChatMessage.user("u")), false)).isEqualTo("ok");
    }

    @Test
    void pythonStringMethodsLoopVariablesAndWhitespaceControl() {
        String src = "{{ bos_token }}{% for m in messages %}\n"
                + "  {%- if loop.first %}[{{ loop.index }}/{{ loop.length }}]{% endif %}\n"
                + "  {{- m.content.strip() | upper }}|{{ m.content.split(',')[-1] }}|{{ m.content.lstrip(' a') }}|"
                + "{% if m.content.startswith(' a') %}S{% endif %}{% if m.content.endswith('c ') %}E{% endif %}\n"
                + "{% endfor %}\n"
                + "{{- eos_token }}\n";
        assertThat(render(src, List.of(ChatMessage.user(" a,b,c ")))).isEqualTo("<s>[1/1]A,B,C|c |,b,c |SE</s>");
    }

    @Test
    void messageTextIsNeverATemplate() {
        assertThat(render("{% for m in messages %}{{ m.content }}{% endfor %}", List.of(ChatMessage.user("{{ 7*7 }} {% if %}"))))
                .isEqualTo("{{ 7*7 }} {% if %}");
    }

    @Test
    void tojsonIsPythonsJsonDumps() {
        JinjaChatTemplate t = JinjaChatTemplate.of("t", "{{ x | tojson }}\n{{ x | tojson(indent=2) }}", Map.of());
        Map<String, Object> x = new java.util.LinkedHashMap<>();
        x.put("name", "f\u00e9\"q\"\n");
        x.put("args", List.of(1, 2.5, true));
        assertThat(t.renderMessages(List.of(), false, Map.of("x", x)))
                .isEqualTo("{\"name\": \"f\u00e9\\\"q\\\"\\n\", \"args\": [1, 2.5, true]}\n"
                        + "{\n  \"name\": \"f\u00e9\\\"q\\\"\\n\",\n  \"args\": [\n    1,\n    2.5,\n    true\n  ]\n}");
    }

    @Test
    void listsAndMapsPrintAsPythonPrintsThem() {
        JinjaChatTemplate t = JinjaChatTemplate.of("t", "{{ xs }} {{ m }} {{ 7 // 2 }} {{ 3 / 2 }}", Map.of());
        assertThat(t.renderMessages(List.of(), false, Map.of("xs", List.of(1, "a"), "m", Map.of("k", "v"))))
                .isEqualTo("[1, 'a'] {'k': 'v'} 3 1.5");
    }

    @Test
    void namespaceKeywordArgumentsTakeTheWholeExpression() {
        String src = "{% set ns = namespace(last=messages|length - 1, seen=false) %}{{ ns.last }}";
        assertThat(render(src, List.of(ChatMessage.user("a"), ChatMessage.assistant("b"), ChatMessage.user("c")))).isEqualTo("2");
    }

    @Test
    void reverseSliceIsSupportedAndOtherStepsRefused() {
        assertThat(render("{% for m in messages[::-1] %}{{ m.content }}{% endfor %}",
                List.of(ChatMessage.user("a"), ChatMessage.assistant("b")))).isEqualTo("ba");
        assertThatThrownBy(() -> JinjaChatTemplate.of("t", "{{ messages[::2] }}", Map.of()))
                .hasMessageContaining("[::2]");
    }

    @Test
    void endsTurnWithEosIsFoundByRendering() {
        assertThat(JinjaChatTemplate.of("t", "{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}",
                Map.of("eos_token", "<|im_end|>")).endsTurnWithEos()).isTrue();
        assertThat(JinjaChatTemplate.of("t", "{% for m in messages %}{{ m.content }}{% endfor %}",
                Map.of("eos_token", "<|im_end|>")).endsTurnWithEos()).isFalse();
    }
}
