package dev.keel.core.lm.rwkv;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import dev.keel.core.device.Devices;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.CheckpointTensors;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.LinearLayer;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.LmState;
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
 * An RWKV-4 language model (Peng et al. 2023) on DJL, in the checkpoint layout of transformers'
 * {@code RwkvForCausalLM} ({@code rwkv.embeddings.weight}, {@code rwkv.blocks.0.attention.key.weight}, ...,
 * {@code head.weight}).
 *
 * <p>Each block: (block 0 only: {@code pre_ln}), then time mixing on {@code ln1(x)} and channel mixing
 * on {@code ln2(x)}, each added to the residual stream. Both mix the current input with the previous
 * position's (token shift {@code x' = mu * x_t + (1 - mu) * x_(t-1)}). Time mixing computes keys, values
 * and a receptance, and the weighted average
 * {@code wkv_t = (sum_(s<t) e^(-(t-1-s)w + k_s) v_s + e^(u + k_t) v_t) / (the same without v)} with a
 * per-channel decay {@code w = exp(time_decay)} and bonus {@code u = time_first}; the output is
 * {@code output(sigmoid(r) * wkv)}. Channel mixing is {@code sigmoid(receptance(x')) * value(relu(key(x'))^2)}.
 * Then {@code ln_out} and the head.
 *
 * <p>Two forms compute the same numbers: the parallel form (several positions at once; the wkv sums
 * of chunks of {@value #CHUNK} positions are computed at once, the state carried between chunks, every
 * exponent taken relative to a running maximum so that nothing overflows; differentiable, used for
 * training and prompts) and the recurrent form (one position: the constant-size {@link RwkvState} of
 * numerator, denominator and log-space maximum per channel, used for generation). With
 * {@code rescale_every > 0}, inference rescales as transformers does (see {@link RwkvConfig#rescaleEvery()}).
 *
 * <p>Padding ({@code attentionMask} 0) is handled for left padding and right padding: a padded position
 * contributes nothing to the wkv sums and its token-shift input is zero, so the first real position sees
 * the same as a sequence without padding.
 *
 * <pre>{@code
 * try (RwkvModel model = RwkvModel.load(Path.of("rwkv-dir"), Device.cpu());
 *      NDManager step = model.manager().newSubManager();
 *      LmState state = model.newState(step)) {
 *     NDArray prompt = model.forward(step.create(new long[][] {{5, 9, 2}}), null, state, false);
 *     NDArray next = model.forward(step.create(new long[][] {{7}}), null, state, false);   // one step
 * }
 * }</pre>
 */
public final class RwkvModel implements CausalLm {

    /** Positions whose wkv sums the parallel form computes at once. */
    public static final int CHUNK = 16;

    /** The weight prefix of the backbone. */
    public static final String PREFIX = "rwkv.";

    private static final float NEG = -1e30f;
    private static final float EMPTY_MAX = -1e38f;

    private final RwkvConfig config;
    private final NDManager manager;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, LinearLayer> linears = new LinkedHashMap<>();
    private final Parameter embed;
    private final Parameter preLnW;
    private final Parameter preLnB;
    private final Parameter lnOutW;
    private final Parameter lnOutB;
    private final LinearLayer head;
    private final List<Block> blocks = new ArrayList<>();
    private final NDArray eps;
    private final NDArray outEps;
    private final NDArray[] rescale;
    private final NDArray half;
    private boolean baseTrainable;
    private boolean closed;

    private static final class Block {
        Parameter ln1w;
        Parameter ln1b;
        Parameter ln2w;
        Parameter ln2b;
        Parameter decay;
        Parameter first;
        Parameter attMixK;
        Parameter attMixV;
        Parameter attMixR;
        LinearLayer key;
        LinearLayer value;
        LinearLayer receptance;
        LinearLayer output;
        Parameter ffnMixK;
        Parameter ffnMixR;
        LinearLayer ffnKey;
        LinearLayer ffnReceptance;
        LinearLayer ffnValue;
    }

    private RwkvModel(RwkvConfig config, NDManager manager, Map<String, NDArray> weights) {
        this.config = config;
        this.manager = manager;
        this.embed = param(PREFIX + "embeddings.weight", weights);
        Parameter pw = null;
        Parameter pb = null;
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = PREFIX + "blocks." + i + ".";
            if (i == 0) {
                pw = param(p + "pre_ln.weight", weights);
                pb = param(p + "pre_ln.bias", weights);
            }
            Block b = new Block();
            b.ln1w = param(p + "ln1.weight", weights);
            b.ln1b = param(p + "ln1.bias", weights);
            b.ln2w = param(p + "ln2.weight", weights);
            b.ln2b = param(p + "ln2.bias", weights);
            b.decay = param(p + "attention.time_decay", weights);
            b.first = param(p + "attention.time_first", weights);
            b.attMixK = param(p + "attention.time_mix_key", weights);
            b.attMixV = param(p + "attention.time_mix_value", weights);
            b.attMixR = param(p + "attention.time_mix_receptance", weights);
            b.key = linear(p + "attention.key", weights);
            b.value = linear(p + "attention.value", weights);
            b.receptance = linear(p + "attention.receptance", weights);
            b.output = linear(p + "attention.output", weights);
            b.ffnMixK = param(p + "feed_forward.time_mix_key", weights);
            b.ffnMixR = param(p + "feed_forward.time_mix_receptance", weights);
            b.ffnKey = linear(p + "feed_forward.key", weights);
            b.ffnReceptance = linear(p + "feed_forward.receptance", weights);
            b.ffnValue = linear(p + "feed_forward.value", weights);
            blocks.add(b);
        }
        this.preLnW = pw;
        this.preLnB = pb;
        this.lnOutW = param(PREFIX + "ln_out.weight", weights);
        this.lnOutB = param(PREFIX + "ln_out.bias", weights);
        if (config.tieWordEmbeddings()) {
            this.head = new LinearLayer("head", embed);
            linears.put("head", head);
        } else {
            this.head = linear("head", weights);
        }
        this.eps = manager.create((float) config.layerNormEpsilon());
        this.outEps = manager.create(1e-5f);
        this.half = manager.create(0.5f);
        this.rescale = new NDArray[config.numHiddenLayers()];
        if (config.rescaleEvery() > 0) {
            for (int i = 0; i < rescale.length; i++) {
                int k = i / config.rescaleEvery();
                rescale[i] = k == 0 ? null : manager.create((float) Math.scalb(1.0, -k));
            }
        }
    }

    private Parameter param(String name, Map<String, NDArray> weights) {
        NDArray a = weights.get(name);
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optRequiresGrad(false).build();
        p.setArray(a);
        parameters.put(name, p);
        return p;
    }

    private LinearLayer linear(String module, Map<String, NDArray> weights) {
        LinearLayer l = new LinearLayer(module, param(module + ".weight", weights));
        linears.put(module, l);
        return l;
    }

    /**
     * The shapes of every weight the checkpoint must hold, by transformers' name.
     *
     * @param c the configuration
     * @return the expected shapes, in model order
     */
    public static Map<String, long[]> expectedShapes(RwkvConfig c) {
        Preconditions.notNull(c, "config");
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long a = c.attentionHiddenSize();
        long im = c.intermediateSize();
        m.put(PREFIX + "embeddings.weight", new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = PREFIX + "blocks." + i + ".";
            if (i == 0) {
                m.put(p + "pre_ln.weight", new long[] {h});
                m.put(p + "pre_ln.bias", new long[] {h});
            }
            m.put(p + "ln1.weight", new long[] {h});
            m.put(p + "ln1.bias", new long[] {h});
            m.put(p + "ln2.weight", new long[] {h});
            m.put(p + "ln2.bias", new long[] {h});
            m.put(p + "attention.time_decay", new long[] {a});
            m.put(p + "attention.time_first", new long[] {a});
            m.put(p + "attention.time_mix_key", new long[] {1, 1, h});
            m.put(p + "attention.time_mix_value", new long[] {1, 1, h});
            m.put(p + "attention.time_mix_receptance", new long[] {1, 1, h});
            m.put(p + "attention.key.weight", new long[] {a, h});
            m.put(p + "attention.value.weight", new long[] {a, h});
            m.put(p + "attention.receptance.weight", new long[] {a, h});
            m.put(p + "attention.output.weight", new long[] {h, a});
            m.put(p + "feed_forward.time_mix_key", new long[] {1, 1, h});
            m.put(p + "feed_forward.time_mix_receptance", new long[] {1, 1, h});
            m.put(p + "feed_forward.key.weight", new long[] {im, h});
            m.put(p + "feed_forward.receptance.weight", new long[] {h, h});
            m.put(p + "feed_forward.value.weight", new long[] {h, im});
        }
        m.put(PREFIX + "ln_out.weight", new long[] {h});
        m.put(PREFIX + "ln_out.bias", new long[] {h});
        if (!c.tieWordEmbeddings()) {
            m.put("head.weight", new long[] {c.vocabSize(), h});
        }
        return m;
    }

    /**
     * Loads {@code config.json} and the safetensors weights of a model directory onto {@code device}.
     *
     * @param dir the directory
     * @param device the device
     * @return the model (the caller closes it)
     * @throws IOException if a file cannot be read, or a tensor is missing, misshapen or would be unused
     */
    public static RwkvModel load(Path dir, Device device) throws IOException {
        Preconditions.notNull(dir, "dir");
        Preconditions.notNull(device, "device");
        Devices.requirePyTorch("RwkvModel");
        RwkvConfig config = RwkvConfig.fromJson(dir);
        NDManager m = NDManager.newBaseManager(device);
        try (TensorSource source = TensorSource.open(dir)) {
            return fromTensors(config, source, m);
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
     * @throws IOException if a file cannot be read, or a tensor is missing, misshapen or would be unused
     */
    public static RwkvModel load(Path dir, NDManager parent) throws IOException {
        Preconditions.notNull(dir, "dir");
        Preconditions.notNull(parent, "parent");
        RwkvConfig config = RwkvConfig.fromJson(dir);
        NDManager m = parent.newSubManager();
        try (TensorSource source = TensorSource.open(dir)) {
            return fromTensors(config, source, m);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Builds a model from the tensors of {@code source}, exactly or not at all: every tensor
     * {@link #expectedShapes} lists must be present with its shape and a floating-point dtype (it is
     * kept in F32), and every tensor of the checkpoint must be used (a {@code head.weight} equal to the
     * embedding of a tied model excepted).
     *
     * @param config the configuration
     * @param source the tensors
     * @param manager the manager that owns the arrays (closed by {@link #close()})
     * @return the model
     * @throws IOException if a tensor is missing, misshapen, not floating point or would be unused (named)
     */
    public static RwkvModel fromTensors(RwkvConfig config, TensorSource source, NDManager manager) throws IOException {
        Preconditions.notNull(config, "config");
        Preconditions.notNull(source, "source");
        Preconditions.notNull(manager, "manager");
        Map<String, long[]> expected = expectedShapes(config);
        boolean tiedHeadStored = CheckpointTensors.check(source, expected, config, name -> false, "head.weight",
                config.tieWordEmbeddings());
        Map<String, NDArray> weights = new LinkedHashMap<>();
        try {
            for (String name : expected.keySet()) {
                NDArray a = source.load(manager, name);
                if (a.getDataType() != DataType.FLOAT32) {
                    NDArray f = a.toType(DataType.FLOAT32, false);
                    a.close();
                    a = f;
                }
                weights.put(name, a);
            }
            if (tiedHeadStored) {
                TensorInfo info = source.info("head.weight");
                boolean same = Arrays.equals(info.shape(), expected.get(PREFIX + "embeddings.weight"));
                if (same) {
                    try (NDArray h = source.load(manager, "head.weight");
                         NDArray hf = h.toType(DataType.FLOAT32, false)) {
                        same = hf.contentEquals(weights.get(PREFIX + "embeddings.weight"));
                    }
                }
                if (!same) {
                    throw new IOException("checkpoint tensor [head.weight] differs from rwkv.embeddings.weight while "
                            + "tie_word_embeddings is true; it would be left unused");
                }
            }
        } catch (IOException | RuntimeException e) {
            weights.values().forEach(NDArray::close);
            throw e;
        }
        return new RwkvModel(config, manager, weights);
    }

    /**
     * A randomly initialised model, reproducible from {@code seed}: matrices and embedding normal with std
     * 0.02, layer norms at weight 1 and bias 0, and transformers' RWKV initialisation of the time
     * parameters (decay speeds from -5 to 3 across channels, steeper in later blocks; bonus
     * {@code log 0.3} plus a zigzag; token-shift mixes from 0 to 1 across channels, closer to 1 in
     * earlier blocks).
     *
     * @param config the configuration
     * @param seed the seed
     * @param parent the manager that owns the new arrays (a sub-manager is made)
     * @return the model
     */
    public static RwkvModel random(RwkvConfig config, long seed, NDManager parent) {
        Preconditions.notNull(config, "config");
        Preconditions.notNull(parent, "parent");
        NDManager m = parent.newSubManager();
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, NDArray> weights = new LinkedHashMap<>();
        int layers = config.numHiddenLayers();
        int h = config.hiddenSize();
        int a = config.attentionHiddenSize();
        for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
            String name = e.getKey();
            long[] s = e.getValue();
            int n = Math.toIntExact(Arrays.stream(s).reduce(1, (x, y) -> x * y));
            float[] v = new float[n];
            int layer = name.startsWith(PREFIX + "blocks.") ? Integer.parseInt(name.split("\\.")[2]) : 0;
            double ratio01 = layers > 1 ? (double) layer / (layers - 1) : 0.0;
            double ratio10 = 1.0 - (double) layer / layers;
            if (name.endsWith("time_decay")) {
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (-5 + 8 * Math.pow(a > 1 ? (double) i / (a - 1) : 0.0, 0.7 + 1.3 * ratio01));
                }
            } else if (name.endsWith("time_first")) {
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (Math.log(0.3) + ((i + 1) % 3 - 1) * 0.5);
                }
            } else if (name.contains("time_mix_")) {
                double power = name.endsWith("attention.time_mix_receptance") ? 0.5 * ratio10 : ratio10;
                double extra = name.endsWith("attention.time_mix_value") ? 0.3 * ratio01 : 0.0;
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (Math.pow((double) i / h, power) + extra);
                }
            } else if (name.endsWith(".bias")) {
                Arrays.fill(v, 0f);
            } else if (s.length == 1) {
                Arrays.fill(v, 1f);
            } else {
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (gaussian(rnd) * 0.02);
                }
            }
            weights.put(name, m.create(v, new Shape(s)));
        }
        return new RwkvModel(config, m, weights);
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * Saves {@code config.json} and {@code model.safetensors} (F32) to {@code dir}, each file atomically;
     * {@link #load} reads them back bit-identical.
     *
     * @param dir the directory
     * @throws IOException if a file cannot be written
     */
    @Override
    public void save(Path dir) throws IOException {
        checkOpen();
        Preconditions.notNull(dir, "dir");
        Files.createDirectories(dir);
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            arrays.put(e.getKey(), e.getValue().getArray());
        }
        SafeTensors.write(dir.resolve("model.safetensors"), arrays, DType.F32);
        Files.deleteIfExists(dir.resolve("model.safetensors.index.json"));
        AtomicFiles.writeString(dir.resolve("config.json"),
                Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(config.toJson()) + "\n");
    }

    /**
     * The configuration.
     *
     * @return the configuration
     */
    public RwkvConfig config() {
        return config;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    /**
     * The configuration's {@code context_length}: the recurrence has no limit, but generation stops there.
     *
     * @return the context length
     */
    @Override
    public int contextLength() {
        return config.contextLength();
    }

    @Override
    public int eosTokenId() {
        return config.eosTokenId();
    }

    /**
     * The weights by transformers' name (a tied head listed once, as the embedding).
     *
     * @return the parameters, in model order
     */
    @Override
    public Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * The linear layers by module path ({@code rwkv.blocks.0.attention.key}, ...,
     * {@code rwkv.blocks.0.feed_forward.value}, {@code head} last).
     *
     * @return the linear layers
     */
    @Override
    public Map<String, LinearLayer> linearLayers() {
        return Collections.unmodifiableMap(linears);
    }

    @Override
    public boolean isBaseTrainable() {
        return baseTrainable;
    }

    @Override
    public void setBaseTrainable(boolean trainable) {
        checkOpen();
        for (Parameter p : parameters.values()) {
            p.freeze(!trainable);
        }
        baseTrainable = trainable;
    }

    /**
     * A new empty {@link RwkvState} in a sub-manager of {@code parent}.
     *
     * @param parent the manager that owns the state's arrays
     * @return the state
     */
    @Override
    public RwkvState newState(NDManager parent) {
        checkOpen();
        return new RwkvState(parent, config.numHiddenLayers());
    }

    /**
     * Logits {@code [B, T, vocab]} for {@code inputIds} {@code [B, T]}, without state or padding, in inference form.
     *
     * @param inputIds token ids
     * @return the logits
     */
    public NDArray forward(NDArray inputIds) {
        return forward(inputIds, null, null, false);
    }

    /**
     * Runs the model: one position with a non-empty state in the recurrent form, otherwise the parallel form.
     *
     * @param inputIds      {@code [B, T]} token ids (int64 or int32)
     * @param attentionMask {@code [B, S]} 1 for real tokens, 0 for padding, with {@code S} the state's length
     *                      plus {@code T} (only the last {@code T} columns are read), or {@code null}
     * @param state         an {@link RwkvState} of this model to continue from and update, or {@code null}
     * @param training      whether dropout (in LoRA layers) is active; training computes without
     *                      {@code rescale_every}'s inference rescaling, as transformers does
     * @return logits {@code [B, T, vocab]}, in the manager of {@code inputIds}
     * @throws IllegalArgumentException if the ids, mask or state do not fit the model
     */
    @Override
    public NDArray forward(NDArray inputIds, NDArray attentionMask, LmState state, boolean training) {
        try (NDArray hidden = hiddenStates(inputIds, attentionMask, state, training)) {
            return head.forward(hidden, training);
        }
    }

    /**
     * The hidden states after {@code ln_out} ({@code [B, T, hidden]}, before the head); see {@link #forward}.
     *
     * @param inputIds      {@code [B, T]} token ids
     * @param attentionMask {@code [B, S]} padding mask, or {@code null}
     * @param lmState       an {@link RwkvState} of this model, or {@code null}
     * @param training      whether the training form is used
     * @return the hidden states, in the manager of {@code inputIds}
     * @throws IllegalArgumentException if the ids, mask or state do not fit the model
     */
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, LmState lmState, boolean training) {
        checkOpen();
        Preconditions.notNull(inputIds, "inputIds");
        Preconditions.checkArgument(lmState == null || lmState instanceof RwkvState,
                "state must be an RwkvState for an RwkvModel, was " + (lmState == null ? null : lmState.getClass().getName()));
        RwkvState state = (RwkvState) lmState;
        Shape is = inputIds.getShape();
        Preconditions.checkArgument(is.dimension() == 2, "inputIds must be [batch, length], was " + is);
        int b = (int) is.get(0);
        int t = (int) is.get(1);
        Preconditions.checkArgument(t > 0 && b > 0, "inputIds must hold at least one position, was " + is);
        Preconditions.checkArgument(inputIds.getDevice().equals(manager.getDevice()), "inputIds are on "
                + inputIds.getDevice() + " but the model is on " + manager.getDevice()
                + "; create them in model.manager().newSubManager()");
        if (state != null && !state.isEmpty()) {
            Preconditions.checkArgument(state.batchSize() == b, "state holds " + state.batchSize()
                    + " sequences, inputIds " + b);
        }
        long past = state == null ? 0 : state.length();
        NDManager sm = inputIds.getManager();
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
        // padding: real [B, T, 1] (1 or 0) multiplies the token-shift inputs; kBias [B, T, 1] (0 or -1e30)
        // removes a padded position's key from the wkv sums
        NDArray real = null;
        NDArray kBias = null;
        if (attentionMask != null) {
            Shape ms = attentionMask.getShape();
            Preconditions.checkArgument(ms.dimension() == 2 && ms.get(0) == b && ms.get(1) == past + t,
                    "attentionMask must be [" + b + ", " + (past + t) + "] (state " + past + " + new " + t + "), was " + ms);
            float[] mh;
            try (NDArray f = attentionMask.toType(DataType.FLOAT32, true)) {
                mh = f.toFloatArray();
            }
            boolean any = false;
            float[] r = new float[b * t];
            float[] kb = new float[b * t];
            for (int bi = 0; bi < b; bi++) {
                for (int ti = 0; ti < t; ti++) {
                    boolean on = mh[(int) (bi * (past + t) + past + ti)] != 0f;
                    r[bi * t + ti] = on ? 1f : 0f;
                    kb[bi * t + ti] = on ? 0f : NEG;
                    any |= !on;
                }
            }
            if (any) {
                real = sm.create(r, new Shape(b, t, 1));
                kBias = sm.create(kb, new Shape(b, t, 1));
            }
        }
        NDArray x = embed.getArray().get(new NDIndex("{}", sm.create(ids)));
        x.attach(sm);
        x = x.reshape(b, t, config.hiddenSize());
        boolean rescaling = !training && config.rescaleEvery() > 0;
        for (int i = 0; i < blocks.size(); i++) {
            if (training) {
                x = block(i, x, real, kBias, state, rescaling, training);
            } else {
                try (NDManager scope = sm.newSubManager()) {
                    scope.tempAttachAll(x);
                    if (real != null) {
                        scope.tempAttachAll(real, kBias);
                    }
                    NDArray out = block(i, x, real, kBias, state, rescaling, false);
                    out.attach(sm);
                    x = out;
                }
            }
        }
        if (state != null) {
            state.advance(b, t);
        }
        return layerNorm(x, lnOutW, lnOutB, outEps);
    }

    private NDArray block(int i, NDArray x, NDArray real, NDArray kBias, RwkvState state, boolean rescaling,
                          boolean training) {
        Block bl = blocks.get(i);
        NDManager sm = x.getManager();
        boolean fromState = state != null && !state.isEmpty();
        if (i == 0) {
            x = layerNorm(x, preLnW, preLnB, eps);
        }
        // time mixing
        NDArray xa = layerNorm(x, bl.ln1w, bl.ln1b, eps);
        if (real != null) {
            xa = xa.mul(real);
        }
        NDArray shifted = shift(xa, fromState ? state.read(i, RwkvState.ATT_SHIFT, sm) : null);
        NDArray k = bl.key.forward(mix(xa, shifted, bl.attMixK), training);
        NDArray v = bl.value.forward(mix(xa, shifted, bl.attMixV), training);
        NDArray r = Activation.sigmoid(bl.receptance.forward(mix(xa, shifted, bl.attMixR), training));
        if (kBias != null) {
            k = k.add(kBias);
        }
        NDArray w = bl.decay.getArray().exp();
        w.attach(sm);
        NDArray u = bl.first.getArray();
        long b = x.getShape().get(0);
        long a = config.attentionHiddenSize();
        NDArray num;
        NDArray den;
        NDArray max;
        if (fromState) {
            num = state.read(i, RwkvState.NUM, sm);
            den = state.read(i, RwkvState.DEN, sm);
            max = state.read(i, RwkvState.MAX, sm);
        } else {
            num = sm.zeros(new Shape(b, 1, a));
            den = sm.zeros(new Shape(b, 1, a));
            max = sm.full(new Shape(b, 1, a), EMPTY_MAX);
        }
        NDArray[] wkv = x.getShape().get(1) == 1 ? wkvStep(k, v, w, u, num, den, max)
                : wkvChunked(k, v, w, u, num, den, max);
        NDArray att = bl.output.forward(r.mul(wkv[0]), training);
        if (rescaling && rescale[i] != null) {
            att = att.mul(rescale[i]);
        }
        x = x.add(att);
        // channel mixing
        NDArray xf = layerNorm(x, bl.ln2w, bl.ln2b, eps);
        if (real != null) {
            xf = xf.mul(real);
        }
        NDArray shiftedF = shift(xf, fromState ? state.read(i, RwkvState.FFN_SHIFT, sm) : null);
        NDArray kk = Activation.relu(bl.ffnKey.forward(mix(xf, shiftedF, bl.ffnMixK), training)).square();
        NDArray vv = bl.ffnValue.forward(kk, training);
        NDArray rr = Activation.sigmoid(bl.ffnReceptance.forward(mix(xf, shiftedF, bl.ffnMixR), training));
        NDArray ffn = rr.mul(vv);
        if (rescaling && rescale[i] != null) {
            ffn = ffn.mul(rescale[i]);
        }
        x = x.add(ffn);
        if (rescaling && (i + 1) % config.rescaleEvery() == 0) {
            x = x.mul(half);
        }
        if (state != null) {
            long t = xa.getShape().get(1);
            String last = ":, " + (t - 1) + ":" + t + ", :";
            state.write(i, RwkvState.ATT_SHIFT, xa.get(new NDIndex(last)).duplicate());
            state.write(i, RwkvState.FFN_SHIFT, xf.get(new NDIndex(last)).duplicate());
            state.write(i, RwkvState.NUM, wkv[1]);
            state.write(i, RwkvState.DEN, wkv[2]);
            state.write(i, RwkvState.MAX, wkv[3]);
        }
        return x;
    }

    /** {@code x * mu + prev * (1 - mu)}, written as {@code prev + (x - prev) * mu}. */
    private static NDArray mix(NDArray x, NDArray prev, Parameter mu) {
        return prev.add(x.sub(prev).mul(mu.getArray()));
    }

    /** The previous position's input, [B, T, C]: the state's (or zeros) at position 0. */
    private static NDArray shift(NDArray x, NDArray prev) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long c = x.getShape().get(2);
        NDArray first = prev != null ? prev : x.getManager().zeros(new Shape(b, 1, c));
        if (t == 1) {
            return first;
        }
        return NDArrays.concat(new NDList(first, x.get(new NDIndex(":, :" + (t - 1) + ", :"))), 1);
    }

    /**
     * The recurrent form for one position ([B, 1, A]): returns wkv and the new numerator, denominator and maximum.
     */
    private static NDArray[] wkvStep(NDArray k, NDArray v, NDArray w, NDArray u, NDArray num, NDArray den,
                                     NDArray max) {
        NDArray uk = k.add(u);
        NDArray p = NDArrays.maximum(max, uk).stopGradient();
        NDArray e1 = max.sub(p).exp();
        NDArray e2 = uk.sub(p).exp();
        NDArray out = e1.mul(num).add(e2.mul(v)).div(e1.mul(den).add(e2));
        NDArray decayed = max.sub(w);
        NDArray q = NDArrays.maximum(decayed, k).stopGradient();
        NDArray f1 = decayed.sub(q).exp();
        NDArray f2 = k.sub(q).exp();
        return new NDArray[] {out, f1.mul(num).add(f2.mul(v)), f1.mul(den).add(f2), q};
    }

    /**
     * The parallel form over T positions ([B, T, A]) in chunks of {@link #CHUNK}: within a chunk the
     * contributions of every earlier position of the chunk, of the position itself (with the bonus u)
     * and of the state before the chunk are summed at once, each exponent relative to their maximum.
     */
    private static NDArray[] wkvChunked(NDArray k, NDArray v, NDArray w, NDArray u, NDArray num, NDArray den,
                                        NDArray max) {
        NDManager sm = k.getManager();
        long t = k.getShape().get(1);
        NDList outs = new NDList();
        for (long c0 = 0; c0 < t; c0 += CHUNK) {
            long len = Math.min(CHUNK, t - c0);
            NDArray kc = len == t ? k : k.get(new NDIndex(":, " + c0 + ":" + (c0 + len) + ", :"));
            NDArray vc = len == t ? v : v.get(new NDIndex(":, " + c0 + ":" + (c0 + len) + ", :"));
            int l = (int) len;
            float[] dist = new float[l * l];
            float[] bias = new float[l * l];
            float[] pos = new float[l];
            float[] back = new float[l];
            for (int i = 0; i < l; i++) {
                pos[i] = i;
                back[i] = l - 1 - i;
                for (int j = 0; j < l; j++) {
                    dist[i * l + j] = j < i ? i - 1 - j : 0;
                    bias[i * l + j] = j < i ? 0 : NEG;
                }
            }
            NDArray distA = sm.create(dist, new Shape(1, l, l, 1));
            NDArray biasA = sm.create(bias, new Shape(1, l, l, 1));
            NDArray posA = sm.create(pos, new Shape(1, l, 1));
            NDArray backA = sm.create(back, new Shape(1, l, 1));
            // e[b, t, s, a] = k_s - (t - 1 - s) w for s < t; the diagonal term u + k_t; the state's max - t w
            NDArray kRow = kc.expandDims(1);                                   // [B, 1, L, A]
            NDArray e = kRow.sub(distA.mul(w)).add(biasA);                     // [B, L, L, A]
            NDArray diag = kc.add(u);                                          // [B, L, A]
            NDArray prev = max.sub(posA.mul(w));                               // [B, L, A]
            NDArray m = NDArrays.maximum(NDArrays.maximum(e.max(new int[] {2}), diag), prev).stopGradient();
            NDArray ee = e.sub(m.expandDims(2)).exp();
            NDArray ed = diag.sub(m).exp();
            NDArray ep = prev.sub(m).exp();
            NDArray n = ee.mul(vc.expandDims(1)).sum(new int[] {2}).add(ed.mul(vc)).add(ep.mul(num));
            NDArray d = ee.sum(new int[] {2}).add(ed).add(ep.mul(den));
            outs.add(n.div(d));
            // the state after the chunk: sum_s e^(k_s - (L-1-s) w) (v_s | 1) + e^(max - L w) (num | den)
            NDArray es = kc.sub(backA.mul(w));                                 // [B, L, A]
            NDArray ps = max.sub(w.mul(sm.create((float) len)));                          // [B, 1, A]
            NDArray q = NDArrays.maximum(es.max(new int[] {1}, true), ps).stopGradient();
            NDArray fs = es.sub(q).exp();
            NDArray fp = ps.sub(q).exp();
            num = fs.mul(vc).sum(new int[] {1}, true).add(fp.mul(num));
            den = fs.sum(new int[] {1}, true).add(fp.mul(den));
            max = q;
        }
        NDArray out = outs.size() == 1 ? outs.get(0) : NDArrays.concat(outs, 1);
        return new NDArray[] {out, num, den, max};
    }

    private static NDArray layerNorm(NDArray x, Parameter weight, Parameter bias, NDArray eps) {
        NDArray mean = x.mean(new int[] {-1}, true);
        NDArray centred = x.sub(mean);
        NDArray var = centred.square().mean(new int[] {-1}, true);
        return centred.div(var.add(eps).sqrt()).mul(weight.getArray()).add(bias.getArray());
    }

    private void checkOpen() {
        Preconditions.checkState(!closed, "RwkvModel is closed");
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
        return "RwkvModel[" + config + ", " + manager.getDevice() + "]";
    }
}
