package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.keel.examples.cli.KeelCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code keel lm render} with a model directory's own chat template. */
class LmRenderCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The real Qwen3 template and its reference renders (core's test resources, see their README.md). */
    static final Path CHAT_TEMPLATES = Path.of("..", "core", "src", "test", "resources", "chat-templates");

    @Test
    void qwen3ConversationsRenderAsPythonJinja2ByteForByte(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("rendered.jsonl");
        KeelCliTest.Run r = run("lm", "render", "--model", CHAT_TEMPLATES.resolve("qwen3").toString(),
                "--in", CHAT_TEMPLATES.resolve("conversations.jsonl").toString(), "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("rendered 24 of 24");
        List<String> actual = Files.readAllLines(out, StandardCharsets.UTF_8);
        List<String> expected = Files.readAllLines(CHAT_TEMPLATES.resolve("qwen3/expected-jinja2.jsonl"), StandardCharsets.UTF_8);
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.size(); i++) {
            JsonNode a = JSON.readTree(actual.get(i));
            JsonNode e = JSON.readTree(expected.get(i));
            assertThat(a.get("id")).isEqualTo(e.get("id"));
            assertThat(a.get("text").textValue()).as(e.get("id").asText()).isEqualTo(e.get("text").textValue());
        }
    }

    private static Path model(Path dir) throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"chat_template\": "
                + JSON.writeValueAsString("{% if messages[0].role == 'assistant' %}{{ raise_exception('must start with user') }}{% endif %}"
                + "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}"
                + "{% if add_generation_prompt %}[assistant]{% endif %}") + "}");
        return model;
    }

    @Test
    void aConversationTheTemplateRefusesGetsAnErrorLineAndExitCodeThree(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("c.jsonl");
        Files.writeString(in, "{\"id\": \"ok\", \"messages\": [{\"role\": \"user\", \"content\": \"hi {{ x }}\"}], \"add_generation_prompt\": true}\n"
                + "{\"id\": 7, \"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}\n"
                + "{\"id\": \"after\", \"messages\": [{\"role\": \"user\", \"content\": \"é\"}]}\n");
        Path out = dir.resolve("out.jsonl");
        KeelCliTest.Run r = run("lm", "render", "--model", model(dir).toString(), "--in", in.toString(), "--out", out.toString());
        assertThat(r.code()).as("some items failed").isEqualTo(3);
        assertThat(r.err()).contains("rendered 2 of 3").contains("1 failed");
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(lines).hasSize(3);
        assertThat(JSON.readTree(lines.get(0)).get("text").textValue()).isEqualTo("<s>[user] hi {{ x }}\n[assistant]");
        JsonNode failed = JSON.readTree(lines.get(1));
        assertThat(failed.get("id").intValue()).isEqualTo(7);
        assertThat(failed.get("error").textValue()).contains("must start with user").contains("tokenizer_config.json");
        assertThat(failed.has("text")).isFalse();
        assertThat(JSON.readTree(lines.get(2)).get("text").textValue()).isEqualTo("<s>[user] é\n");
    }

    @Test
    void theOutputMayNotReplaceTheInputAndABadLineIsNamed(@TempDir Path dir) throws IOException {
        Path model = model(dir);
        Path in = dir.resolve("c.jsonl");
        String original = "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n";
        Files.writeString(in, original);
        KeelCliTest.Run same = run("lm", "render", "--model", model.toString(), "--in", in.toString(), "--out", in.toString());
        assertThat(same.code()).isNotZero();
        assertThat(same.err()).contains("writing it would destroy the input");
        assertThat(Files.readString(in)).isEqualTo(original);

        Files.writeString(in, original + "{\"id\": \"b\", \"messages\": []}\n");
        Path out = dir.resolve("out.jsonl");
        KeelCliTest.Run bad = run("lm", "render", "--model", model.toString(), "--in", in.toString(), "--out", out.toString());
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("line 2").contains("messages");
        assertThat(out).doesNotExist();
    }

    @Test
    void dashWritesToStandardOutput(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("c.jsonl");
        Files.writeString(in, "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n");
        KeelCliTest.Run r = run("lm", "render", "--model", model(dir).toString(), "--in", in.toString(), "--out", "-");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).isEqualTo("{\"id\":\"a\",\"text\":\"<s>[user] hi\\n\"}");
    }

    @Test
    void aDirectoryWithoutATemplateIsRefused(@TempDir Path dir) throws IOException {
        Path model = Files.createDirectories(dir.resolve("empty"));
        Path in = dir.resolve("c.jsonl");
        Files.writeString(in, "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n");
        KeelCliTest.Run r = run("lm", "render", "--model", model.toString(), "--in", in.toString(), "--out", dir.resolve("o").toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("has no chat template");
    }
}
