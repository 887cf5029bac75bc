package dev.keel.core.lm.generate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HubModelFilesTest {

    @TempDir
    Path dir;

    @Test
    void readsSpecialTokensAsObjectsAndEveryEosId() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false},"
                + " \"eos_token\": \"</s>\", \"add_bos_token\": true, \"chat_template\": \"{{ bos_token }}hi\"}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009],"
                + " \"temperature\": 0.6, \"top_p\": 0.9, \"do_sample\": true, \"max_new_tokens\": 64, \"transformers_version\": \"4.45.0\"}");
        HubModelFiles f = HubModelFiles.read(dir);
        assertThat(f.bosToken()).contains("<s>");
        assertThat(f.eosToken()).contains("</s>");
        assertThat(f.addBosToken()).contains(true);
        assertThat(f.chatTemplate()).contains("{{ bos_token }}hi");
        assertThat(f.chatTemplateSource()).contains("tokenizer_config.json");
        assertThat(f.chatTemplateDescription()).isEqualTo("tokenizer_config.json, field chat_template");
        assertThat(f.doSample()).contains(true);
        assertThat(f.eosTokenIds()).containsExactly(128001L, 128008L, 128009L);
        assertThat(f.bosTokenId().getAsLong()).isEqualTo(128000L);
        assertThat(f.temperature().getAsDouble()).isEqualTo(0.6);
        assertThat(f.topP().getAsDouble()).isEqualTo(0.9);
        assertThat(f.maxNewTokens().getAsInt()).isEqualTo(64);
        assertThat(f.maxLength()).isEmpty();
    }

    @Test
    void namedTemplatesUseDefaultAndTheJinjaFileWins() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"},"
                + " {\"name\": \"default\", \"template\": \"D\"}], \"eos_token\": null}");
        assertThat(HubModelFiles.read(dir).chatTemplate()).contains("D");
        assertThat(HubModelFiles.read(dir).eosToken()).isEmpty();
        assertThat(HubModelFiles.read(dir).chatTemplateDescription())
                .isEqualTo("tokenizer_config.json, field chat_template, the template named default");
        Files.writeString(dir.resolve("chat_template.jinja"), "J");
        HubModelFiles f = HubModelFiles.read(dir);
        assertThat(f.chatTemplate()).contains("J");
        assertThat(f.chatTemplateSource()).contains("chat_template.jinja");
        assertThat(f.chatTemplateDescription()).isEqualTo("chat_template.jinja");
        assertThat(f.configEosTokenIds()).isEmpty();
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": [5, 7]}");
        assertThat(HubModelFiles.read(dir).configEosTokenIds()).containsExactly(5L, 7L);
    }

    @Test
    void aSingleEosIdIsAList() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 2}");
        assertThat(HubModelFiles.read(dir).eosTokenIds()).containsExactly(2L);
    }

    @Test
    void refusalsNameFileFieldAndValue() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [1, \"x\"]}");
        assertThatThrownBy(() -> HubModelFiles.read(dir)).hasMessageContaining("generation_config.json")
                .hasMessageContaining("eos_token_id").hasMessageContaining("\"x\"");
        Files.writeString(dir.resolve("generation_config.json"), "{\"repetition_penalty\": 1.1}");
        assertThatThrownBy(() -> HubModelFiles.read(dir)).hasMessageContaining("repetition_penalty").hasMessageContaining("1.1");
        Files.writeString(dir.resolve("generation_config.json"), "{\"top_p\": 1.5}");
        assertThatThrownBy(() -> HubModelFiles.read(dir)).hasMessageContaining("top_p = 1.5");
        Files.delete(dir.resolve("generation_config.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}]}");
        assertThatThrownBy(() -> HubModelFiles.read(dir)).hasMessageContaining("tokenizer_config.json")
                .hasMessageContaining("chat_template").hasMessageContaining("tool_use");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": 5}");
        assertThatThrownBy(() -> HubModelFiles.read(dir)).hasMessageContaining("bos_token = 5");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": \"yes\"}");
        assertThatThrownBy(() -> HubModelFiles.read(dir)).hasMessageContaining("add_bos_token = \"yes\"");
    }

    @Test
    void anEmptyDirectoryHasNothing() throws IOException {
        HubModelFiles f = HubModelFiles.read(dir);
        assertThat(f.chatTemplate()).isEmpty();
        assertThat(f.eosTokenIds()).isEmpty();
        assertThat(f.specialTokenVariables()).containsEntry("bos_token", "");
    }
}
