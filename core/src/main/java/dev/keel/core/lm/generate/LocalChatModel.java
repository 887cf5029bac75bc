package dev.keel.core.lm.generate;

import ai.djl.Device;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatModel;
import dev.keel.core.chat.ChatModelException;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A local {@link LlamaModel} as a {@link ChatModel}: the conversation is rendered with a
 * {@link ChatTemplate}, tokenised, continued by a {@link Generator} and decoded; the reply ends at a
 * stop token (the model's {@code eos_token_id} by default), a stop string (the request's and the
 * template's; not included) or {@code maxTokens}. Requests run one after another.
 *
 * <pre>{@code
 * try (ChatModel chat = LocalChatModel.load(Path.of("keel-tiny"), null, Device.cpu(), ChatTemplate.plain())) {
 *     String reply = chat.generate("What is 2 + 3?");
 * }
 * }</pre>
 */
public final class LocalChatModel implements ChatModel {

    private final LlamaModel model;
    private final LmTokenizer tokenizer;
    private final ChatTemplate template;
    private final Set<Long> stopTokenIds;
    private final boolean useCache;
    private final String id;
    private final List<AutoCloseable> owned;
    private boolean closed;

    private LocalChatModel(Builder b) {
        this.model = b.model;
        this.tokenizer = b.tokenizer;
        this.template = b.template;
        this.stopTokenIds = Set.copyOf(b.stopTokenIds);
        this.useCache = b.useCache;
        this.id = b.id;
        this.owned = List.copyOf(b.owned);
    }

    /**
     * Starts a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Loads a Hugging Face model directory (config.json, safetensors, tokenizer.json) and, if
     * {@code adapterDir} is not null, a PEFT adapter; the chat model owns and closes them.
     *
     * @param modelDir the model directory
     * @param adapterDir the adapter directory
     * @param device the device
     * @param template the chat template
     * @return the chat model (the caller closes it)
     * @throws IOException if a file cannot be read or written
     */
    public static LocalChatModel load(Path modelDir, Path adapterDir, Device device, ChatTemplate template)
            throws IOException {
        Preconditions.notNull(modelDir, "modelDir");
        List<AutoCloseable> opened = new ArrayList<>();
        boolean ok = false;
        try {
            LlamaModel model = LlamaModel.load(modelDir, device);
            opened.add(0, model);
            if (adapterDir != null) {
                opened.add(0, LoraAdapter.load(model, adapterDir));
            }
            LmTokenizer tok = LmTokenizer.load(modelDir);
            opened.add(0, tok);
            Builder b = builder().model(model).tokenizer(tok).template(template)
                    .id(modelDir.getFileName() + (adapterDir != null ? "+" + adapterDir.getFileName() : ""));
            b.owned.addAll(opened);
            LocalChatModel m = b.build();
            ok = true;
            return m;
        } finally {
            if (!ok) {
                for (AutoCloseable c : opened) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        // keep the original failure
                    }
                }
            }
        }
    }

    @Override
    public synchronized List<ChatResponse> generateAll(List<ChatRequest> requests) {
        Preconditions.noNulls(requests, "requests");
        Preconditions.checkState(!closed, "LocalChatModel is closed");
        List<ChatResponse> out = new ArrayList<>(requests.size());
        for (ChatRequest r : requests) {
            try {
                out.add(ChatResponse.ok(reply(r)));
            } catch (RuntimeException e) {
                out.add(ChatResponse.failed(new ChatModelException(ChatModelException.Kind.OTHER,
                        "local generation failed: " + e.getMessage(), e)));
            }
        }
        return out;
    }

    private String reply(ChatRequest request) {
        String prompt = template.render(request.messages(), true);
        long[] ids = tokenizer.encode(prompt);
        GenerationOptions options = request.options();
        List<String> stops = new ArrayList<>(options.stop());
        stops.addAll(template.stopStrings());
        String[] text = {""};
        boolean[] cut = {false};
        GenerationResult r = new Generator(model).generate(ids, options, stopTokenIds, useCache, generated -> {
            String s = tokenizer.decode(generated);
            int at = firstStop(s, stops);
            if (at >= 0) {
                text[0] = s.substring(0, at);
                cut[0] = true;
                return false;
            }
            return true;
        });
        String reply = cut[0] ? text[0] : tokenizer.decode(r.tokens());
        return reply.strip();
    }

    private static int firstStop(String s, List<String> stops) {
        int best = -1;
        for (String stop : stops) {
            int i = s.indexOf(stop);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public String id() {
        return id;
    }

    /**
     * The template.
     *
     * @return the template
     */
    public ChatTemplate template() {
        return template;
    }

    /** Closes what {@link #load} opened (nothing for a model built from parts); idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing " + c + " failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Builds a {@link LocalChatModel} over a model and tokenizer that the caller keeps and closes. */
    public static final class Builder {
        private LlamaModel model;
        private LmTokenizer tokenizer;
        private ChatTemplate template = ChatTemplate.plain();
        private Set<Long> stopTokenIds;
        private boolean useCache = true;
        private String id = "local";
        private final List<AutoCloseable> owned = new ArrayList<>();

        private Builder() {
        }

        /**
         * Sets the model.
         *
         * @param model the model
         * @return this builder
         */
        public Builder model(LlamaModel model) {
            this.model = Preconditions.notNull(model, "model");
            return this;
        }

        /**
         * Sets the tokenizer.
         *
         * @param tokenizer the tokenizer
         * @return this builder
         */
        public Builder tokenizer(LmTokenizer tokenizer) {
            this.tokenizer = Preconditions.notNull(tokenizer, "tokenizer");
            return this;
        }

        /**
         * Sets the template.
         *
         * @param template the chat template
         * @return this builder
         */
        public Builder template(ChatTemplate template) {
            this.template = template == null ? ChatTemplate.plain() : template;
            return this;
        }

        /**
         * Tokens that end a reply; default: the model's {@code eos_token_id}, if any.
         *
         * @param ids the token ids
         * @return this builder
         */
        public Builder stopTokenIds(Set<Long> ids) {
            this.stopTokenIds = new LinkedHashSet<>(Preconditions.noNulls(ids, "stopTokenIds"));
            return this;
        }

        /**
         * Sets the use cache.
         *
         * @param useCache whether to use the KV cache
         * @return this builder
         */
        public Builder useCache(boolean useCache) {
            this.useCache = useCache;
            return this;
        }

        /**
         * Sets the id.
         *
         * @param id the id recorded with each response
         * @return this builder
         */
        public Builder id(String id) {
            this.id = Preconditions.notBlank(id, "id");
            return this;
        }

        /**
         * Builds the value, checking the settings together.
         *
         * @return the immutable result
         */
        public LocalChatModel build() {
            Preconditions.checkState(model != null, "model must be set");
            Preconditions.checkState(tokenizer != null, "tokenizer must be set");
            tokenizer.checkCompatible(model.config().vocabSize());
            if (stopTokenIds == null) {
                stopTokenIds = model.config().eosTokenId() >= 0 ? Set.of((long) model.config().eosTokenId()) : Set.of();
            }
            return new LocalChatModel(this);
        }
    }
}
