package dev.keel.examples.search;

import ai.djl.Device;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.generate.LmTokenizer;
import dev.keel.core.lm.generate.LocalChatModel;
import dev.keel.core.lm.search.LmStepModel;
import dev.keel.examples.tiny.TinyChatTemplate;
import dev.keel.examples.tiny.TinyModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A model directory ready for search: the language model (any architecture {@link CausalLm#load} reads), its tokenizer, its chat template (the
 * directory's own, else keel-tiny's) for prompt ids, and the stop tokens (end of sequence and every
 * stop string of the template that is one token). The caller closes it.
 */
public final class SearchSetup implements AutoCloseable {

    private final Path dir;
    private final CausalLm model;
    private final LmTokenizer tokenizer;
    private final LocalChatModel chat;
    private final LmStepModel steps;
    private final Set<Long> stops;

    private SearchSetup(Path dir, CausalLm model, LmTokenizer tokenizer, LocalChatModel chat) {
        this.dir = dir;
        this.model = model;
        this.tokenizer = tokenizer;
        this.chat = chat;
        this.steps = new LmStepModel(model);
        Set<Long> s = new LinkedHashSet<>(chat.stopTokenIds());
        for (String stop : chat.template().stopStrings()) {
            OptionalLong id = tokenizer.tokenId(stop);
            id.ifPresent(s::add);
        }
        this.stops = Set.copyOf(s);
    }

    /**
     * Opens {@code dir} ({@code null} for the bundled keel-tiny) on the CPU.
     *
     * @param dir a Hugging Face model directory, or null
     * @return the setup
     * @throws IOException if the directory cannot be read
     */
    public static SearchSetup open(Path dir) throws IOException {
        Path d = dir == null ? TinyModel.path() : dir;
        CausalLm model = CausalLm.load(d, Device.cpu());
        LmTokenizer tok = null;
        LocalChatModel chat = null;
        try {
            tok = LmTokenizer.load(d.resolve("tokenizer.json"));
            chat = LocalChatModel.loader(d).fallbackTemplate(TinyChatTemplate.instance()).load();
            return new SearchSetup(d, model, tok, chat);
        } catch (IOException | RuntimeException e) {
            if (chat != null) {
                chat.close();
            }
            if (tok != null) {
                tok.close();
            }
            model.close();
            throw e;
        }
    }

    /**
     * The prompt ids of a one-turn user message, with the opening of the assistant's reply.
     *
     * @param userText the user's message
     * @return the token ids
     */
    public long[] prompt(String userText) {
        Preconditions.notNull(userText, "userText");
        return chat.promptIds(ChatRequest.ofUser(userText).messages(), true);
    }

    /**
     * Token ids to text (special tokens dropped).
     *
     * @param ids the ids
     * @return the text
     */
    public String decode(long[] ids) {
        return tokenizer.decode(ids);
    }

    /**
     * The step model over the decoder.
     *
     * @return the step model
     */
    public LmStepModel steps() {
        return steps;
    }

    /**
     * The language model.
     *
     * @return the model
     */
    public CausalLm model() {
        return model;
    }

    /**
     * The tokenizer.
     *
     * @return the tokenizer
     */
    public LmTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The chat model over the same directory (its own copy of the weights), for greedy evaluation.
     *
     * @return the chat model
     */
    public LocalChatModel chat() {
        return chat;
    }

    /**
     * The stop tokens.
     *
     * @return the ids that end a reply
     */
    public Set<Long> stops() {
        return stops;
    }

    /**
     * The model directory.
     *
     * @return the directory
     */
    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        steps.close();
        chat.close();
        tokenizer.close();
        model.close();
    }
}
