package dev.keel.core.lm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.keel.core.device.Devices;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.LinearLayer;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.rwkv.RwkvModel;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A causal language model on DJL, whatever its architecture: the Llama-family Transformer
 * ({@link LlamaModel}) or the recurrent RWKV-4 ({@link RwkvModel}). Generation, training, LoRA and the
 * local chat model work through this interface: logits for token ids, optionally continuing from a
 * per-sequence {@link LmState} (a KV cache or a recurrent state), the weights as DJL
 * {@link Parameter}s by Hugging Face name, and the linear layers LoRA attaches to.
 *
 * <pre>{@code
 * try (CausalLm model = CausalLm.load(Path.of("model-dir"), Device.cpu());   // Llama or RWKV by config.json
 *      NDManager step = model.manager().newSubManager();
 *      LmState state = model.newState(step)) {
 *     NDArray logits = model.forward(step.create(new long[][] {{1, 15, 27}}), null, state, false);
 * }
 * }</pre>
 */
public interface CausalLm extends AutoCloseable {

    /**
     * The manager that owns the weights; per-step arrays go in its sub-managers.
     *
     * @return the manager
     */
    NDManager manager();

    /**
     * The device the weights live on.
     *
     * @return the device
     */
    default Device device() {
        return manager().getDevice();
    }

    /**
     * The vocabulary size (the logits' last dimension).
     *
     * @return the vocabulary size
     */
    int vocabSize();

    /**
     * The longest sequence (cached plus new positions) the model accepts.
     *
     * @return the context length
     */
    int contextLength();

    /**
     * The end-of-sequence token id of the configuration, or -1 for none.
     *
     * @return the token id or -1
     */
    int eosTokenId();

    /**
     * A new empty per-sequence state (KV cache or recurrent state), its arrays in a sub-manager of {@code parent}.
     *
     * @param parent the manager that owns the state's arrays
     * @return the state (the caller closes it)
     */
    LmState newState(NDManager parent);

    /**
     * Runs the model.
     *
     * @param inputIds      {@code [B, T]} token ids (int64 or int32)
     * @param attentionMask {@code [B, S]} with 1 for real tokens and 0 for padding, where {@code S} is the
     *                      state's length plus {@code T}; or {@code null} for no padding
     * @param state         a state of this model ({@link #newState}) to read and extend, or {@code null}
     * @param training      whether dropout (in LoRA layers) is active and the training form is used
     * @return logits {@code [B, T, vocab]} in F32, in the manager of {@code inputIds}
     * @throws IllegalArgumentException if the ids, mask or state do not fit the model
     */
    NDArray forward(NDArray inputIds, NDArray attentionMask, LmState state, boolean training);

    /**
     * The base weights by Hugging Face name (a tied head listed once).
     *
     * @return the parameters
     */
    Map<String, Parameter> parameters();

    /**
     * Every linear layer by module path, in model order; LoRA adapters attach to these.
     *
     * @return the linear layers
     */
    Map<String, LinearLayer> linearLayers();

    /**
     * Whether the base weights take gradients.
     *
     * @return whether the base weights take gradients
     */
    boolean isBaseTrainable();

    /**
     * Freezes ({@code false}, the default) or unfreezes the base weights.
     *
     * @param trainable whether the base weights take gradients
     */
    void setBaseTrainable(boolean trainable);

    /**
     * Saves {@code config.json} and {@code model.safetensors} (F32) to {@code dir}, each file atomically.
     *
     * @param dir the directory
     * @throws IOException if a file cannot be written
     */
    void save(Path dir) throws IOException;

    /** Frees the weights; idempotent. */
    @Override
    void close();

    /**
     * Whether the Hugging Face model directory (or {@code config.json} file) {@code path} holds an RWKV model
     * ({@code "model_type": "rwkv"}).
     *
     * @param path a model directory or its {@code config.json}
     * @return whether the model is an RWKV model
     * @throws IOException if {@code config.json} is missing or cannot be read
     */
    static boolean isRwkv(Path path) throws IOException {
        Preconditions.notNull(path, "path");
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no config.json");
        }
        JsonNode root = Json.readFile(file);
        return root.isObject() && "rwkv".equals(root.path("model_type").asText(null));
    }

    /**
     * Loads a Hugging Face model directory onto {@code device}: an {@link RwkvModel} when
     * {@code config.json} says {@code "model_type": "rwkv"}, else a {@link LlamaModel}.
     *
     * @param dir the directory
     * @param device the device
     * @return the model (the caller closes it)
     * @throws IOException if a file cannot be read or a tensor is missing, misshapen or unused
     */
    static CausalLm load(Path dir, Device device) throws IOException {
        Preconditions.notNull(device, "device");
        Devices.requirePyTorch("CausalLm");
        return isRwkv(dir) ? RwkvModel.load(dir, device) : LlamaModel.load(dir, device);
    }
}
