package dev.keel.core.lm;

import dev.keel.core.device.Devices;

import dev.keel.core.internal.CheckpointTensors;
import dev.keel.core.internal.CompactWeights;
import dev.keel.core.internal.LinearLayer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.safetensors.SafeTensors;
import dev.keel.core.lm.safetensors.TensorInfo;
import dev.keel.core.lm.safetensors.TensorSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Llama-family decoder (RMSNorm, rotary embeddings in the rotate-half convention, grouped-query
 * attention with causal and padding masks, SwiGLU MLP, tied or untied head) as a functional module
 * over DJL {@link NDArray}s whose weights are DJL {@link Parameter}s named as in Hugging Face
 * checkpoints ({@code model.layers.0.self_attn.q_proj.weight}, ...).
 *
 * <p>The variants of the Hub's checkpoints are computed as transformers computes them, from what
 * {@link LlamaConfig} read: Llama 1/2/3.x (with {@code rope_scaling} {@code linear}, {@code llama3},
 * {@code dynamic} or {@code yarn}, see {@link RopeScaling}; SmolLM2 and TinyLlama are Llamas), Mistral
 * (sliding-window attention: a query at position i sees keys j with {@code 0 <= i - j < sliding_window},
 * also through the {@link KvCache}),
 * Qwen2/Qwen2.5 (biases on the q/k/v projections; {@code use_sliding_window} on the layers
 * {@link LlamaConfig#layerTypes()} names) and Qwen3 (RMSNorm over each head of q and k before
 * the rotary embedding, explicit {@code head_dim}). A checkpoint is loaded exactly or refused
 * ({@link #fromTensors}).
 *
 * <p>The base weights are frozen (no gradients) unless {@link #setBaseTrainable(boolean)} says
 * otherwise; LoRA adapters add trainable parameters. {@link #forward} puts every array it creates in
 * the manager of its input ids, so scoping a step in {@code manager.newSubManager()} frees them.
 *
 * <pre>{@code
 * try (LlamaModel model = LlamaModel.load(Path.of("tiny-llama"), Device.cpu());
 *      NDManager step = model.manager().newSubManager()) {
 *     NDArray ids = step.create(new long[][] {{1, 15, 27}});
 *     NDArray logits = model.forward(ids, null, null, false);   // [1, 3, vocab]
 * }
 * }</pre>
 */
public final class LlamaModel implements CausalLm {

    private static final float MASKED = -1e9f;

    // Note on scalars: DJL's PyTorch NDArray#mul(Number) wraps the number in a temporary array backed by
    // a Java direct buffer and closes it at once; when autograd saves that operand for the backward pass,
    // the buffer may be freed (and reused) before backward runs. Operations on the gradient path therefore
    // use scalar arrays that live as long as the model (or, in the loss, as long as the step).

    private final LlamaConfig config;
    private final NDManager manager;
    private final Map<String, Parameter> parameters;
    private final Map<String, Float> scales;
    private final DataType computeType;
    private final NDArray embedScale;
    private final Parameter embed;
    private final Parameter finalNorm;
    private final LinearLayer head;
    private final List<Layer> layers;
    private final Map<String, LinearLayer> linears;
    private final float[] invFreq;
    private final NDArray epsScalar;
    private final NDArray attentionScale;
    private boolean baseTrainable;
    private boolean closed;

    private static final class Layer {
        Parameter inputNorm;
        Parameter postNorm;
        LinearLayer q;
        LinearLayer k;
        LinearLayer v;
        LinearLayer o;
        LinearLayer gate;
        LinearLayer up;
        LinearLayer down;
        Parameter qNorm;
        Parameter kNorm;
    }

    private LlamaModel(LlamaConfig config, NDManager manager, Map<String, NDArray> weights) {
        this(config, manager, weights, Map.of(), DataType.FLOAT32);
    }

    private LlamaModel(LlamaConfig config, NDManager manager, Map<String, NDArray> weights, Map<String, Float> scales,
                       DataType computeType) {
        this.config = config;
        this.manager = manager;
        this.parameters = new LinkedHashMap<>();
        this.linears = new LinkedHashMap<>();
        this.scales = Map.copyOf(scales);
        this.computeType = computeType;
        this.embed = param("model.embed_tokens.weight", weights);
        this.embedScale = scaleArray("model.embed_tokens.weight");
        this.layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            Layer l = new Layer();
            l.inputNorm = param(p + "input_layernorm.weight", weights);
            l.q = linear(p + "self_attn.q_proj", weights, config.attentionBias());
            l.k = linear(p + "self_attn.k_proj", weights, config.attentionBias());
            l.v = linear(p + "self_attn.v_proj", weights, config.attentionBias());
            l.o = linear(p + "self_attn.o_proj", weights, config.outputBias());
            if (config.qkNorm()) {
                l.qNorm = param(p + "self_attn.q_norm.weight", weights);
                l.kNorm = param(p + "self_attn.k_norm.weight", weights);
            }
            l.postNorm = param(p + "post_attention_layernorm.weight", weights);
            l.gate = linear(p + "mlp.gate_proj", weights, config.mlpBias());
            l.up = linear(p + "mlp.up_proj", weights, config.mlpBias());
            l.down = linear(p + "mlp.down_proj", weights, config.mlpBias());
            layers.add(l);
        }
        this.finalNorm = param("model.norm.weight", weights);
        if (config.tieWordEmbeddings()) {
            this.head = new LinearLayer("lm_head", embed, null, embedScale);
            linears.put("lm_head", head);
        } else {
            this.head = linear("lm_head", weights, false);
        }
        this.invFreq = config.ropeScaling().inverseFrequencies(config.ropeTheta(), config.headDim());
        this.epsScalar = manager.create((float) config.rmsNormEps());
        this.attentionScale = manager.create((float) (1.0 / Math.sqrt(config.headDim())));
    }

    private Parameter param(String name, Map<String, NDArray> weights) {
        NDArray a = weights.get(name);
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optRequiresGrad(false).build();
        p.setArray(a);
        parameters.put(name, p);
        return p;
    }

    private NDArray scaleArray(String name) {
        Float f = scales.get(name);
        return f == null || f == 1f ? null : manager.create(f);
    }

    private LinearLayer linear(String module, Map<String, NDArray> weights, boolean bias) {
        LinearLayer l = new LinearLayer(module, param(module + ".weight", weights),
                bias ? param(module + ".bias", weights) : null, scaleArray(module + ".weight"));
        linears.put(module, l);
        return l;
    }

    /**
     * The shapes of every weight the checkpoint must hold, by Hugging Face name.
     *
     * @param c the configuration
     * @return the expected shapes
     */
    public static Map<String, long[]> expectedShapes(LlamaConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long im = c.intermediateSize();
        m.put("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            m.put(p + "input_layernorm.weight", new long[] {h});
            m.put(p + "self_attn.q_proj.weight", new long[] {q, h});
            if (c.attentionBias()) {
                m.put(p + "self_attn.q_proj.bias", new long[] {q});
            }
            m.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            if (c.attentionBias()) {
                m.put(p + "self_attn.k_proj.bias", new long[] {kv});
            }
            m.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            if (c.attentionBias()) {
                m.put(p + "self_attn.v_proj.bias", new long[] {kv});
            }
            m.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            if (c.outputBias()) {
                m.put(p + "self_attn.o_proj.bias", new long[] {h});
            }
            if (c.qkNorm()) {
                m.put(p + "self_attn.q_norm.weight", new long[] {c.headDim()});
                m.put(p + "self_attn.k_norm.weight", new long[] {c.headDim()});
            }
            m.put(p + "post_attention_layernorm.weight", new long[] {h});
            m.put(p + "mlp.gate_proj.weight", new long[] {im, h});
            m.put(p + "mlp.up_proj.weight", new long[] {im, h});
            m.put(p + "mlp.down_proj.weight", new long[] {h, im});
            if (c.mlpBias()) {
                m.put(p + "mlp.gate_proj.bias", new long[] {im});
                m.put(p + "mlp.up_proj.bias", new long[] {im});
                m.put(p + "mlp.down_proj.bias", new long[] {h});
            }
        }
        m.put("model.norm.weight", new long[] {h});
        if (!c.tieWordEmbeddings()) {
            m.put("lm_head.weight", new long[] {c.vocabSize(), h});
        }
        return m;
    }

    /**
     * Loads {@code config.json} and the safetensors weights of a Hugging Face model directory onto {@code device}.
     *
     * @param dir the directory
     * @param device the device
     * @return the model (the caller closes it)
     * @throws IOException if a file cannot be read or written
     */
    public static LlamaModel load(Path dir, Device device) throws IOException {
        return load(dir, device, LoadOptions.defaults());
    }

    /**
     * Loads a model directory onto {@code device}, keeping the weights and computing as {@code options} say
     * (by default a 16-bit checkpoint's weight matrices stay 16-bit and the model computes in F32).
     *
     * @param dir the directory
     * @param device the device
     * @param options how the weights are kept and the compute dtype
     * @return the model (the caller closes it)
     * @throws IOException if a file cannot be read or a tensor is missing, misshapen or unused
     */
    public static LlamaModel load(Path dir, Device device, LoadOptions options) throws IOException {
        Preconditions.notNull(device, "device");
        Preconditions.notNull(options, "options");
        Devices.requirePyTorch("LlamaModel");
        NDManager m = NDManager.newBaseManager(device);
        try {
            return loadInto(dir, m, options);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Loads a model directory into a sub-manager of {@code parent}.
     *
     * @param dir the directory
     * @param parent the manager that owns the new arrays
     * @return the model (the caller closes it)
     * @throws IOException if a file cannot be read or written
     */
    public static LlamaModel load(Path dir, NDManager parent) throws IOException {
        return load(dir, parent, LoadOptions.defaults());
    }

    /**
     * Loads a model directory into a sub-manager of {@code parent}, as {@code options} say.
     *
     * @param dir the directory
     * @param parent the manager that owns the new arrays
     * @param options how the weights are kept and the compute dtype
     * @return the model (the caller closes it)
     * @throws IOException if a file cannot be read or a tensor is missing, misshapen or unused
     */
    public static LlamaModel load(Path dir, NDManager parent, LoadOptions options) throws IOException {
        Preconditions.notNull(parent, "parent");
        Preconditions.notNull(options, "options");
        NDManager m = parent.newSubManager();
        try {
            return loadInto(dir, m, options);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static LlamaModel loadInto(Path dir, NDManager m, LoadOptions options) throws IOException {
        Preconditions.notNull(dir, "dir");
        LlamaConfig config = LlamaConfig.fromJson(dir);
        try (TensorSource source = TensorSource.open(dir)) {
            return fromTensors(config, source, m, options);
        }
    }

    /**
     * Names of checkpoint tensors that are derived from the configuration rather than learned, and so
     * are accepted and not read: the rotary inverse frequencies some exporters store
     * ({@code model.rotary_emb.inv_freq}, {@code model.layers.N.self_attn.rotary_emb.inv_freq}). Keel
     * recomputes them from {@code rope_theta} and {@code rope_scaling}.
     */
    public static final java.util.regex.Pattern DERIVED_TENSORS =
            java.util.regex.Pattern.compile("model\\.(layers\\.\\d+\\.self_attn\\.)?rotary_emb\\.inv_freq");

    /**
     * Builds a model from weights in {@code source}, checking every name and shape; arrays go to {@code manager}.
     * The load is exact or refused: every tensor the architecture needs must be present with its shape and
     * a floating-point dtype, and every tensor of the checkpoint must be used, except the derived ones of
     * {@link #DERIVED_TENSORS} and an {@code lm_head.weight} equal to the embedding of a tied model. A
     * config with fewer layers than the weights is therefore refused, naming the layers' tensors.
     *
     * @param config the configuration
     * @param source the tensors, by Hugging Face name
     * @param manager the manager that owns the arrays
     * @return the model
     * @throws IOException if a file cannot be read, a needed tensor is missing or misshapen, or a tensor
     *                     of the checkpoint would be left unused (the message names them)
     */
    public static LlamaModel fromTensors(LlamaConfig config, TensorSource source, NDManager manager) throws IOException {
        return fromTensors(config, source, manager, LoadOptions.defaults());
    }

    /**
     * Builds a model from weights in {@code source} as {@link #fromTensors(LlamaConfig, TensorSource, NDManager)}
     * does, keeping the weights and computing as {@code options} say.
     *
     * @param config the configuration
     * @param source the tensors, by Hugging Face name
     * @param manager the manager that owns the arrays
     * @param options how the weights are kept and the compute dtype
     * @return the model
     * @throws IOException if a file cannot be read, a needed tensor is missing or misshapen, or a tensor
     *                     of the checkpoint would be left unused (the message names them)
     */
    public static LlamaModel fromTensors(LlamaConfig config, TensorSource source, NDManager manager,
                                         LoadOptions options) throws IOException {
        Preconditions.notNull(options, "options");
        Preconditions.notNull(config, "config");
        Preconditions.notNull(source, "source");
        Preconditions.notNull(manager, "manager");
        Map<String, long[]> expected = expectedShapes(config);
        boolean tiedHeadStored = CheckpointTensors.check(source, expected, config,
                name -> DERIVED_TENSORS.matcher(name).matches(), "lm_head.weight", config.tieWordEmbeddings());
        Map<String, NDArray> weights = new LinkedHashMap<>();
        Map<String, Float> scales = new LinkedHashMap<>();
        boolean half = options.computeType() == DataType.FLOAT16;
        try {
            for (String name : expected.keySet()) {
                TensorInfo info = source.info(name);
                boolean sixteen = info.dtype() == DType.F16 || info.dtype() == DType.BF16;
                CompactWeights.Stored stored = null;
                if (options.weights() == LoadOptions.Weights.AS_STORED && info.shape().length >= 2
                        && (sixteen || half)) {
                    stored = CompactWeights.load(source, name, manager, !half);
                }
                if (stored != null) {
                    weights.put(name, stored.array());
                    scales.put(name, stored.scale());
                } else {
                    weights.put(name, source.load(manager, name));
                }
            }
        } catch (IOException | RuntimeException e) {
            weights.values().forEach(NDArray::close);
            throw e;
        }
        if (tiedHeadStored) {
            TensorInfo info = source.info("lm_head.weight");
            TensorInfo embedInfo = source.info("model.embed_tokens.weight");
            boolean same = Arrays.equals(info.shape(), embedInfo.shape()) && info.dtype().isFloating();
            if (same) {
                try (NDArray headWeights = source.load(manager, "lm_head.weight");
                     NDArray embed = source.load(manager, "model.embed_tokens.weight")) {
                    same = headWeights.contentEquals(embed);
                }
            }
            if (!same) {
                weights.values().forEach(NDArray::close);
                throw new IOException("checkpoint tensor [lm_head.weight] differs from model.embed_tokens.weight "
                        + "while tie_word_embeddings is true; it would be left unused");
            }
        }
        return new LlamaModel(config, manager, weights, scales, options.computeType());
    }

    /**
     * A randomly initialised model (normal, std 0.02, as Hugging Face initialises Llama; norms at 1, biases at 0),
     * reproducible from {@code seed}; arrays go to a sub-manager of {@code parent}.
     *
     * @param config the configuration
     * @param seed the seed of the random choices
     * @param parent the manager that owns the new arrays
     * @return the model with random weights
     */
    public static LlamaModel random(LlamaConfig config, long seed, NDManager parent) {
        Preconditions.notNull(config, "config");
        Preconditions.notNull(parent, "parent");
        NDManager m = parent.newSubManager();
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, NDArray> weights = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
            long[] s = e.getValue();
            long n = 1;
            for (long d : s) {
                n *= d;
            }
            float[] v = new float[Math.toIntExact(n)];
            if (e.getKey().endsWith(".bias")) {
                Arrays.fill(v, 0f);
            } else if (s.length == 1) {
                Arrays.fill(v, 1f);
            } else {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (gaussian(rnd) * 0.02);
                }
            }
            weights.put(e.getKey(), m.create(v, new Shape(s)));
        }
        return new LlamaModel(config, m, weights);
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * Saves {@code config.json} and {@code model.safetensors} (F32) to {@code dir}, each file atomically.
     *
     * @param dir the directory
     * @throws IOException if a file cannot be read or written
     */
    public void save(Path dir) throws IOException {
        save(dir, DType.F32, Long.MAX_VALUE);
    }

    /**
     * Saves {@code config.json} and the weights as {@code dtype} (F32, F16 or BF16, whatever dtype they
     * are kept in on the device; a compact model's weights are written with their true values): one
     * {@code model.safetensors}, or shards of at most {@code maxShardBytes} with
     * {@code model.safetensors.index.json} when the weights are larger. Each file is written atomically.
     *
     * @param dir the directory
     * @param dtype the data type the weights are written in
     * @param maxShardBytes the max shard bytes
     * @throws IOException if a file cannot be read or written
     */
    public void save(Path dir, DType dtype, long maxShardBytes) throws IOException {
        checkOpen();
        Preconditions.notNull(dir, "dir");
        Preconditions.checkArgument(dtype == DType.F32 || dtype == DType.F16 || dtype == DType.BF16,
                "dtype must be F32, F16 or BF16, was " + dtype);
        Preconditions.checkArgument(maxShardBytes > 0, "maxShardBytes must be > 0, was " + maxShardBytes);
        Files.createDirectories(dir);
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        long bytes = 0;
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            arrays.put(e.getKey(), e.getValue().getArray());
            bytes += e.getValue().getArray().size() * dtype.byteSize();
        }
        if (bytes > maxShardBytes) {
            SafeTensors.writeSharded(dir, "model", arrays, dtype, maxShardBytes, scales);
            Files.deleteIfExists(dir.resolve("model.safetensors"));
        } else {
            SafeTensors.write(dir.resolve("model.safetensors"), arrays, dtype, scales);
            Files.deleteIfExists(dir.resolve("model.safetensors.index.json"));
        }
        AtomicFiles.writeString(dir.resolve("config.json"),
                Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(config.toJson()));
    }

    /**
     * The config.
     *
     * @return the config
     */
    public LlamaConfig config() {
        return config;
    }

    /**
     * The manager that owns the weights.
     *
     * @return the manager
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * The device the weights live on.
     *
     * @return the device
     */
    public Device device() {
        return manager.getDevice();
    }

    /**
     * The base weights by Hugging Face name (a tied head is listed once, as the embedding), as they are
     * kept on the device: F32, or for a compact 16-bit model's matrices F16 arrays holding the weight
     * divided by {@link #weightScale(String)}.
     *
     * @return the parameters
     */
    public Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * The factor the stored array of weight {@code name} is multiplied by to give the weight: 1 for an
     * F32 weight, a power of two for a matrix kept compact (see {@link LoadOptions}).
     *
     * @param name a weight name of {@link #parameters()}
     * @return the factor
     * @throws IllegalArgumentException if the model has no such weight
     */
    public float weightScale(String name) {
        Preconditions.checkArgument(parameters.containsKey(name), "no weight named \"" + name + "\"");
        return scales.getOrDefault(name, 1f);
    }

    /**
     * The bytes the base weights take on the device (a tied head counted once).
     *
     * @return the bytes of the weights as kept
     */
    public long weightBytes() {
        long b = 0;
        for (Parameter p : parameters.values()) {
            NDArray a = p.getArray();
            b += a.size() * a.getDataType().getNumOfBytes();
        }
        return b;
    }

    /**
     * The dtype the model computes in ({@link LoadOptions#computeType()}; F32 for a model built otherwise).
     *
     * @return the compute dtype
     */
    public DataType computeType() {
        return computeType;
    }

    /**
     * Every linear layer by module path, in model order ({@code lm_head} last).
     *
     * @return the linear layers
     */
    public Map<String, LinearLayer> linearLayers() {
        return Collections.unmodifiableMap(linears);
    }

    /**
     * Whether the base weights take gradients.
     *
     * @return whether the base weights take gradients
     */
    public boolean isBaseTrainable() {
        return baseTrainable;
    }

    /**
     * Freezes ({@code false}, the default) or unfreezes the base weights.
     *
     * @param trainable whether the base weights take gradients
     * @throws IllegalStateException if {@code trainable} and some base weight is kept in 16 bits
     */
    public void setBaseTrainable(boolean trainable) {
        checkOpen();
        if (trainable) {
            for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
                DataType t = e.getValue().getArray().getDataType();
                Preconditions.checkState(t == DataType.FLOAT32, "base weight " + e.getKey() + " is kept as " + t
                        + "; load with LoadOptions.Weights.F32 to train the base weights");
            }
        }
        for (Parameter p : parameters.values()) {
            p.freeze(!trainable);
        }
        baseTrainable = trainable;
    }

    /**
     * Logits {@code [B, T, vocab]} for unpadded {@code inputIds} {@code [B, T]}, without cache or dropout.
     *
     * @param inputIds token ids, [batch, length]
     * @return the logits, [batch, length, vocab]
     */
    public NDArray forward(NDArray inputIds) {
        return forward(inputIds, null, null, false);
    }

    /**
     * Runs the decoder.
     *
     * @param inputIds      {@code [B, T]} token ids (int64 or int32)
     * @param attentionMask {@code [B, S]} with 1 for real tokens and 0 for padding, where {@code S} is
     *                      the cached length plus {@code T}; or {@code null} for no padding. Positions
     *                      are counted over real tokens only, so left padding is handled.
     * @param cache         a cache to read and extend, or {@code null}
     * @param training      whether dropout (in LoRA layers) is active
     * @return logits {@code [B, T, vocab]}, in the manager of {@code inputIds}
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, KvCache cache, boolean training) {
        return forwardWith(inputIds, attentionMask, cache, training);
    }

    /**
     * Runs the decoder with a state of this model's kind ({@link #newState}: a {@link KvCache}).
     *
     * @param inputIds      {@code [B, T]} token ids (int64 or int32)
     * @param attentionMask {@code [B, S]} 1 for real tokens, 0 for padding ({@code S} cached plus new), or {@code null}
     * @param state         a {@link KvCache}, or {@code null}
     * @param training      whether dropout (in LoRA layers) is active
     * @return logits {@code [B, T, vocab]}, in the manager of {@code inputIds}
     * @throws IllegalArgumentException if {@code state} is not a {@link KvCache}
     */
    @Override
    public NDArray forward(NDArray inputIds, NDArray attentionMask, LmState state, boolean training) {
        Preconditions.checkArgument(state == null || state instanceof KvCache,
                "state must be a KvCache for a LlamaModel, was " + (state == null ? null : state.getClass().getName()));
        return forwardWith(inputIds, attentionMask, (KvCache) state, training);
    }

    /**
     * A new empty {@link KvCache} for this model, in a sub-manager of {@code parent}.
     *
     * @param parent the manager that owns the cache's arrays
     * @return the cache
     */
    @Override
    public LmState newState(NDManager parent) {
        return new KvCache(parent, config.numHiddenLayers());
    }

    /**
     * The vocabulary size of the configuration.
     *
     * @return {@code vocab_size}
     */
    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    /**
     * The longest sequence the model accepts ({@link LlamaConfig#contextLength()}).
     *
     * @return the context length
     */
    @Override
    public int contextLength() {
        return config.contextLength();
    }

    /**
     * The configuration's end-of-sequence token id, or -1.
     *
     * @return the token id or -1
     */
    @Override
    public int eosTokenId() {
        return config.eosTokenId();
    }

    private NDArray forwardWith(NDArray inputIds, NDArray attentionMask, KvCache cache, boolean training) {
        try (NDArray hidden = hiddenStates(inputIds, attentionMask, cache, training)) {
            NDArray logits = head.forward(hidden, training);
            if (logits.getDataType() != DataType.FLOAT32) {
                NDArray f = logits.toType(DataType.FLOAT32, false);
                logits.close();
                return f;
            }
            return logits;
        }
    }

    /**
     * The final normalised hidden states {@code [B, T, hidden]} (before the output head).
     *
     * @param inputIds token ids, [batch, length]
     * @param attentionMask 1 for a real token, 0 for padding, [batch, length]; null for none
     * @param cache the KV cache, or null for none
     * @param training the training settings
     * @return the hidden states
     */
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, KvCache cache, boolean training) {
        checkOpen();
        Preconditions.notNull(inputIds, "inputIds");
        Shape is = inputIds.getShape();
        Preconditions.checkArgument(is.dimension() == 2, "inputIds must be [batch, length], was " + is);
        int b = (int) is.get(0);
        int t = (int) is.get(1);
        Preconditions.checkArgument(t > 0, "inputIds must hold at least one position, was " + is);
        Preconditions.checkArgument(inputIds.getDevice().equals(manager.getDevice()), "inputIds are on "
                + inputIds.getDevice() + " but the model is on " + manager.getDevice()
                + "; create them in model.manager().newSubManager()");
        int past = cache == null ? 0 : (int) cache.length();
        int s = past + t;
        NDManager sm = inputIds.getManager();
        float[] maskHost = null;
        if (attentionMask != null) {
            Shape ms = attentionMask.getShape();
            Preconditions.checkArgument(ms.dimension() == 2 && ms.get(0) == b && ms.get(1) == s,
                    "attentionMask must be [" + b + ", " + s + "] (cached " + past + " + new " + t + "), was " + ms);
            if (attentionMask.getDataType() == DataType.FLOAT32) {
                maskHost = attentionMask.toFloatArray();
            } else {
                try (NDArray f = attentionMask.toType(DataType.FLOAT32, true)) {
                    maskHost = f.toFloatArray();
                }
            }
        }
        Preconditions.checkArgument(s <= config.contextLength(), "sequence length " + s
                + " exceeds the context length " + config.contextLength() + " (max_position_embeddings "
                + config.maxPositionEmbeddings() + ", rope_scaling " + config.ropeScaling() + ")");
        long[] ids;
        if (inputIds.getDataType() == DataType.INT64) {
            ids = inputIds.toLongArray();
        } else {
            try (NDArray l = inputIds.toType(DataType.INT64, true)) {
                ids = l.toLongArray();
            }
        }
        for (long id : ids) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, "
                        + config.vocabSize() + ")");
            }
        }
        // positions count real tokens only (left padding); rotary tables are [B, 1, T, headDim]
        int hd = config.headDim();
        int half = hd / 2;
        int[] positions = new int[b * t];
        int reach = 0;
        for (int bi = 0; bi < b; bi++) {
            int count = 0;
            for (int si = 0; si < past; si++) {
                if (maskHost == null || maskHost[bi * s + si] != 0f) {
                    count++;
                }
            }
            for (int ti = 0; ti < t; ti++) {
                boolean real = maskHost == null || maskHost[bi * s + past + ti] != 0f;
                int p = real ? count : Math.max(count - 1, 0);
                if (real) {
                    count++;
                }
                positions[bi * t + ti] = p;
                reach = Math.max(reach, p + 1);
            }
        }
        // dynamic NTK: the frequencies of this call's highest position (see RopeScaling#inverseFrequencies)
        float[] freq = config.ropeScaling().isDynamic() ? config.ropeScaling().inverseFrequencies(config.ropeTheta(),
                hd, config.maxPositionEmbeddings(), reach) : invFreq;
        // YaRN scales cos and sin (in float32, as transformers does); 1 for the other types
        float attention = (float) config.ropeScaling().attentionFactor();
        float[] cos = new float[b * t * hd];
        float[] sin = new float[b * t * hd];
        for (int bt = 0; bt < b * t; bt++) {
            int p = positions[bt];
            int base = bt * hd;
            for (int i = 0; i < half; i++) {
                float angle = p * freq[i];
                float c = (float) Math.cos(angle) * attention;
                float sn = (float) Math.sin(angle) * attention;
                cos[base + i] = c;
                cos[base + half + i] = c;
                sin[base + i] = sn;
                sin[base + half + i] = sn;
            }
        }
        NDArray cosA = sm.create(cos, new Shape(b, 1, t, hd));
        NDArray sinA = sm.create(sin, new Shape(b, 1, t, hd));
        if (computeType != DataType.FLOAT32) {
            cosA = cosA.toType(computeType, false);
            sinA = sinA.toType(computeType, false);
        }
        // additive masks [B or 1, 1, 1, T, S]: 0 where query t may see key s (causal and not padding), else -1e9;
        // they broadcast over key/value heads and the query group. Sliding layers (layer_types) get a second one.
        // A decode step (one new position) gets [B or 1, 1, 1, S], or no mask at all when every key is
        // visible (no padding, and for the window mask inside the window).
        boolean oneStep = t == 1 && maskHost == null;
        boolean windowed = config.slidingWindow() > 0 && config.layerTypes().contains(LlamaConfig.SLIDING_ATTENTION);
        NDArray fullMask = null;
        NDArray windowMask = null;
        boolean needFull = !oneStep;
        boolean needWindow = windowed && !(oneStep && s <= config.slidingWindow());
        if (needFull || needWindow) {
            NDArray keyPos = sm.arange(0f, (float) s, 1f).reshape(1, 1, 1, 1, s);
            NDArray queryPos = sm.arange((float) past, (float) (past + t), 1f).reshape(1, 1, 1, t, 1);
            NDArray allowed = keyPos.lte(queryPos);
            if (maskHost != null) {
                allowed = allowed.logicalAnd(sm.create(maskHost, new Shape(b, 1, 1, 1, s)).gt(0f));
            }
            if (needFull) {
                fullMask = additive(allowed, t, s);
            }
            if (needWindow) {
                // sliding window: query i sees key j only when i - j < window, with or without the cache
                windowMask = additive(allowed.logicalAnd(queryPos.sub(keyPos).lt((float) config.slidingWindow())), t, s);
            }
        }

        NDArray flatIds = sm.create(ids);
        NDArray x = embed.getArray().get(new NDIndex("{}", flatIds));
        x.attach(sm);
        if (x.getDataType() != computeType) {
            x = x.toType(computeType, false);
        }
        if (embedScale != null) {
            x = x.mul(embedScale);
        }
        NDArray h = x.reshape(b, t, config.hiddenSize());
        for (int li = 0; li < layers.size(); li++) {
            NDArray mask = config.isSlidingLayer(li) ? windowMask : fullMask;
            if (training) {
                h = layer(li, h, cosA, sinA, mask, cache, b, t, true);
            } else {
                // inference: free each layer's temporaries as soon as the layer is done
                try (NDManager scope = sm.newSubManager()) {
                    scope.tempAttachAll(h);
                    NDArray out = layer(li, h, cosA, sinA, mask, cache, b, t, false);
                    out.attach(sm);
                    h = out;
                }
            }
        }
        if (cache != null) {
            cache.advance(t);
        }
        return rmsNorm(h, finalNorm);
    }

    /** The additive form of a boolean visibility mask; one query position is reshaped to [B or 1, 1, 1, S]. */
    private static NDArray additive(NDArray allowed, int t, int s) {
        NDArray mask = allowed.toType(DataType.FLOAT32, false).sub(1f).mul(-MASKED);
        return t == 1 ? mask.reshape(mask.getShape().get(0), 1, 1, s) : mask;
    }

    private NDArray layer(int li, NDArray h, NDArray cos, NDArray sin, NDArray mask, KvCache cache, int b, int t,
                          boolean training) {
        Layer l = layers.get(li);
        NDArray normed = rmsNorm(h, l.inputNorm);
        NDArray attn = attention(li, l, normed, cos, sin, mask, cache, b, t, training);
        NDArray h2 = h.add(attn);
        NDArray normed2 = rmsNorm(h2, l.postNorm);
        NDArray gate = l.gate.forward(normed2, training);
        NDArray act = gate.mul(Activation.sigmoid(gate));
        NDArray up = l.up.forward(normed2, training);
        NDArray mlp = l.down.forward(act.mul(up), training);
        return h2.add(mlp);
    }

    private NDArray rmsNorm(NDArray x, Parameter weight) {
        if (x.getDataType() != DataType.FLOAT32) {
            // half-precision compute: the norm in F32, as transformers computes it, then back
            NDArray f = x.toType(DataType.FLOAT32, false);
            return rmsNormF32(f, weight).toType(x.getDataType(), false);
        }
        return rmsNormF32(x, weight);
    }

    private NDArray rmsNormF32(NDArray x, Parameter weight) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        NDArray inv = variance.add(epsScalar).sqrt();
        return x.div(inv).mul(weight.getArray());
    }

    private static NDArray rotate(NDArray x, NDArray cos, NDArray sin, int half) {
        NDArray x1 = x.get(new NDIndex("..., :" + half));
        NDArray x2 = x.get(new NDIndex("..., " + half + ":"));
        NDArray rotated = NDArrays.concat(new ai.djl.ndarray.NDList(x2.neg(), x1), -1);
        return x.mul(cos).add(rotated.mul(sin));
    }

    private NDArray attention(int li, Layer l, NDArray x, NDArray cos, NDArray sin, NDArray mask, KvCache cache,
                              int b, int t, boolean training) {
        int nh = config.numAttentionHeads();
        int nkv = config.numKeyValueHeads();
        int hd = config.headDim();
        int group = config.groupSize();
        NDArray q = l.q.forward(x, training).reshape(b, t, nh, hd);
        NDArray k = l.k.forward(x, training).reshape(b, t, nkv, hd);
        if (l.qNorm != null) {
            // Qwen3: RMSNorm over each head of q and k, before the rotary embedding
            q = rmsNorm(q, l.qNorm);
            k = rmsNorm(k, l.kNorm);
        }
        q = q.transpose(0, 2, 1, 3);
        k = k.transpose(0, 2, 1, 3);
        NDArray v = l.v.forward(x, training).reshape(b, t, nkv, hd).transpose(0, 2, 1, 3);
        q = rotate(q, cos, sin, hd / 2);
        k = rotate(k, cos, sin, hd / 2);
        if (cache != null) {
            NDArray[] kv = cache.append(li, k, v);
            k = kv[0];
            v = kv[1];
        }
        // queries grouped per key/value head, without repeating the keys: [B, kv, group * T, hd] (rows in
        // (query head in the group, position) order) against keys [B, kv, S, hd]; plain 4-D products
        long s = k.getShape().get(2);
        NDArray kt = k.transpose(0, 1, 3, 2);
        // cached arrays belong to the cache: keep what is derived from them in this step's manager
        kt.attach(x.getManager());
        NDArray scores = q.reshape(b, nkv, (long) group * t, hd).matMul(kt).mul(attentionScale);
        if (mask != null) {
            if (mask.getShape().dimension() == 4) {
                scores = scores.add(mask);   // one query position: [B or 1, 1, 1, S] broadcasts over the rows
            } else {
                scores = scores.reshape(b, nkv, group, t, s).add(mask).reshape(b, nkv, (long) group * t, s);
            }
        }
        if (scores.getDataType() != DataType.FLOAT32) {
            scores = scores.toType(DataType.FLOAT32, false);
        }
        NDArray probs = scores.softmax(-1);
        if (probs.getDataType() != v.getDataType()) {
            probs = probs.toType(v.getDataType(), false);
        }
        NDArray out = probs.matMul(v).reshape(b, nh, t, hd).transpose(0, 2, 1, 3).reshape(b, t, (long) nh * hd);
        return l.o.forward(out, training);
    }

    private void checkOpen() {
        Preconditions.checkState(!closed, "LlamaModel is closed");
    }

    /** Frees the weights; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        manager.close();
    }

    @Override
    public String toString() {
        return "LlamaModel[" + config + ", " + manager.getDevice() + "]";
    }
}
