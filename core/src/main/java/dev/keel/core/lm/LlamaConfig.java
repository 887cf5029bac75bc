package dev.keel.core.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.JsonFields;
import dev.keel.core.internal.JsonLines;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The architecture of a Llama-family decoder, as in a Hugging Face {@code config.json}. Immutable;
 * read one with {@link #fromJson(Path)} or build one with {@link #builder()}. Every value is checked
 * and errors name it: {@code "num_attention_heads (6) must divide hidden_size (50)"}.
 *
 * <pre>{@code
 * LlamaConfig c = LlamaConfig.builder().vocabSize(256).hiddenSize(64).intermediateSize(128)
 *         .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).build();
 * }</pre>
 *
 * @param vocabSize              {@code vocab_size}
 * @param hiddenSize             {@code hidden_size}
 * @param intermediateSize       {@code intermediate_size} (the MLP's inner width)
 * @param numHiddenLayers        {@code num_hidden_layers}
 * @param numAttentionHeads      {@code num_attention_heads}
 * @param numKeyValueHeads       {@code num_key_value_heads} (grouped-query attention; equal to the heads for MHA)
 * @param headDim                {@code head_dim} (defaults to hidden_size / num_attention_heads)
 * @param rmsNormEps             {@code rms_norm_eps}
 * @param ropeTheta              {@code rope_theta}
 * @param tieWordEmbeddings      {@code tie_word_embeddings}: the output head shares the embedding matrix
 * @param maxPositionEmbeddings  {@code max_position_embeddings}
 * @param bosTokenId             {@code bos_token_id}, or -1
 * @param eosTokenId             {@code eos_token_id} (the first, if a list), or -1
 * @param modelType              {@code model_type}: {@code llama}, {@code mistral}, {@code qwen2} or {@code qwen3}
 *                               ({@code keel-tiny} is a Llama)
 * @param attentionBias          whether the q, k and v projections add a bias (always for Qwen2;
 *                               {@code attention_bias} for Llama and Qwen3)
 * @param outputBias             whether the attention output projection {@code o_proj} adds a bias
 *                               ({@code attention_bias} for Llama and Qwen3; never for Qwen2)
 * @param mlpBias                whether the MLP projections add a bias ({@code mlp_bias}, Llama)
 * @param qkNorm                 whether each head of q and k is RMS-normalised before the rotary
 *                               embedding ({@code q_norm}/{@code k_norm}, Qwen3)
 * @param slidingWindow          {@code sliding_window}: in a sliding layer a query at position i sees keys j
 *                               with {@code 0 <= i - j < slidingWindow}; 0 for none
 * @param ropeScaling            {@code rope_scaling} (or {@code rope_parameters}); {@link RopeScaling#NONE} for none
 * @param layerTypes             each layer's attention, {@code full_attention} or {@code sliding_attention}
 *                               ({@code layer_types}; Mistral: every layer sliding when it has a window;
 *                               Qwen2/Qwen3: with {@code use_sliding_window}, layers from
 *                               {@code max_window_layers} on, or the explicit {@code layer_types}); {@code null}
 *                               for every layer sliding when {@code slidingWindow > 0}, else full
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
                          int numAttentionHeads, int numKeyValueHeads, int headDim, double rmsNormEps,
                          double ropeTheta, boolean tieWordEmbeddings, int maxPositionEmbeddings,
                          int bosTokenId, int eosTokenId, String modelType, boolean attentionBias,
                          boolean outputBias, boolean mlpBias, boolean qkNorm, int slidingWindow,
                          RopeScaling ropeScaling, List<String> layerTypes) {

    /** A layer with full causal attention, as {@code layer_types} names it. */
    public static final String FULL_ATTENTION = "full_attention";

    /** A layer with sliding-window attention, as {@code layer_types} names it. */
    public static final String SLIDING_ATTENTION = "sliding_attention";

    /** The {@code model_type}s this decoder computes exactly. */
    public static final List<String> MODEL_TYPES = List.of("llama", "mistral", "qwen2", "qwen3",
            "keel-tiny");

    /**
     * The llama config.
     *
     * @param vocabSize the vocab size
     * @param hiddenSize the hidden size
     * @param intermediateSize the intermediate size
     * @param numHiddenLayers the num hidden layers
     * @param numAttentionHeads the num attention heads
     * @param numKeyValueHeads the num key value heads
     * @param headDim the head dim
     * @param rmsNormEps the rms norm eps
     * @param ropeTheta the rope theta
     * @param tieWordEmbeddings the tie word embeddings
     * @param maxPositionEmbeddings the max position embeddings
     * @param bosTokenId the bos token id
     * @param eosTokenId the end-of-sequence token id, or -1 for none
     * @param modelType the model type, one of {@link #MODEL_TYPES}
     * @param attentionBias whether q, k and v projections have a bias
     * @param outputBias whether the attention output projection has a bias
     * @param mlpBias whether the MLP projections have a bias
     * @param qkNorm whether q and k heads are RMS-normalised before the rotary embedding
     * @param slidingWindow the attention window, or 0 for none
     * @param ropeScaling the rotary scaling, {@link RopeScaling#NONE} for none
     * @param layerTypes each layer's attention ({@link #FULL_ATTENTION} or {@link #SLIDING_ATTENTION}), or
     *                   {@code null} for every layer sliding when {@code slidingWindow > 0}, else full
     * @throws IllegalArgumentException naming the value that is out of range
     */
    public LlamaConfig {
        Preconditions.notNull(modelType, "model_type");
        Preconditions.notNull(ropeScaling, "rope_scaling");
        if (!MODEL_TYPES.contains(modelType)) {
            throw new IllegalArgumentException("model_type \"" + modelType + "\" is not supported (supported: "
                    + String.join(", ", MODEL_TYPES) + ")");
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("sliding_window must be positive (or 0 for none), was " + slidingWindow);
        }
        Preconditions.checkPositive(vocabSize, "vocab_size");
        Preconditions.checkPositive(hiddenSize, "hidden_size");
        Preconditions.checkPositive(intermediateSize, "intermediate_size");
        Preconditions.checkPositive(numHiddenLayers, "num_hidden_layers");
        Preconditions.checkPositive(numAttentionHeads, "num_attention_heads");
        Preconditions.checkPositive(numKeyValueHeads, "num_key_value_heads");
        Preconditions.checkPositive(headDim, "head_dim");
        Preconditions.checkPositive(rmsNormEps, "rms_norm_eps");
        Preconditions.checkPositive(ropeTheta, "rope_theta");
        Preconditions.checkPositive(maxPositionEmbeddings, "max_position_embeddings");
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_key_value_heads (" + numKeyValueHeads
                    + ") must divide num_attention_heads (" + numAttentionHeads + ")");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim (" + headDim + ") must be even for rotary embeddings");
        }
        if (layerTypes == null) {
            layerTypes = Collections.nCopies(numHiddenLayers, slidingWindow > 0 ? SLIDING_ATTENTION
                    : FULL_ATTENTION);
        }
        layerTypes = List.copyOf(layerTypes);
        if (layerTypes.size() != numHiddenLayers) {
            throw new IllegalArgumentException("layer_types must list " + numHiddenLayers + " layers, was "
                    + layerTypes.size() + ": " + layerTypes);
        }
        boolean mixed = false;
        for (int i = 0; i < layerTypes.size(); i++) {
            String t = layerTypes.get(i);
            if (!t.equals(FULL_ATTENTION) && !t.equals(SLIDING_ATTENTION)) {
                throw new IllegalArgumentException("layer_types[" + i + "] (\"" + t + "\") is not supported (supported: "
                        + FULL_ATTENTION + ", " + SLIDING_ATTENTION + ")");
            }
            if (t.equals(SLIDING_ATTENTION) && slidingWindow == 0) {
                throw new IllegalArgumentException("layer_types[" + i + "] (\"" + t + "\") needs a sliding_window, "
                        + "but there is none");
            }
            mixed |= !t.equals(layerTypes.get(0));
        }
        if (!modelType.startsWith("qwen") && (mixed || (slidingWindow > 0) != layerTypes.get(0).equals(SLIDING_ATTENTION))) {
            throw new IllegalArgumentException("layer_types " + layerTypes + " is not supported for model_type "
                    + modelType + ": every layer is " + (slidingWindow > 0 ? SLIDING_ATTENTION : FULL_ATTENTION)
                    + " (sliding_window " + slidingWindow + ")");
        }
        if (bosTokenId >= vocabSize || eosTokenId >= vocabSize) {
            throw new IllegalArgumentException("bos_token_id (" + bosTokenId + ") and eos_token_id (" + eosTokenId
                    + ") must be below vocab_size (" + vocabSize + ")");
        }
    }

    /**
     * Reads {@code config.json} (or the {@code config.json} inside a directory).
     *
     * @param path a file, or the directory holding it
     * @return the configuration read
     * @throws IOException if a file cannot be read or written
     */
    public static LlamaConfig fromJson(Path path) throws IOException {
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

    /** The most layers a config may declare (far beyond any checkpoint; a larger count is a corrupt file, not a model). */
    static final int MAX_LAYERS = 1 << 16;

    /** Reads a parsed {@code config.json}. */
    static LlamaConfig fromJson(JsonNode root) {
        Preconditions.checkArgument(root != null && root.isObject(), "config must be a JSON object");
        String modelType = text(root, "model_type");
        if (modelType == null) {
            modelType = "llama";
        }
        if (!MODEL_TYPES.contains(modelType)) {
            throw new IllegalArgumentException("model_type \"" + modelType + "\" is not supported (supported: "
                    + String.join(", ", MODEL_TYPES) + ")");
        }
        boolean llamaLike = modelType.equals("llama") || modelType.equals("keel-tiny");
        // a known field of the wrong type is refused even where this architecture ignores it
        for (String key : List.of("attention_bias", "mlp_bias", "use_sliding_window", "tie_word_embeddings")) {
            bool(root, key);
        }
        String act = text(root, "hidden_act");
        if (act != null && !act.equals("silu")) {
            throw new IllegalArgumentException("hidden_act \"" + act + "\" is not supported, expected silu");
        }
        // rotary embedding: rope_scaling (transformers 4.x) or rope_parameters (newer), which may also hold rope_theta
        JsonNode params = root.get("rope_parameters");
        int maxPositions = integer(root, "max_position_embeddings", 2048);
        int originalPositions = root.hasNonNull("original_max_position_embeddings")
                ? integer(root, "original_max_position_embeddings", null) : 0;
        RopeScaling scaling = RopeScaling.fromJson("rope_scaling", root.get("rope_scaling"), maxPositions,
                originalPositions);
        double theta = number(root, "rope_theta", 10000.0);
        if (params != null && !params.isNull()) {
            RopeScaling fromParams = RopeScaling.fromJson("rope_parameters", params, maxPositions, originalPositions);
            if (root.hasNonNull("rope_scaling") && !fromParams.equals(scaling)) {
                throw new IllegalArgumentException("rope_parameters " + params + " and rope_scaling "
                        + root.get("rope_scaling") + " disagree");
            }
            scaling = fromParams;
            if (params.hasNonNull("rope_theta")) {
                double t = number(params, "rope_theta", theta);
                if (root.hasNonNull("rope_theta") && t != theta) {
                    throw new IllegalArgumentException("rope_parameters.rope_theta (" + t + ") and rope_theta ("
                            + theta + ") disagree");
                }
                theta = t;
            }
        }
        JsonNode partial = root.get("partial_rotary_factor");
        if (partial != null && !partial.isNull() && !(partial.isNumber() && partial.doubleValue() == 1.0)) {
            throw new IllegalArgumentException("partial_rotary_factor (" + partial + ") is not supported, expected 1");
        }
        // biases: Qwen2 always has q/k/v biases; Llama and Qwen3 follow attention_bias (q/k/v and o);
        // Mistral has none; only Llama reads mlp_bias (transformers ignores these fields elsewhere, and the
        // strict load refuses bias tensors the architecture does not use)
        boolean attentionBias = switch (modelType) {
            case "qwen2" -> true;
            case "mistral" -> false;
            default -> bool(root, "attention_bias");
        };
        boolean outputBias = !modelType.equals("qwen2") && attentionBias;
        boolean mlpBias = llamaLike && bool(root, "mlp_bias");
        // sliding windows: Mistral's sliding_window on every layer (transformers' default 4096 when the field is
        // absent); Qwen2/Qwen3 only with use_sliding_window, on the layers layer_types names sliding or, without
        // it, on layers i >= max_window_layers (transformers 5's Qwen2Config/Qwen3Config; 4.4x windowed the same
        // layers in its flash-attention path)
        int layersCount = integer(root, "num_hidden_layers", null);
        if (layersCount > MAX_LAYERS) {
            throw new IllegalArgumentException("num_hidden_layers must be at most " + MAX_LAYERS + ", was " + layersCount);
        }
        int window = 0;
        List<String> layerTypes = null;
        JsonNode typesNode = root.get("layer_types");
        if (modelType.equals("mistral")) {
            window = root.has("sliding_window") ? (root.get("sliding_window").isNull() ? 0
                    : integer(root, "sliding_window", null)) : 4096;
            if (root.has("sliding_window") && !root.get("sliding_window").isNull() && window <= 0) {
                throw new IllegalArgumentException("sliding_window must be positive or null, was " + window);
            }
        } else if (modelType.startsWith("qwen")) {
            if (bool(root, "use_sliding_window")) {
                window = root.has("sliding_window") ? (root.get("sliding_window").isNull() ? 0
                        : integer(root, "sliding_window", null)) : 4096;
                if (root.has("sliding_window") && !root.get("sliding_window").isNull() && window <= 0) {
                    throw new IllegalArgumentException("sliding_window must be positive or null, was " + window);
                }
            }
            if (typesNode == null || typesNode.isNull()) {
                int maxWindowLayers = integer(root, "max_window_layers", 28);
                if (maxWindowLayers < 0) {
                    throw new IllegalArgumentException("max_window_layers must be >= 0, was " + maxWindowLayers);
                }
                layerTypes = new ArrayList<>();
                for (int i = 0; i < layersCount; i++) {
                    layerTypes.add(window > 0 && i >= maxWindowLayers ? SLIDING_ATTENTION : FULL_ATTENTION);
                }
            }
        }
        if (typesNode != null && !typesNode.isNull()) {
            if (!typesNode.isArray() || typesNode.size() != layersCount) {
                throw new IllegalArgumentException("layer_types must list " + layersCount + " layers, was " + typesNode);
            }
            layerTypes = new ArrayList<>();
            for (int i = 0; i < typesNode.size(); i++) {
                JsonNode t = typesNode.get(i);
                if (!t.isTextual() || !(t.asText().equals(FULL_ATTENTION) || t.asText().equals(SLIDING_ATTENTION))) {
                    throw new IllegalArgumentException("layer_types[" + i + "] (" + t + ") is not supported (supported: "
                            + FULL_ATTENTION + ", " + SLIDING_ATTENTION + ")");
                }
                if (t.asText().equals(SLIDING_ATTENTION) && window == 0) {
                    throw new IllegalArgumentException("layer_types[" + i + "] (" + t + ") needs a sliding window, but "
                            + (modelType.startsWith("qwen") && !bool(root, "use_sliding_window")
                            ? "use_sliding_window is not true" : "sliding_window is " + root.get("sliding_window")));
                }
                if (!modelType.startsWith("qwen") && !t.asText().equals(window > 0 ? SLIDING_ATTENTION : FULL_ATTENTION)) {
                    // transformers' MistralConfig and LlamaConfig do not read layer_types: refuse what it would ignore
                    throw new IllegalArgumentException("layer_types[" + i + "] (" + t + ") is not supported for model_type "
                            + modelType + ", which transformers computes with "
                            + (window > 0 ? SLIDING_ATTENTION : FULL_ATTENTION) + " on every layer");
                }
                layerTypes.add(t.asText());
            }
        }
        JsonNode dropout = root.get("attention_dropout");
        if (dropout != null && !dropout.isNull() && !(dropout.isNumber() && dropout.doubleValue() == 0.0)) {
            throw new IllegalArgumentException("attention_dropout (" + dropout + ") is not supported, expected 0");
        }
        if (root.hasNonNull("quantization_config")) {
            throw new IllegalArgumentException("quantization_config " + root.get("quantization_config")
                    + " is not supported: Keel loads unquantised floating-point weights");
        }
        int hidden = integer(root, "hidden_size", null);
        int heads = integer(root, "num_attention_heads", null);
        Integer headDim = root.hasNonNull("head_dim") ? integer(root, "head_dim", null) : null;
        if (headDim == null && modelType.equals("qwen3")) {
            headDim = 128; // Qwen3Config's default, not hidden_size / num_attention_heads
        }
        if (headDim == null) {
            if (heads > 0 && hidden % heads != 0) {
                throw new IllegalArgumentException("num_attention_heads (" + heads + ") must divide hidden_size ("
                        + hidden + ")");
            }
            headDim = heads > 0 ? hidden / heads : 0;
        }
        int vocab = integer(root, "vocab_size", null);
        return new LlamaConfig(
                vocab,
                hidden,
                integer(root, "intermediate_size", null),
                layersCount,
                heads,
                integer(root, "num_key_value_heads", heads),
                headDim,
                number(root, "rms_norm_eps", 1e-6),
                theta,
                bool(root, "tie_word_embeddings"),
                maxPositions,
                tokenId(root, "bos_token_id", vocab),
                tokenId(root, "eos_token_id", vocab),
                modelType, attentionBias, outputBias, mlpBias, modelType.equals("qwen3"), window, scaling,
                layerTypes);
    }

    private static boolean bool(JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw new IllegalArgumentException(key + " must be true or false, was " + n);
        }
        return n.booleanValue();
    }

    private static String text(JsonNode root, String key) {
        return JsonFields.text(root, key, null);
    }

    private static int integer(JsonNode root, String key, Integer fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException(key + " is missing");
            }
            return fallback;
        }
        if (!n.isIntegralNumber()) {
            throw new IllegalArgumentException(key + " must be an integer, was " + n);
        }
        return (int) JsonLines.checkedLong(n, key, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    private static double number(JsonNode root, String key, double fallback) {
        return JsonFields.number(root, key, fallback);
    }

    /**
     * A token id, or -1 where absent; a list (transformers allows several ids for {@code eos_token_id})
     * is checked whole and its first id kept here ({@code HubModelFiles} reads every stop id).
     */
    private static int tokenId(JsonNode root, String key, int vocabSize) {
        JsonNode n = root.get(key);
        long max = Math.max(0, vocabSize - 1L);
        if (n != null && n.isArray()) {
            if (n.isEmpty()) {
                return -1;
            }
            for (int i = 0; i < n.size(); i++) {
                if (JsonLines.checkedLong(n.get(i), key + "[" + i + "]", 0, Integer.MAX_VALUE) > max) {
                    throw new IllegalArgumentException(key + "[" + i + "] (" + n.get(i) + ") must be below vocab_size ("
                            + vocabSize + ")");
                }
            }
            n = n.get(0);
        }
        if (n == null || n.isNull()) {
            return -1;
        }
        return (int) JsonLines.checkedLong(n, key, 0, Integer.MAX_VALUE);
    }

    /** Writes this configuration as a Hugging Face {@code config.json} object. */
    ObjectNode toJson() {
        ObjectNode o = Json.mapper().createObjectNode();
        o.putArray("architectures").add(switch (modelType) {
            case "mistral" -> "MistralForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            case "qwen3" -> "Qwen3ForCausalLM";
            default -> "LlamaForCausalLM";
        });
        o.put("model_type", modelType);
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_key_value_heads", numKeyValueHeads);
        if (headDim * numAttentionHeads != hiddenSize || modelType.equals("qwen3")) {
            o.put("head_dim", headDim);
        }
        if (modelType.equals("llama") || modelType.equals("keel-tiny") || modelType.equals("qwen3")) {
            o.put("attention_bias", attentionBias);
        }
        if (modelType.equals("llama") || modelType.equals("keel-tiny")) {
            o.put("mlp_bias", mlpBias);
        }
        if (modelType.equals("mistral")) {
            if (slidingWindow > 0) {
                o.put("sliding_window", slidingWindow);
            } else {
                o.putNull("sliding_window");
            }
        } else if (modelType.startsWith("qwen")) {
            o.put("use_sliding_window", slidingWindow > 0);
            if (slidingWindow > 0) {
                o.put("sliding_window", slidingWindow);
                // layer_types for transformers 5; max_window_layers for older versions when the sliding layers
                // are the top ones, as max_window_layers describes
                int first = layerTypes.indexOf(SLIDING_ATTENTION);
                boolean suffix = first >= 0 && layerTypes.subList(first, numHiddenLayers).stream()
                        .allMatch(SLIDING_ATTENTION::equals);
                o.put("max_window_layers", first < 0 ? numHiddenLayers : suffix ? first : numHiddenLayers);
                var types = o.putArray("layer_types");
                layerTypes.forEach(types::add);
            }
        }
        if (!ropeScaling.isNone()) {
            o.set("rope_scaling", ropeScaling.toJson());
        }
        o.put("rms_norm_eps", rmsNormEps);
        o.put("rope_theta", ropeTheta);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("hidden_act", "silu");
        o.put("torch_dtype", "float32");
        if (bosTokenId >= 0) {
            o.put("bos_token_id", bosTokenId);
        }
        if (eosTokenId >= 0) {
            o.put("eos_token_id", eosTokenId);
        }
        return o;
    }

    /**
     * This configuration as the text of a {@code config.json} file (pretty-printed JSON).
     *
     * @return the JSON text
     */
    public String toJsonString() {
        return Json.toPrettyString(toJson());
    }

    /**
     * Whether a layer attends through the sliding window.
     *
     * @param layer the layer's index
     * @return whether {@code layer_types[layer]} is {@link #SLIDING_ATTENTION}
     * @throws IndexOutOfBoundsException if there is no such layer
     */
    public boolean isSlidingLayer(int layer) {
        return layerTypes.get(layer).equals(SLIDING_ATTENTION);
    }

    /**
     * The longest sequence (cached plus new positions) the model accepts: {@code max_position_embeddings},
     * or longer where the rotary scaling is meant to reach further (see {@link RopeScaling#contextLength(int)}).
     *
     * @return the context length, in positions
     */
    public int contextLength() {
        return ropeScaling.contextLength(maxPositionEmbeddings);
    }

    /**
     * Query heads per key/value head.
     *
     * @return the group size
     */
    public int groupSize() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /**
     * The number of parameters, counting a tied head once.
     *
     * @return the parameter count
     */
    public long parameterCount() {
        long h = hiddenSize;
        long q = (long) numAttentionHeads * headDim;
        long kv = (long) numKeyValueHeads * headDim;
        long perLayer = h * q * 2 + h * kv * 2 + 3 * h * intermediateSize + 2 * h
                + (attentionBias ? q + 2 * kv : 0) + (outputBias ? h : 0)
                + (mlpBias ? 2L * intermediateSize + h : 0) + (qkNorm ? 2L * headDim : 0);
        return vocabSize * h * (tieWordEmbeddings ? 1 : 2) + numHiddenLayers * perLayer + h;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "LlamaConfig[vocab=%d, hidden=%d, intermediate=%d, layers=%d, heads=%d, "
                        + "kvHeads=%d, headDim=%d, eps=%g, theta=%g, tied=%b, maxPos=%d, type=%s%s%s%s%s%s%s]", vocabSize,
                hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, headDim, rmsNormEps,
                ropeTheta, tieWordEmbeddings, maxPositionEmbeddings, modelType, attentionBias ? ", qkvBias" : "",
                outputBias ? ", oBias" : "", mlpBias ? ", mlpBias" : "", qkNorm ? ", qkNorm" : "",
                slidingWindow > 0 ? ", window=" + slidingWindow + slidingLayersText() : "",
                ropeScaling.isNone() ? "" : ", rope=" + ropeScaling);
    }

    private String slidingLayersText() {
        if (layerTypes.stream().allMatch(SLIDING_ATTENTION::equals)) {
            return "";
        }
        StringBuilder b = new StringBuilder(" on layers ");
        String sep = "";
        for (int i = 0; i < numHiddenLayers; i++) {
            if (isSlidingLayer(i)) {
                b.append(sep).append(i);
                sep = ",";
            }
        }
        return sep.isEmpty() ? " on no layer" : b.toString();
    }

    /**
     * Starts a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link LlamaConfig}; {@link #build()} checks the whole. */
    public static final class Builder {
        private int vocabSize;
        private int hiddenSize;
        private int intermediateSize;
        private int numHiddenLayers;
        private int numAttentionHeads;
        private int numKeyValueHeads = -1;
        private int headDim = -1;
        private double rmsNormEps = 1e-5;
        private double ropeTheta = 10000.0;
        private boolean tieWordEmbeddings;
        private int maxPositionEmbeddings = 2048;
        private int bosTokenId = -1;
        private int eosTokenId = -1;
        private String modelType = "llama";
        private boolean attentionBias;
        private boolean outputBias;
        private boolean mlpBias;
        private boolean qkNorm;
        private int slidingWindow;
        private RopeScaling ropeScaling = RopeScaling.NONE;
        private List<String> layerTypes;

        private Builder() {
        }

        /**
         * Sets the model type (default {@code llama}); it names the architecture written to config.json
         * and does not by itself turn on biases, norms or windows.
         *
         * @param v one of {@link #MODEL_TYPES}
         * @return this builder
         */
        public Builder modelType(String v) {
            this.modelType = Preconditions.notNull(v, "model_type");
            return this;
        }

        /**
         * Sets whether the q, k and v projections have a bias (default false).
         *
         * @param v whether they have one
         * @return this builder
         */
        public Builder attentionBias(boolean v) {
            this.attentionBias = v;
            return this;
        }

        /**
         * Sets whether the attention output projection has a bias (default false).
         *
         * @param v whether it has one
         * @return this builder
         */
        public Builder outputBias(boolean v) {
            this.outputBias = v;
            return this;
        }

        /**
         * Sets whether the MLP projections have a bias (default false).
         *
         * @param v whether they have one
         * @return this builder
         */
        public Builder mlpBias(boolean v) {
            this.mlpBias = v;
            return this;
        }

        /**
         * Sets whether each head of q and k is RMS-normalised before the rotary embedding (default false).
         *
         * @param v whether it is
         * @return this builder
         */
        public Builder qkNorm(boolean v) {
            this.qkNorm = v;
            return this;
        }

        /**
         * Sets the sliding attention window (default 0: none).
         *
         * @param v the window, or 0 for full causal attention
         * @return this builder
         */
        public Builder slidingWindow(int v) {
            Preconditions.checkArgument(v >= 0, "sliding_window must be >= 0, was " + v);
            this.slidingWindow = v;
            return this;
        }

        /**
         * Sets the rotary scaling (default {@link RopeScaling#NONE}).
         *
         * @param v the scaling
         * @return this builder
         */
        public Builder ropeScaling(RopeScaling v) {
            this.ropeScaling = Preconditions.notNull(v, "rope_scaling");
            return this;
        }

        /**
         * Sets each layer's attention (default: every layer sliding when a window is set, else full).
         *
         * @param v {@link #FULL_ATTENTION} or {@link #SLIDING_ATTENTION} per layer, or {@code null} for the default
         * @return this builder
         */
        public Builder layerTypes(List<String> v) {
            this.layerTypes = v == null ? null : List.copyOf(v);
            return this;
        }

        /**
         * Sets the vocab size.
         *
         * @param v the vocab size
         * @return this builder
         */
        public Builder vocabSize(int v) {
            this.vocabSize = Preconditions.checkPositive(v, "vocab_size");
            return this;
        }

        /**
         * Sets the hidden size.
         *
         * @param v the hidden size
         * @return this builder
         */
        public Builder hiddenSize(int v) {
            this.hiddenSize = Preconditions.checkPositive(v, "hidden_size");
            return this;
        }

        /**
         * Sets the intermediate size.
         *
         * @param v the intermediate size
         * @return this builder
         */
        public Builder intermediateSize(int v) {
            this.intermediateSize = Preconditions.checkPositive(v, "intermediate_size");
            return this;
        }

        /**
         * Sets the num hidden layers.
         *
         * @param v the num hidden layers
         * @return this builder
         */
        public Builder numHiddenLayers(int v) {
            this.numHiddenLayers = Preconditions.checkPositive(v, "num_hidden_layers");
            return this;
        }

        /**
         * Sets the num attention heads.
         *
         * @param v the num attention heads
         * @return this builder
         */
        public Builder numAttentionHeads(int v) {
            this.numAttentionHeads = Preconditions.checkPositive(v, "num_attention_heads");
            return this;
        }

        /**
         * Sets the num key value heads.
         *
         * @param v the num key value heads
         * @return this builder
         */
        public Builder numKeyValueHeads(int v) {
            this.numKeyValueHeads = Preconditions.checkPositive(v, "num_key_value_heads");
            return this;
        }

        /**
         * Sets the head dim.
         *
         * @param v the head dim
         * @return this builder
         */
        public Builder headDim(int v) {
            this.headDim = Preconditions.checkPositive(v, "head_dim");
            return this;
        }

        /**
         * Sets the rms norm eps.
         *
         * @param v the rms norm eps
         * @return this builder
         */
        public Builder rmsNormEps(double v) {
            this.rmsNormEps = Preconditions.checkPositive(v, "rms_norm_eps");
            return this;
        }

        /**
         * Sets the rope theta.
         *
         * @param v the rope theta
         * @return this builder
         */
        public Builder ropeTheta(double v) {
            this.ropeTheta = Preconditions.checkPositive(v, "rope_theta");
            return this;
        }

        /**
         * Sets the tie word embeddings.
         *
         * @param v the tie word embeddings
         * @return this builder
         */
        public Builder tieWordEmbeddings(boolean v) {
            this.tieWordEmbeddings = v;
            return this;
        }

        /**
         * Sets the max position embeddings.
         *
         * @param v the max position embeddings
         * @return this builder
         */
        public Builder maxPositionEmbeddings(int v) {
            this.maxPositionEmbeddings = Preconditions.checkPositive(v, "max_position_embeddings");
            return this;
        }

        /**
         * Sets the bos token id.
         *
         * @param v the bos token id
         * @return this builder
         */
        public Builder bosTokenId(int v) {
            this.bosTokenId = v;
            return this;
        }

        /**
         * Sets the eos token id.
         *
         * @param v the eos token id
         * @return this builder
         */
        public Builder eosTokenId(int v) {
            this.eosTokenId = v;
            return this;
        }

        /**
         * Builds the value, checking the settings together.
         *
         * @return the immutable result
         */
        public LlamaConfig build() {
            int hd = headDim;
            if (hd < 0) {
                if (numAttentionHeads > 0 && hiddenSize % numAttentionHeads != 0) {
                    throw new IllegalArgumentException("num_attention_heads (" + numAttentionHeads
                            + ") must divide hidden_size (" + hiddenSize + ")");
                }
                hd = numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0;
            }
            return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                    numKeyValueHeads < 0 ? numAttentionHeads : numKeyValueHeads, hd, rmsNormEps, ropeTheta,
                    tieWordEmbeddings, maxPositionEmbeddings, bosTokenId, eosTokenId, modelType, attentionBias,
                    outputBias, mlpBias, qkNorm, slidingWindow, ropeScaling, layerTypes);
        }
    }
}
