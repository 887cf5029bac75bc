package dev.keel.core;

import dev.keel.core.data.Csv;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.ProvenanceJson;
import dev.keel.core.internal.TextFiles;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.generate.HubModelFiles;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Crafted files under {@code src/test/resources/hardening}: integers that used to wrap or truncate,
 * values of the wrong JSON type that used to be converted, invalid UTF-8 and byte order marks.
 */
class HardeningFixturesTest {

    private static Path fixture(String name) {
        return TinyFixtures.resource("hardening/" + name);
    }

    @Test
    void theValidFixturesLoad() throws IOException {
        LlamaConfig c = LlamaConfig.fromJson(fixture("config-valid.json"));
        assertThat(c.vocabSize()).isEqualTo(128);
        assertThat(LoraConfig.fromJson(fixture("adapter-valid.json")).rank()).isEqualTo(8);
        try (LmTokenizer t = LmTokenizer.load(fixture("tokenizer-valid.json"))) {
            assertThat(t.vocabSize()).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "config-vocab-size-wraps.json     | vocab_size must be an integer -2147483648..2147483647, was 4294967424",
            "config-eos-wraps.json            | eos_token_id must be an integer 0..2147483647, was 99999999999999999999",
            "config-eos-list-wraps.json       | eos_token_id[1] must be an integer 0..2147483647, was 4294967298",
            "config-eps-infinite.json         | rms_norm_eps must be a finite number, was Infinity",
            "config-tie-string.json           | tie_word_embeddings must be true or false, was \"false\"",
            "config-layers-fraction.json      | num_hidden_layers must be an integer, was 2.5",
            "config-model-type-number.json    | model_type must be a string, was 5",
            "config-rope-factor-infinite.json | rope_scaling.factor must be a finite number, was Infinity",
    })
    void configValuesAreRefusedNotWrapped(String file, String message) {
        Path f = fixture(file);
        assertThatThrownBy(() -> LlamaConfig.fromJson(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(f.toString()).hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "adapter-r-wraps.json         | r must be an integer 1..2147483647, was 4294967304",
            "adapter-dropout-string.json  | lora_dropout must be a number, was \"abc\"",
            "adapter-rslora-string.json   | use_rslora must be true or false, was \"yes\"",
            "adapter-target-number.json   | target_modules[1] must be a string, was 7",
    })
    void adapterValuesAreRefusedNotConverted(String file, String message) {
        Path f = fixture(file);
        assertThatThrownBy(() -> LoraConfig.fromJson(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(f.toString()).hasMessageContaining(message);
    }

    @Test
    void aProvenanceSeedBeyondLongIsRefused() throws IOException {
        var node = Json.readFile(fixture("provenance-seed-huge.json"));
        assertThatThrownBy(() -> ProvenanceJson.fromJson(node)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("field \"seed\" must be an integer").hasMessageContaining("was 18446744073709551658");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "tokenizer-vocab-id-wraps.json    | model.vocab[\"lyon\"] must be an integer 0..2147483646, was 4294967298",
            "tokenizer-added-id-fraction.json | added_tokens[0].id must be an integer 0..2147483646, was 0.5",
            "tokenizer-invalid-utf8.json      | not valid UTF-8 at byte ",
    })
    void tokenizerIdsAreRangeCheckedAndBytesDecodedStrictly(String file, String message) {
        Path f = fixture(file);
        assertThatThrownBy(() -> LmTokenizer.load(f)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(f.toString()).hasMessageContaining(message);
    }

    @Test
    void nonUtf8ConfigNamesTheFileAndTheByteOffset() {
        Path f = fixture("config-latin1.json");
        assertThatThrownBy(() -> LlamaConfig.fromJson(f)).isInstanceOf(IOException.class)
                .hasMessage(f + ": not valid UTF-8 at byte 24 (E9)");
    }

    @Test
    void invalidUtf8ChatTemplateNamesTheFileAndTheByteOffset(@TempDir Path dir) throws IOException {
        Files.copy(fixture("chat_template-invalid-utf8.jinja"), dir.resolve(HubModelFiles.CHAT_TEMPLATE_FILE));
        Path f = dir.resolve(HubModelFiles.CHAT_TEMPLATE_FILE);
        byte[] bytes = Files.readAllBytes(f);
        int at = 0;
        while ((bytes[at] & 0xFF) != 0xC3) {
            at++;
        }
        int offset = at;
        assertThatThrownBy(() -> HubModelFiles.read(dir)).isInstanceOf(IOException.class)
                .hasMessage(f + ": not valid UTF-8 at byte " + offset + " (C3)");
    }

    @Test
    void aByteOrderMarkAtTheStartIsSkippedEverywhere() throws IOException {
        // the same rule in every reader: config.json, tokenizer.json (also for the native tokenizer), CSV, text
        assertThat(LlamaConfig.fromJson(fixture("config-bom.json"))).isEqualTo(LlamaConfig.fromJson(fixture("config-valid.json")));
        try (LmTokenizer t = LmTokenizer.load(fixture("tokenizer-bom.json"))) {
            assertThat(t.encode("paris lyon")).containsExactly(1, 2);
        }
        assertThat(TextFiles.decode(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'a'}, "x")).isEqualTo("a");
        // elsewhere U+FEFF is data
        assertThat(TextFiles.decode(new byte[] {'a', (byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, "x")).isEqualTo("a\uFEFF");
        assertThat(Csv.parse("\uFEFFa,b\n")).containsExactly(List.of("a", "b"));
    }

    @Test
    void csvAcceptsTrailingBlankLinesAndNamesABlankLineInTheMiddle() {
        assertThat(Csv.parseWithHeader("a,b\n1,2\n\n", List.of("a", "b"))).containsExactly(List.of("1", "2"));
        assertThat(Csv.parseWithHeader("a,b\r\n1,2\r\n\r\n\r\n", List.of("a", "b"))).containsExactly(List.of("1", "2"));
        assertThatThrownBy(() -> Csv.parseWithHeader("a,b\n1,2\n\n3,4\n", List.of("a", "b")))
                .hasMessage("CSV line 3 is blank, expected 2 fields");
        // a quoted field over two lines: the error names the line the bad record starts on
        assertThatThrownBy(() -> Csv.parseWithHeader("a,b\n\"x\ny\",2\n3\n", List.of("a", "b")))
                .hasMessage("CSV line 4 has 1 fields, expected 2 fields");
        // one column: an empty value in the middle is data
        assertThat(Csv.parseWithHeader("a\nx\n\ny\n", List.of("a"))).containsExactly(List.of("x"), List.of(""), List.of("y"));
    }
}
