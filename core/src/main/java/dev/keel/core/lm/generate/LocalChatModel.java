package dev.keel.core.lm.generate;

import ai.djl.Device;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.chat.ChatModel;
import dev.keel.core.chat.ChatModelException;
import dev.keel.core.chat.ChatRequest;
import dev.keel.core.chat.ChatResponse;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.lora.LoraAdapter;

import java.io.IOException;
import java.nio.file.Path;
import dev.keel.core.chat.ChatMessage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A local {@link CausalLm} (a {@link LlamaModel} or an RWKV model) as a {@link ChatModel}: each conversation is rendered with a
 * {@link ChatTemplate}, tokenised (with a BOS token where the model wants one and the text does
 * not already begin with it), continued by a {@link Generator} and decoded; a reply ends at a stop
 * token, a stop string (the request's and the template's; not included) or its token limit.
 * {@link #generateAll} generates for up to {@link Builder#batchSize batchSize} requests at once
 * (prompts of similar length batched together, each with its own options, seed and stops).
 *
 * <p>{@link #fromDirectory} and {@link #loader} read a model directory as the Hub ships it (see
 * {@link Loader}): the directory's own Jinja chat template, its BOS and every end-of-sequence id,
 * and the defaults of {@code generation_config.json} for what a request does not set.
 *
 * <pre>{@code
 * try (ChatModel chat = LocalChatModel.fromDirectory(Path.of("Qwen3-0.6B"))) {
 *     String reply = chat.generate("What is 2 + 3?");
 * }
 * }</pre>
 */
public final class LocalChatModel implements ChatModel {

    /** How many requests {@link #generateAll} runs as one batch unless the builder says otherwise. */
    public static final int DEFAULT_BATCH_SIZE = 8;

    private final CausalLm model;
    private final LmTokenizer tokenizer;
    private final ChatTemplate template;
    private final Set<Long> stopTokenIds;
    private final boolean useCache;
    private final String id;
    private final long bosTokenId;
    private final GenerationDefaults defaults;
    private final int batchSize;
    private final List<AutoCloseable> owned;
    private boolean closed;

    private LocalChatModel(Builder b) {
        this.model = b.model;
        this.tokenizer = b.tokenizer;
        this.template = b.template;
        this.stopTokenIds = Collections.unmodifiableSet(new LinkedHashSet<>(b.stopTokenIds));
        this.useCache = b.useCache;
        this.id = b.id;
        this.bosTokenId = b.bosTokenId;
        this.defaults = b.defaults;
        this.batchSize = b.batchSize;
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
     * Starts loading a Hugging Face model directory as the Hub ships it; see {@link Loader}.
     *
     * @param modelDir the model directory (config.json, safetensors, tokenizer.json, and optionally
     *                 tokenizer_config.json, chat_template.jinja, generation_config.json)
     * @return a loader
     */
    public static Loader loader(Path modelDir) {
        return new Loader(modelDir);
    }

    /**
     * Loads a model directory on the CPU with everything it says: its own chat template (refused
     * where it has none), BOS, stop ids and generation defaults.
     *
     * @param modelDir the model directory
     * @return the chat model (the caller closes it)
     * @throws IOException              if a file cannot be read
     * @throws IllegalArgumentException if the directory has no chat template, or a file is not understood
     */
    public static LocalChatModel fromDirectory(Path modelDir) throws IOException {
        return loader(modelDir).load();
    }

    /**
     * Loads a Hugging Face model directory (config.json, safetensors, tokenizer.json) and, if
     * {@code adapterDir} is not null, a PEFT adapter; the chat model owns and closes them. The
     * directory's own chat template is used where it has one, else {@code template}; BOS, stop ids
     * and generation defaults come from the directory (see {@link Loader}).
     *
     * @param modelDir the model directory
     * @param adapterDir the adapter directory, or null
     * @param device the device
     * @param template the chat template for a directory without one of its own, or null to refuse such a directory
     * @return the chat model (the caller closes it)
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException if the directory has no template and {@code template} is null
     */
    public static LocalChatModel load(Path modelDir, Path adapterDir, Device device, ChatTemplate template)
            throws IOException {
        return loader(modelDir).adapter(adapterDir).device(device).fallbackTemplate(template).load();
    }

    /**
     * Loads a model directory the way the Hub ships it. By default:
     * <ul>
     *   <li><b>template</b>: the directory's Jinja template ({@code chat_template.jinja}, else
     *       {@code tokenizer_config.json}'s {@code chat_template}), else the {@link #fallbackTemplate},
     *       else the load is refused; {@link #template} replaces the directory's;</li>
     *   <li><b>BOS</b>: a Jinja template's text is tokenised as transformers' {@code apply_chat_template}
     *       does, without special tokens (the template writes the BOS itself where the model wants one);
     *       for a Java template the BOS the tokenizer would add with special tokens is prepended
     *       (per {@code add_bos_token}: false gives none, true gives {@code bos_token}), never twice;</li>
     *   <li><b>stop ids</b>: every {@code eos_token_id} of {@code generation_config.json} (else of
     *       {@code config.json}) and the id of {@code tokenizer_config.json}'s {@code eos_token};
     *       {@link #stopTokenIds} replaces them;</li>
     *   <li><b>generation defaults</b>: {@link GenerationDefaults#from} the directory, for what a
     *       request does not set.</li>
     * </ul>
     */
    public static final class Loader {
        private final Path modelDir;
        private Path adapterDir;
        private Device device = Device.cpu();
        private ChatTemplate template;
        private ChatTemplate fallbackTemplate;
        private Set<Long> stopTokenIds;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private boolean useCache = true;

        private Loader(Path modelDir) {
            this.modelDir = Preconditions.notNull(modelDir, "modelDir");
        }

        /**
         * A PEFT adapter to load on top of the model.
         *
         * @param adapterDir the adapter directory, or null for none
         * @return this loader
         */
        public Loader adapter(Path adapterDir) {
            this.adapterDir = adapterDir;
            return this;
        }

        /**
         * The device; default the CPU.
         *
         * @param device the device
         * @return this loader
         */
        public Loader device(Device device) {
            this.device = Preconditions.notNull(device, "device");
            return this;
        }

        /**
         * A template to use instead of the directory's own.
         *
         * @param template the template, or null to use the directory's
         * @return this loader
         */
        public Loader template(ChatTemplate template) {
            this.template = template;
            return this;
        }

        /**
         * The template for a directory that has none of its own.
         *
         * @param template the template, or null to refuse such a directory
         * @return this loader
         */
        public Loader fallbackTemplate(ChatTemplate template) {
            this.fallbackTemplate = template;
            return this;
        }

        /**
         * Stop ids to use instead of the directory's.
         *
         * @param ids the token ids, or null for the directory's
         * @return this loader
         */
        public Loader stopTokenIds(Set<Long> ids) {
            this.stopTokenIds = ids == null ? null : new LinkedHashSet<>(Preconditions.noNulls(ids, "stopTokenIds"));
            return this;
        }

        /**
         * How many requests generate together; default {@value #DEFAULT_BATCH_SIZE}.
         *
         * @param batchSize {@code > 0}
         * @return this loader
         * @throws IllegalArgumentException if {@code batchSize <= 0}
         */
        public Loader batchSize(int batchSize) {
            this.batchSize = Preconditions.checkPositive(batchSize, "batchSize");
            return this;
        }

        /**
         * Whether to use the KV cache (default true; without it requests run one at a time).
         *
         * @param useCache whether to use the KV cache
         * @return this loader
         */
        public Loader useCache(boolean useCache) {
            this.useCache = useCache;
            return this;
        }

        /**
         * Loads the model, tokenizer and (if set) adapter; the chat model owns and closes them.
         *
         * @return the chat model (the caller closes it)
         * @throws IOException              if a file cannot be read
         * @throws IllegalArgumentException if no template can be used, or a file is not understood
         */
        public LocalChatModel load() throws IOException {
            HubModelFiles files = HubModelFiles.read(modelDir);
            ChatTemplate chosen = template;
            if (chosen == null && files.chatTemplate().isPresent()) {
                chosen = JinjaChatTemplate.of(files);
            }
            if (chosen == null) {
                chosen = fallbackTemplate;
            }
            if (chosen == null) {
                throw new IllegalArgumentException("model directory " + modelDir + " has no chat template (neither "
                        + HubModelFiles.CHAT_TEMPLATE_FILE + " nor a chat_template in " + HubModelFiles.TOKENIZER_CONFIG
                        + ") and no template was given");
            }
            List<AutoCloseable> opened = new ArrayList<>();
            boolean ok = false;
            try {
                CausalLm model = CausalLm.load(modelDir, device);
                opened.add(0, model);
                if (adapterDir != null) {
                    opened.add(0, LoraAdapter.load(model, adapterDir));
                }
                LmTokenizer tok = LmTokenizer.load(modelDir);
                opened.add(0, tok);
                Builder b = builder().model(model).tokenizer(tok).template(chosen).useCache(useCache)
                        .batchSize(batchSize).generationDefaults(GenerationDefaults.from(files))
                        .stopTokenIds(stopTokenIds != null ? stopTokenIds : stopIds(files, tok, model))
                        .id(modelDir.getFileName() + (adapterDir != null ? "+" + adapterDir.getFileName() : ""));
                long bos = chosen instanceof JinjaChatTemplate ? -1 : bosFor(files, tok);
                if (bos >= 0) {
                    b.bosTokenId(bos);
                }
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
    }

    /**
     * The stop ids a model directory gives: every {@code eos_token_id} of {@code generation_config.json}
     * (else of {@code config.json}, else the loaded config's), then the id of {@code tokenizer_config.json}'s
     * {@code eos_token}.
     *
     * @param files     what the directory says
     * @param tokenizer the directory's tokenizer
     * @param model     the loaded model, or null (then only the files are read)
     * @return the ids in that order, without repeats
     * @throws IllegalArgumentException if {@code eos_token} is not one token of the tokenizer
     */
    public static Set<Long> stopIds(HubModelFiles files, LmTokenizer tokenizer, CausalLm model) {
        Preconditions.notNull(files, "files");
        Preconditions.notNull(tokenizer, "tokenizer");
        Set<Long> ids = new LinkedHashSet<>(files.eosTokenIds());
        if (ids.isEmpty()) {
            ids.addAll(files.configEosTokenIds());
        }
        if (ids.isEmpty() && model != null && model.eosTokenId() >= 0) {
            ids.add((long) model.eosTokenId());
        }
        if (files.eosToken().isPresent()) {
            String eos = files.eosToken().get();
            ids.add(tokenizer.tokenId(eos).orElseThrow(() -> new IllegalArgumentException(files.directory().resolve(
                    HubModelFiles.TOKENIZER_CONFIG) + ": eos_token " + eos + " is not one token of " + tokenizer)));
        }
        return ids;
    }

    /**
     * The BOS id to prepend to text rendered by a Java template: none where {@code add_bos_token} is
     * false; the tokenizer's own where encoding with special tokens prepends one; {@code bos_token}'s
     * where {@code add_bos_token} is true.
     *
     * @param files     what the directory says
     * @param tokenizer the directory's tokenizer
     * @return the id, or -1 for none
     * @throws IllegalArgumentException if {@code add_bos_token} is true and there is no BOS token
     */
    public static long bosFor(HubModelFiles files, LmTokenizer tokenizer) {
        Preconditions.notNull(files, "files");
        Preconditions.notNull(tokenizer, "tokenizer");
        if (files.addBosToken().isPresent() && !files.addBosToken().get()) {
            return -1;
        }
        java.util.OptionalLong own = tokenizer.prependedSpecialToken();
        if (own.isPresent()) {
            return own.getAsLong();
        }
        if (files.addBosToken().orElse(false)) {
            String bos = files.bosToken().orElseThrow(() -> new IllegalArgumentException(files.directory().resolve(
                    HubModelFiles.TOKENIZER_CONFIG) + ": add_bos_token is true but bos_token is not set"));
            return tokenizer.tokenId(bos).orElseThrow(() -> new IllegalArgumentException(files.directory().resolve(
                    HubModelFiles.TOKENIZER_CONFIG) + ": bos_token " + bos + " is not one token of " + tokenizer));
        }
        return -1;
    }

    /**
     * Generates a reply for each request, up to {@link Builder#batchSize} at a time (requests sorted
     * by prompt length so that a batch pads little); a request that fails (its conversation does not
     * fit the template, its prompt is too long) gets a failed response, the others are still answered.
     *
     * @param requests the requests
     * @return one response per request, in order
     */
    @Override
    public synchronized List<ChatResponse> generateAll(List<ChatRequest> requests) {
        Preconditions.noNulls(requests, "requests");
        Preconditions.checkState(!closed, "LocalChatModel is closed");
        int n = requests.size();
        ChatResponse[] out = new ChatResponse[n];
        Pending[] pending = new Pending[n];
        List<Integer> ready = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try {
                pending[i] = prepare(requests.get(i));
                ready.add(i);
            } catch (RuntimeException e) {
                out[i] = failed(e);
            }
        }
        ready.sort(java.util.Comparator.comparingInt(i -> pending[i].request.prompt().length));
        Generator generator = new Generator(model);
        for (int from = 0; from < ready.size(); from += batchSize) {
            List<Integer> chunk = ready.subList(from, Math.min(ready.size(), from + batchSize));
            try {
                List<GenerationResult> results;
                if (useCache) {
                    List<Generator.Request> batch = new ArrayList<>(chunk.size());
                    for (int i : chunk) {
                        batch.add(pending[i].request);
                    }
                    results = generator.generateBatch(batch);
                } else {
                    results = new ArrayList<>();
                    for (int i : chunk) {
                        Generator.Request r = pending[i].request;
                        results.add(generator.generate(r.prompt(), r.options(), r.stopTokenIds(), false, r.topK(),
                                r.callback()));
                    }
                }
                for (int k = 0; k < chunk.size(); k++) {
                    int i = chunk.get(k);
                    out[i] = ChatResponse.ok(pending[i].reply(results.get(k)));
                }
            } catch (RuntimeException e) {
                for (int i : chunk) {
                    out[i] = failed(e);
                }
            }
        }
        return List.of(out);
    }

    private static ChatResponse failed(RuntimeException e) {
        return ChatResponse.failed(new ChatModelException(ChatModelException.Kind.OTHER,
                "local generation failed: " + e.getMessage(), e));
    }

    /**
     * The token ids this model reads for a conversation: the rendered text tokenised, with the BOS
     * prepended where {@link Builder#bosTokenId} is set and the text does not begin with it.
     *
     * @param messages            the conversation
     * @param addGenerationPrompt whether to end with the opening of the assistant's reply
     * @return the prompt's token ids
     * @throws IllegalArgumentException if the conversation does not fit the template
     */
    public long[] promptIds(List<ChatMessage> messages, boolean addGenerationPrompt) {
        Preconditions.checkState(!closed, "LocalChatModel is closed");
        long[] ids = tokenizer.encode(template.render(messages, addGenerationPrompt));
        if (bosTokenId >= 0 && (ids.length == 0 || ids[0] != bosTokenId)) {
            long[] with = new long[ids.length + 1];
            with[0] = bosTokenId;
            System.arraycopy(ids, 0, with, 1, ids.length);
            ids = with;
        }
        return ids;
    }

    private Pending prepare(ChatRequest request) {
        long[] ids = promptIds(request.messages(), true);
        GenerationOptions options = defaults.resolve(request.options(), ids.length);
        List<String> stops = new ArrayList<>(options.stop());
        stops.addAll(template.stopStrings());
        Pending p = new Pending();
        Generator.TokenCallback callback = stops.isEmpty() ? null : generated -> {
            String s = tokenizer.decode(generated);
            int at = firstStop(s, stops);
            if (at >= 0) {
                p.cutText = s.substring(0, at);
                return false;
            }
            return true;
        };
        p.request = new Generator.Request(ids, options, stopTokenIds, defaults.samples() || options.temperature() > 0
                ? defaults.topK() : 0, callback);
        return p;
    }

    /** A request ready to generate, and where its stop-string callback cut the text. */
    private final class Pending {
        Generator.Request request;
        String cutText;

        String reply(GenerationResult r) {
            String text = cutText != null ? cutText : tokenizer.decode(r.tokens());
            return text.strip();
        }
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

    /**
     * The tokens that end a reply.
     *
     * @return the stop ids, in the order they were found
     */
    public Set<Long> stopTokenIds() {
        return stopTokenIds;
    }

    /**
     * The BOS id prepended to a prompt that does not begin with it.
     *
     * @return the id, or empty for none
     */
    public java.util.OptionalLong bosTokenId() {
        return bosTokenId >= 0 ? java.util.OptionalLong.of(bosTokenId) : java.util.OptionalLong.empty();
    }

    /**
     * The defaults for what a request does not set.
     *
     * @return the generation defaults
     */
    public GenerationDefaults generationDefaults() {
        return defaults;
    }

    /**
     * How many requests generate together.
     *
     * @return the batch size
     */
    public int batchSize() {
        return batchSize;
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
        private CausalLm model;
        private LmTokenizer tokenizer;
        private ChatTemplate template = ChatTemplate.plain();
        private Set<Long> stopTokenIds;
        private boolean useCache = true;
        private String id = "local";
        private long bosTokenId = -1;
        private GenerationDefaults defaults = GenerationDefaults.NONE;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private final List<AutoCloseable> owned = new ArrayList<>();

        private Builder() {
        }

        /**
         * Sets the model.
         *
         * @param model the model
         * @return this builder
         */
        public Builder model(CausalLm model) {
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
         * A BOS token to prepend to every prompt that does not already begin with it; default none.
         *
         * @param id the token id, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code id < 0}
         */
        public Builder bosTokenId(long id) {
            Preconditions.checkArgument(id >= 0, "bosTokenId must be >= 0, was " + id);
            this.bosTokenId = id;
            return this;
        }

        /**
         * Defaults for what a request does not set; default {@link GenerationDefaults#NONE}.
         *
         * @param defaults the defaults
         * @return this builder
         */
        public Builder generationDefaults(GenerationDefaults defaults) {
            this.defaults = Preconditions.notNull(defaults, "defaults");
            return this;
        }

        /**
         * How many requests {@link LocalChatModel#generateAll} generates together; default
         * {@value LocalChatModel#DEFAULT_BATCH_SIZE} (1 generates one request at a time).
         *
         * @param batchSize {@code > 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code batchSize <= 0}
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = Preconditions.checkPositive(batchSize, "batchSize");
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
            tokenizer.checkCompatible(model.vocabSize());
            Preconditions.checkArgument(bosTokenId < model.vocabSize(), "bosTokenId " + bosTokenId
                    + " is outside the model's vocabulary of " + model.vocabSize());
            if (stopTokenIds == null) {
                stopTokenIds = model.eosTokenId() >= 0 ? Set.of((long) model.eosTokenId()) : Set.of();
            }
            return new LocalChatModel(this);
        }
    }
}
