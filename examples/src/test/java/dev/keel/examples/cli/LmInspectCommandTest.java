package dev.keel.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keel.core.internal.Json;
import dev.keel.core.lm.safetensors.SafeTensorsFile;
import dev.keel.core.lm.safetensors.TensorInfo;
import dev.keel.core.testkit.RandomHubModels;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.keel.examples.cli.KeelCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code keel lm inspect} on the architecture vectors, each beside Qwen3's real tokenizer, template and generation config. */
class LmInspectCommandTest {

    /** A vectors directory's weights with Qwen3's tokenizer files and, if given, a generation_config.json. */
    static Path hubDir(Path dir, String variant, String generationConfig) throws IOException {
        Files.createDirectories(dir);
        Path v = TinyFixtures.vectorsDir(variant);
        Files.copy(v.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(v.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Files.copy(TinyFixtures.qwen3TokenizerDir().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(TinyFixtures.qwen3TokenizerDir().resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        if (generationConfig != null) {
            Files.writeString(dir.resolve("generation_config.json"), generationConfig);
        }
        return dir;
    }

    /** The element count of every tensor in the file, read from its header (not through the model). */
    static long storedElements(Path file) throws IOException {
        long n = 0;
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            for (TensorInfo t : f.tensors().values()) {
                n += t.elementCount();
            }
        }
        return n;
    }

    @Test
    void jsonNamesTheArchitectureFeaturesParametersDtypesTemplateAndStops(@TempDir Path tmp) throws IOException {
        // {variant, model_type, stored dtype}
        for (String[] c : new String[][] {{"qwen2-a", "qwen2", "BF16"}, {"llama3-a", "llama", "BF16"},
            {"qwen3-a", "qwen3", "BF16"}, {"mistral-a", "mistral", "F32"}}) {
            Path dir = hubDir(tmp.resolve(c[0]), c[0], RandomHubModels.QWEN3_GENERATION_CONFIG);
            KeelCliTest.Run r = run("lm", "inspect", "--model", dir.toString(), "--json");
            assertThat(r.code()).as(c[0] + ": " + r.err()).isZero();
            JsonNode o = Json.mapper().readTree(r.out());
            assertThat(o.path("model_type").asText()).as(c[0]).isEqualTo(c[1]);
            JsonNode f = o.path("features");
            assertThat(f.path("qkv_bias").asBoolean()).as(c[0] + " qkv bias").isEqualTo(c[1].equals("qwen2"));
            assertThat(f.path("qk_norm").asBoolean()).as(c[0] + " qk norm").isEqualTo(c[1].equals("qwen3"));
            assertThat(f.path("rope_type").asText()).as(c[0] + " rope").isEqualTo(c[1].equals("llama") ? "llama3" : "default");
            assertThat(f.path("sliding_window").asInt()).as(c[0] + " window").isEqualTo(c[1].equals("mistral") ? 4 : 0);
            assertThat(f.path("tied_head").asBoolean()).as(c[0] + " tied").isEqualTo(!c[1].equals("mistral"));
            assertThat(o.path("parameters").asLong()).as(c[0] + " parameters").isEqualTo(storedElements(dir.resolve("model.safetensors")));
            assertThat(o.path("dtypes").path("stored").fieldNames()).toIterable().containsExactly(c[2]);
            long loaded = 0;
            for (JsonNode n : (Iterable<JsonNode>) () -> o.path("dtypes").path("loaded").elements()) {
                loaded += n.asLong();
            }
            assertThat(loaded).as(c[0] + " loaded tensors").isEqualTo(o.path("dtypes").path("stored").path(c[2]).asLong());
            assertThat(o.path("chat_template").path("source").asText()).isEqualTo("tokenizer_config.json, field chat_template");
            assertThat(o.path("chat_template").path("bos_in_template").asBoolean()).isFalse();
            assertThat(o.path("tokens").path("eos").path("text").asText()).isEqualTo("<|im_end|>");
            assertThat(o.path("tokens").path("eos").path("id").asLong()).isEqualTo(151_645L);
            assertThat(o.path("tokens").path("bos").isNull()).isTrue();
            assertThat(o.path("stop_ids").toString()).isEqualTo("[151645,151643]");
            // the vectors' vocabulary is 140: the Qwen3 tokenizer does not fit, and inspect says so
            assertThat(o.path("tokens").path("warning").asText()).contains("151669 ids but the model's vocab_size is");
            JsonNode g = o.path("generation_defaults");
            assertThat(g.path("sampling").asBoolean()).isTrue();
            assertThat(g.path("temperature").asDouble()).isEqualTo(0.6);
            assertThat(g.path("top_p").asDouble()).isEqualTo(0.95);
            assertThat(g.path("top_k").asInt()).isEqualTo(20);
        }
    }

    @Test
    void textIsOneLinePerFactAndDefaultsFallBackToConfigJson(@TempDir Path tmp) throws IOException {
        Path dir = hubDir(tmp.resolve("q"), "qwen3-a", null);
        KeelCliTest.Run r = run("lm", "inspect", "--model", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).anySatisfy(l -> assertThat(l).isEqualTo("architecture  qwen3"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("features      rope default").contains("q/k norm yes")
                .contains("head tied").contains("sliding window none"));
        assertThat(lines).anySatisfy(l -> assertThat(l).isEqualTo("parameters    53,104"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("weights       stored BF16 x24; loaded "));
        assertThat(lines).anySatisfy(l -> assertThat(l).isEqualTo("chat template tokenizer_config.json, field chat_template"));
        assertThat(lines).anySatisfy(l -> assertThat(l).isEqualTo("eos           <|im_end|> (id 151645)"));
        // no generation_config.json: config.json's eos ids, then the tokenizer's eos token; greedy
        assertThat(lines).anySatisfy(l -> assertThat(l).isEqualTo("stop ids      [2,3,151645]"));
        assertThat(lines).anySatisfy(l -> assertThat(l).isEqualTo("generation    greedy (from none)"));

        Files.delete(dir.resolve("tokenizer_config.json"));
        Files.delete(dir.resolve("tokenizer.json"));
        r = run("lm", "inspect", "--model", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("chat template none").contains("tokenizer     none");
        assertThat(run("lm", "inspect", "--model", tmp.resolve("missing").toString()).code()).isEqualTo(2);
        Files.writeString(dir.resolve("generation_config.json"), "{\"temperature\": \"hot\"}");
        r = run("lm", "inspect", "--model", dir.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("temperature").contains("hot");
    }
}
