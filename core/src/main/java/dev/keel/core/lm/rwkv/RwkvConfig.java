package dev.keel.core.lm.rwkv;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonFields;
import dev.keel.core.internal.Preconditions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The configuration of an RWKV-4 model as transformers' {@code RwkvConfig} writes it in {@code config.json}
 * ({@code "model_type": "rwkv"}). Every field is checked; a field Keel does not know is refused by name
 * (read with {@link #fromJson(Path)}, build with {@link #builder()}).
 *
 * <pre>{@code
 * RwkvConfig c = RwkvConfig.builder().vocabSize(1000).hiddenSize(128).numHiddenLayers(4)
 *         .intermediateSize(400).tieWordEmbeddings(true).build();
 * }</pre>
 *
 * @param vocabSize           {@code vocab_size}
 * @param hiddenSize          {@code hidden_size}, the width of the residual stream
 * @param attentionHiddenSize {@code attention_hidden_size} (transformers' default: {@code hidden_size}),
 *                            the width of the time-mixing keys, values and receptance
 * @param intermediateSize    {@code intermediate_size} (default {@code 4 * hidden_size}), the channel-mixing width
 * @param numHiddenLayers     {@code num_hidden_layers}
 * @param layerNormEpsilon    {@code layer_norm_epsilon} of the blocks' layer norms (the final {@code ln_out}
 *                            uses 1e-5, as transformers builds it)
 * @param contextLength       {@code context_length}, the length the model is meant for (the recurrence itself
 *                            has no limit; generation stops there)
 * @param rescaleEvery        {@code rescale_every}: at inference, the hidden state is halved after every
 *                            {@code rescaleEvery} blocks and block {@code i}'s output projections scaled by
 *                            {@code 2^-(i / rescaleEvery)}, as transformers does; 0 for none. Training
 *                            ({@code training = true}) computes without it, as transformers does.
 * @param tieWordEmbeddings   {@code tie_word_embeddings}: the head shares the embedding matrix
 * @param bosTokenId          {@code bos_token_id}, or -1
 * @param eosTokenId          {@code eos_token_id}, or -1
 */
public record RwkvConfig(int vocabSize, int hiddenSize, int attentionHiddenSize, int intermediateSize,
                         int numHiddenLayers, double layerNormEpsilon, int contextLength, int rescaleEvery,
                         boolean tieWordEmbeddings, int bosTokenId, int eosTokenId) {

    /** The {@code model_type} of RWKV-4 checkpoints. */
    public static final String MODEL_TYPE = "rwkv";

    /** Fields of {@code config.json} that do not change what the model computes and are accepted as they are. */
    private static final Set<String> IGNORED = Set.of("model_type", "architectures", "transformers_version",
            "torch_dtype", "dtype", "use_cache", "_name_or_path", "pad_token_id", "return_dict", "output_attentions",
            "output_hidden_states");

    /**
     * Checks every value.
     *
     * @param vocabSize           {@code vocab_size}, > 0
     * @param hiddenSize          {@code hidden_size}, > 0
     * @param attentionHiddenSize {@code attention_hidden_size}, > 0
     * @param intermediateSize    {@code intermediate_size}, > 0
     * @param numHiddenLayers     {@code num_hidden_layers}, > 0
     * @param layerNormEpsilon    {@code layer_norm_epsilon}, > 0
     * @param contextLength       {@code context_length}, > 0
     * @param rescaleEvery        {@code rescale_every}, >= 0
     * @param tieWordEmbeddings   {@code tie_word_embeddings}
     * @param bosTokenId          {@code bos_token_id} in [-1, vocab)
     * @param eosTokenId          {@code eos_token_id} in [-1, vocab)
     * @throws IllegalArgumentException naming the first value out of range
     */
    public RwkvConfig {
        Preconditions.checkPositive(vocabSize, "vocab_size");
        Preconditions.checkPositive(hiddenSize, "hidden_size");
        Preconditions.checkPositive(attentionHiddenSize, "attention_hidden_size");
        Preconditions.checkPositive(intermediateSize, "intermediate_size");
        Preconditions.checkPositive(numHiddenLayers, "num_hidden_layers");
        Preconditions.checkArgument(layerNormEpsilon > 0 && Double.isFinite(layerNormEpsilon),
                "layer_norm_epsilon must be > 0, was " + layerNormEpsilon);
        Preconditions.checkPositive(contextLength, "context_length");
        Preconditions.checkNonNegative(rescaleEvery, "rescale_every");
        Preconditions.checkArgument(bosTokenId >= -1 && bosTokenId < vocabSize,
                "bos_token_id must be in [-1, " + vocabSize + "), was " + bosTokenId);
        Preconditions.checkArgument(eosTokenId >= -1 && eosTokenId < vocabSize,
                "eos_token_id must be in [-1, " + vocabSize + "), was " + eosTokenId);
    }

    /**
     * A builder with transformers' defaults where it has them ({@code layer_norm_epsilon} 1e-5,
     * {@code context_length} 1024, {@code rescale_every} 0 here rather than transformers' 6, ids -1); vocabulary
     * size, hidden size and layers are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads {@code config.json} (or the {@code config.json} inside a directory).
     *
     * @param path a file, or the directory holding it
     * @return the configuration
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if {@code model_type} is not {@code rwkv}, a field is unknown, or a
     *                                  value is missing or out of range (the message names the file and field)
     */
    public static RwkvConfig fromJson(Path path) throws IOException {
        Preconditions.notNull(path, "path");
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no config.json");
        }
        JsonNode root = Json.readFile(file);
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a parsed {@code config.json}.
     *
     * @param root the JSON object
     * @return the configuration
     * @throws IllegalArgumentException if {@code model_type} is not {@code rwkv}, a field is unknown, or a
     *                                  value is missing or out of range
     */
    public static RwkvConfig fromJson(JsonNode root) {
        Preconditions.checkArgument(root != null && root.isObject(), "config must be a JSON object");
        String type = root.path("model_type").asText(null);
        Preconditions.checkArgument(MODEL_TYPE.equals(type), "model_type must be \"rwkv\", was "
                + root.get("model_type"));
        Set<String> known = Set.of("vocab_size", "hidden_size", "attention_hidden_size", "intermediate_size",
                "num_hidden_layers", "layer_norm_epsilon", "context_length", "rescale_every", "tie_word_embeddings",
                "bos_token_id", "eos_token_id");
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!known.contains(e.getKey()) && !IGNORED.contains(e.getKey())) {
                throw new IllegalArgumentException("field " + e.getKey() + " (" + e.getValue()
                        + ") is not supported for model_type rwkv");
            }
        }
        int hidden = integer(root, "hidden_size", null);
        return new RwkvConfig(
                integer(root, "vocab_size", null),
                hidden,
                integer(root, "attention_hidden_size", hidden),
                integer(root, "intermediate_size", 4 * hidden),
                integer(root, "num_hidden_layers", null),
                JsonFields.number(root, "layer_norm_epsilon", 1e-5),
                integer(root, "context_length", 1024),
                integer(root, "rescale_every", 6),
                JsonFields.bool(root, "tie_word_embeddings", false),
                tokenId(root, "bos_token_id", 0),
                tokenId(root, "eos_token_id", 0));
    }

    /** A size or count: an integer 0..2^31-1 (the constructor checks what each one needs). */
    private static int integer(JsonNode root, String field, Integer fallback) {
        return JsonFields.integer(root, field, 0, Integer.MAX_VALUE, fallback);
    }

    /** A token id, or -1 for none ({@code null}). */
    private static int tokenId(JsonNode root, String field, int fallback) {
        JsonNode n = root.get(field);
        if (n != null && n.isNull()) {
            return -1;
        }
        return JsonFields.integer(root, field, -1, Integer.MAX_VALUE, fallback);
    }

    /**
     * The configuration as transformers writes {@code config.json}.
     *
     * @return the JSON object
     */
    public ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.putArray("architectures").add("RwkvForCausalLM");
        o.put("model_type", MODEL_TYPE);
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("attention_hidden_size", attentionHiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("layer_norm_epsilon", layerNormEpsilon);
        o.put("context_length", contextLength);
        o.put("rescale_every", rescaleEvery);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        if (bosTokenId >= 0) {
            o.put("bos_token_id", bosTokenId);
        } else {
            o.putNull("bos_token_id");
        }
        if (eosTokenId >= 0) {
            o.put("eos_token_id", eosTokenId);
        } else {
            o.putNull("eos_token_id");
        }
        o.put("torch_dtype", "float32");
        o.put("use_cache", true);
        return o;
    }

    /**
     * The number of weights (a tied head counted once).
     *
     * @return the parameter count
     */
    public long parameterCount() {
        long h = hiddenSize;
        long a = attentionHiddenSize;
        long im = intermediateSize;
        long perBlock = 4 * h              // ln1, ln2
                + 2 * a + 3 * h            // time_decay, time_first, three time-mix vectors
                + 3 * a * h + h * a        // key, value, receptance, output
                + 2 * h                    // channel-mix time-mix vectors
                + im * h + h * h + h * im; // key, receptance, value
        long n = (long) vocabSize * h + 2 * h + numHiddenLayers * perBlock + 2 * h;
        return tieWordEmbeddings ? n : n + (long) vocabSize * h;
    }

    /**
     * The bytes of the recurrent state of one sequence in F32: five vectors per block (two token-shift
     * inputs of {@code hidden_size}, the wkv numerator, denominator and running maximum of
     * {@code attention_hidden_size}), whatever the context length.
     *
     * @return bytes per sequence
     */
    public long stateBytesPerSequence() {
        return 4L * numHiddenLayers * (2L * hiddenSize + 3L * attentionHiddenSize);
    }

    /** Builds an {@link RwkvConfig}; vocabulary size, hidden size and layers are required. */
    public static final class Builder {
        private Integer vocabSize;
        private Integer hiddenSize;
        private Integer attentionHiddenSize;
        private Integer intermediateSize;
        private Integer numHiddenLayers;
        private double layerNormEpsilon = 1e-5;
        private int contextLength = 1024;
        private int rescaleEvery;
        private boolean tieWordEmbeddings;
        private int bosTokenId = -1;
        private int eosTokenId = -1;

        private Builder() {
        }

        /**
         * Sets {@code vocab_size} (required).
         *
         * @param v the vocabulary size, > 0
         * @return this builder
         */
        public Builder vocabSize(int v) {
            this.vocabSize = Preconditions.checkPositive(v, "vocab_size");
            return this;
        }

        /**
         * Sets {@code hidden_size} (required).
         *
         * @param v the width, > 0
         * @return this builder
         */
        public Builder hiddenSize(int v) {
            this.hiddenSize = Preconditions.checkPositive(v, "hidden_size");
            return this;
        }

        /**
         * Sets {@code attention_hidden_size} (default: the hidden size).
         *
         * @param v the width, > 0
         * @return this builder
         */
        public Builder attentionHiddenSize(int v) {
            this.attentionHiddenSize = Preconditions.checkPositive(v, "attention_hidden_size");
            return this;
        }

        /**
         * Sets {@code intermediate_size} (default: 4 times the hidden size).
         *
         * @param v the width, > 0
         * @return this builder
         */
        public Builder intermediateSize(int v) {
            this.intermediateSize = Preconditions.checkPositive(v, "intermediate_size");
            return this;
        }

        /**
         * Sets {@code num_hidden_layers} (required).
         *
         * @param v the number of blocks, > 0
         * @return this builder
         */
        public Builder numHiddenLayers(int v) {
            this.numHiddenLayers = Preconditions.checkPositive(v, "num_hidden_layers");
            return this;
        }

        /**
         * Sets {@code layer_norm_epsilon} (default 1e-5).
         *
         * @param v the epsilon, > 0
         * @return this builder
         */
        public Builder layerNormEpsilon(double v) {
            Preconditions.checkArgument(v > 0 && Double.isFinite(v), "layer_norm_epsilon must be > 0, was " + v);
            this.layerNormEpsilon = v;
            return this;
        }

        /**
         * Sets {@code context_length} (default 1024).
         *
         * @param v the context length, > 0
         * @return this builder
         */
        public Builder contextLength(int v) {
            this.contextLength = Preconditions.checkPositive(v, "context_length");
            return this;
        }

        /**
         * Sets {@code rescale_every} (default 0, no rescaling).
         *
         * @param v blocks between halvings at inference, >= 0
         * @return this builder
         */
        public Builder rescaleEvery(int v) {
            this.rescaleEvery = Preconditions.checkNonNegative(v, "rescale_every");
            return this;
        }

        /**
         * Sets {@code tie_word_embeddings} (default false).
         *
         * @param v whether the head shares the embedding matrix
         * @return this builder
         */
        public Builder tieWordEmbeddings(boolean v) {
            this.tieWordEmbeddings = v;
            return this;
        }

        /**
         * Sets {@code bos_token_id} (default -1, none).
         *
         * @param v the id, or -1
         * @return this builder
         */
        public Builder bosTokenId(int v) {
            this.bosTokenId = v;
            return this;
        }

        /**
         * Sets {@code eos_token_id} (default -1, none).
         *
         * @param v the id, or -1
         * @return this builder
         */
        public Builder eosTokenId(int v) {
            this.eosTokenId = v;
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return the configuration
         * @throws IllegalStateException if a required value was not set
         * @throws IllegalArgumentException if a value is out of range
         */
        public RwkvConfig build() {
            Preconditions.checkState(vocabSize != null, "vocabSize is required");
            Preconditions.checkState(hiddenSize != null, "hiddenSize is required");
            Preconditions.checkState(numHiddenLayers != null, "numHiddenLayers is required");
            return new RwkvConfig(vocabSize, hiddenSize, attentionHiddenSize != null ? attentionHiddenSize : hiddenSize,
                    intermediateSize != null ? intermediateSize : 4 * hiddenSize, numHiddenLayers, layerNormEpsilon,
                    contextLength, rescaleEvery, tieWordEmbeddings, bosTokenId, eosTokenId);
        }
    }
}
