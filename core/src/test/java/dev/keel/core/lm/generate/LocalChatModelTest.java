package dev.keel.core.lm.generate;

import dev.keel.core.testkit.TinyFixtures;
import ai.djl.Device;
import dev.keel.core.chat.ChatMessage;
import dev.keel.core.chat.ChatModel;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.LlamaModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalChatModelTest {

    static Path tokenizer(String name) {
        try {
            return Path.of(LocalChatModelTest.class.getResource("/tokenizers/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The test checkpoint plus a word-level tokenizer.json of 97 tokens, in one model directory. */
    static Path modelDir(Path dir, String tokenizerName) throws IOException {
        for (String f : new String[] {"config.json", "model.safetensors", "adapter_config.json", "adapter_model.safetensors"}) {
            Files.copy(TinyFixtures.vectorsDir().resolve(f), dir.resolve(f));
        }
        Files.copy(tokenizer(tokenizerName), dir.resolve("tokenizer.json"));
        return dir;
    }

    @Test
    void templatesRenderConversations() {
        List<ChatMessage> conv = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"),
                ChatMessage.assistant("Hello."), ChatMessage.user("Bye"));
        assertThat(ChatTemplate.llama2().render(conv, true)).isEqualTo(
                "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Bye [/INST]");
        assertThat(ChatTemplate.plain().render(conv, true)).isEqualTo(
                "System: Be brief.\nUser: Hi\nAssistant: Hello.\nUser: Bye\nAssistant:");
        assertThatThrownBy(() -> ChatTemplate.llama2().render(List.of(ChatMessage.assistant("x")), true))
                .hasMessageContaining("message 0 is assistant where user was expected");
    }

    @Test
    void tokenizerRoundTripsAndChecksTheVocabulary() throws IOException {
        try (LmTokenizer t = LmTokenizer.load(tokenizer("tiny-word-97.json"))) {
            assertThat(t.vocabSize()).isEqualTo(97);
            long[] ids = t.encode("<s>[INST] the water is of [/INST]");
            assertThat(ids[0]).isEqualTo(1);
            assertThat(t.decode(ids)).isEqualTo("[INST] the water is of [/INST]");
            String longText = "the ".repeat(2000);
            assertThat(t.encode(longText)).hasSize(2000);
            t.checkCompatible(97);
            t.close();
            t.close();
            assertThatThrownBy(() -> t.encode("x")).isInstanceOf(IllegalStateException.class);
        }
        try (LmTokenizer big = LmTokenizer.load(tokenizer("tiny-word-99.json"))) {
            assertThatThrownBy(() -> big.checkCompatible(97))
                    .hasMessageContaining("has 99 token ids but the model's embedding has vocab_size 97");
        }
    }

    @Test
    void aLocalModelIsAChatModel(@TempDir Path dir) throws IOException {
        Path m = modelDir(dir, "tiny-word-97.json");
        try (ChatModel chat = LocalChatModel.load(m, null, Device.cpu(), ChatTemplate.llama2());
             LlamaModel model = LlamaModel.load(m, Device.cpu());
             LmTokenizer tok = LmTokenizer.load(m);
             LocalChatModel uncached = LocalChatModel.builder().model(model).tokenizer(tok)
                     .template(ChatTemplate.llama2()).useCache(false).build()) {
            GenerationOptions o = GenerationOptions.builder().maxTokens(12).build();
            ChatRequest req = new ChatRequest(List.of(ChatMessage.user("what is the water")), o);
            String reply = chat.generate(req);
            assertThat(reply).isNotBlank();
            assertThat(reply.split(" ").length).isLessThanOrEqualTo(12);
            assertThat(uncached.generate(req)).isEqualTo(reply);
            // a stop string cuts the reply before it
            String[] words = reply.split(" ");
            if (words.length > 2) {
                String cut = chat.generate(new ChatRequest(req.messages(),
                        o.toBuilder().stop(List.of(" " + words[2])).build()));
                assertThat(reply).startsWith(cut);
                assertThat(cut.split(" ").length).isLessThanOrEqualTo(2);
            }
            List<ChatResponse> all = chat.generateAll(List.of(req, ChatRequest.of(List.of(ChatMessage.assistant("x")))));
            assertThat(all.get(0).text()).isEqualTo(reply);
            assertThat(all.get(1).isOk()).isFalse();
            assertThat(all.get(1).error().getMessage()).contains("alternate");
            assertThat(chat.id()).isEqualTo(m.getFileName().toString());
        }
        try (ChatModel withAdapter = LocalChatModel.load(m, m, Device.cpu(), ChatTemplate.plain())) {
            assertThat(withAdapter.generate("the water")).isNotNull();
        }
    }

    @Test
    void aTokenizerLargerThanTheEmbeddingIsAClearError(@TempDir Path dir) throws IOException {
        Path m = modelDir(dir, "tiny-word-99.json");
        assertThatThrownBy(() -> LocalChatModel.load(m, null, Device.cpu(), ChatTemplate.plain()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("99 token ids").hasMessageContaining("vocab_size 97");
    }
}
