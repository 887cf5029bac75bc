package dev.keel.core.lm.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.keel.core.internal.Preconditions;
import dev.keel.core.internal.AtomicFiles;
import dev.keel.core.internal.Json;
import dev.keel.core.internal.LinearLayer;
import dev.keel.core.lm.CausalLm;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.safetensors.SafeTensors;
import dev.keel.core.lm.safetensors.SafeTensorsFile;
import dev.keel.core.lm.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A LoRA adapter attached to the linear layers of a {@link CausalLm} (e.g. a {@link LlamaModel}) that its {@link LoraConfig}
 * targets. New adapters are initialised as PEFT does ({@code lora_A} Kaiming-uniform with
 * {@code a = sqrt(5)}, i.e. uniform in {@code ±1/sqrt(in)}; {@code lora_B} zero), so they start as
 * the identity. The base weights stay frozen; the adapter's parameters take gradients.
 *
 * <p>Saved and loaded in PEFT's layout: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module path>.lora_A.weight}.
 * {@link #close()} detaches the adapter from the model (unmerging first) and frees its arrays.
 *
 * <pre>{@code
 * try (LoraAdapter lora = LoraAdapter.create(model, LoraConfig.builder().rank(8).alpha(16).build(), 42)) {
 *     ... train lora.parameters() ...
 *     lora.save(Path.of("adapter"));
 * }
 * }</pre>
 */
public final class LoraAdapter implements AutoCloseable {

    /** The prefix PEFT puts before module paths in {@code adapter_model.safetensors}. */
    public static final String PEFT_PREFIX = "base_model.model.";

    private final CausalLm model;
    private final LoraConfig config;
    private final NDManager manager;
    private final Map<String, LoraLayer> layers;
    private final Map<String, Parameter> parameters;
    private boolean merged;
    private boolean closed;

    private LoraAdapter(CausalLm model, LoraConfig config, NDManager manager, Map<String, LoraLayer> layers) {
        this.model = model;
        this.config = config;
        this.manager = manager;
        this.layers = Collections.unmodifiableMap(layers);
        Map<String, Parameter> p = new LinkedHashMap<>();
        for (LoraLayer l : layers.values()) {
            p.put(l.module() + ".lora_A.weight", l.a());
            p.put(l.module() + ".lora_B.weight", l.b());
        }
        this.parameters = Collections.unmodifiableMap(p);
    }

    /**
     * Attaches a new adapter with PEFT's initialisation, reproducible from {@code seed}.
     *
     * @param model the model
     * @param config the configuration
     * @param seed the seed of the random choices
     * @return the new adapter, attached to the model
     */
    public static LoraAdapter create(CausalLm model, LoraConfig config, long seed) {
        Preconditions.notNull(model, "model");
        Preconditions.notNull(config, "config");
        Map<String, LinearLayer> targets = targets(model, config);
        NDManager m = model.manager().newSubManager();
        Map<String, LoraLayer> layers = new LinkedHashMap<>();
        int r = config.rank();
        for (LinearLayer l : targets.values()) {
            SplittableRandom rnd = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (l.name().hashCode() + 1L)));
            float[] a = new float[r * l.inFeatures()];
            double bound = 1.0 / Math.sqrt(l.inFeatures());
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            }
            layers.put(l.name(), layer(l, m, m.create(a, new Shape(r, l.inFeatures())),
                    m.zeros(new Shape(l.outFeatures(), r)), config));
        }
        return attach(model, config, m, layers);
    }

    /**
     * Loads a PEFT adapter directory ({@code adapter_config.json} + {@code adapter_model.safetensors}).
     *
     * @param model the model
     * @param dir the directory
     * @return the adapter, attached to the model (the caller closes it)
     * @throws IOException if a file cannot be read or written
     */
    public static LoraAdapter load(CausalLm model, Path dir) throws IOException {
        Preconditions.notNull(model, "model");
        Preconditions.notNull(dir, "dir");
        LoraConfig config = LoraConfig.fromJson(dir.resolve("adapter_config.json"));
        Map<String, LinearLayer> targets = targets(model, config);
        Path weights = dir.resolve("adapter_model.safetensors");
        NDManager m = model.manager().newSubManager();
        boolean ok = false;
        try (SafeTensorsFile f = SafeTensorsFile.open(weights)) {
            Set<String> unused = new HashSet<>(f.names());
            Map<String, LoraLayer> layers = new LinkedHashMap<>();
            for (LinearLayer l : targets.values()) {
                String aKey = key(f.names(), l.name(), "lora_A");
                String bKey = key(f.names(), l.name(), "lora_B");
                if (aKey == null || bKey == null) {
                    throw new IOException(weights + ": no " + (aKey == null ? "lora_A" : "lora_B") + " weight for "
                            + l.name() + " (expected key " + PEFT_PREFIX + l.name() + "."
                            + (aKey == null ? "lora_A" : "lora_B") + ".weight)");
                }
                checkShape(weights, f.info(aKey), new long[] {config.rank(), l.inFeatures()});
                checkShape(weights, f.info(bKey), new long[] {l.outFeatures(), config.rank()});
                unused.remove(aKey);
                unused.remove(bKey);
                layers.put(l.name(), layer(l, m, f.load(m, aKey), f.load(m, bKey), config));
            }
            if (!unused.isEmpty()) {
                throw new IOException(weights + ": tensors " + new java.util.TreeSet<>(unused)
                        + " match no layer the adapter config targets (" + config + ")");
            }
            LoraAdapter adapter = attach(model, config, m, layers);
            ok = true;
            return adapter;
        } finally {
            if (!ok) {
                m.close();
            }
        }
    }

    private static void checkShape(Path file, TensorInfo info, long[] expected) throws IOException {
        if (!Arrays.equals(info.shape(), expected)) {
            throw new IOException(file + ": tensor \"" + info.name() + "\" has shape " + Arrays.toString(info.shape())
                    + ", expected " + Arrays.toString(expected));
        }
    }

    private static String key(Set<String> names, String module, String which) {
        for (String k : new String[] {
                PEFT_PREFIX + module + "." + which + ".weight",
                PEFT_PREFIX + module + "." + which + ".default.weight",
                module + "." + which + ".weight"}) {
            if (names.contains(k)) {
                return k;
            }
        }
        return null;
    }

    private static Map<String, LinearLayer> targets(CausalLm model, LoraConfig config) {
        Map<String, LinearLayer> out = new LinkedHashMap<>();
        for (LinearLayer l : model.linearLayers().values()) {
            if (config.matches(l.name())) {
                Preconditions.checkState(l.lora() == null, l.name() + " already has a LoRA adapter");
                out.put(l.name(), l);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("target_modules " + (config.targetRegex() != null
                    ? config.targetRegex() : config.targetModules())
                    + " match no linear layer; layers are named like model.layers.0.self_attn.q_proj or "
                    + "model.layers.0.mlp.down_proj (Llama), rwkv.blocks.0.attention.key or "
                    + "rwkv.blocks.0.feed_forward.value (RWKV)");
        }
        return out;
    }

    private static LoraLayer layer(LinearLayer l, NDManager m, NDArray a, NDArray b, LoraConfig config) {
        Parameter pa = Parameter.builder().setName(l.name() + ".lora_A.weight").setType(Parameter.Type.WEIGHT).build();
        pa.setArray(a);
        Parameter pb = Parameter.builder().setName(l.name() + ".lora_B.weight").setType(Parameter.Type.WEIGHT).build();
        pb.setArray(b);
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        return new LoraLayer(l.name(), pa, pb, (float) config.scaling(), (float) config.dropout());
    }

    private static LoraAdapter attach(CausalLm model, LoraConfig config, NDManager m, Map<String, LoraLayer> layers) {
        Map<String, LinearLayer> linears = model.linearLayers();
        for (LoraLayer l : layers.values()) {
            linears.get(l.module()).setLora(l);
        }
        return new LoraAdapter(model, config, m, layers);
    }

    /**
     * The config.
     *
     * @return the config
     */
    public LoraConfig config() {
        return config;
    }

    /**
     * The wrapped layers by module path.
     *
     * @return the layers
     */
    public Map<String, LoraLayer> layers() {
        return layers;
    }

    /**
     * The trainable parameters by name ({@code <module path>.lora_A.weight}, ...), in model order;
     * their PEFT keys are these names with {@link #PEFT_PREFIX} in front.
     *
     * @return the parameters
     */
    public Map<String, Parameter> parameters() {
        return parameters;
    }

    /**
     * Whether the updates are folded into the base weights.
     *
     * @return whether the update is folded into the base weights
     */
    public boolean isMerged() {
        return merged;
    }

    /**
     * Adds {@code scaling * B A} to each wrapped base weight; the adapter then costs nothing at inference.
     *
     * @throws IllegalStateException if already merged, or if a wrapped base weight is kept in 16 bits (a
     *                               compact model, see {@code LoadOptions}: merging would round the update)
     */
    public void merge() {
        checkOpen();
        Preconditions.checkState(!merged, "adapter is already merged");
        for (LoraLayer l : layers.values()) {
            ai.djl.ndarray.types.DataType t = model.linearLayers().get(l.module()).weight().getArray().getDataType();
            Preconditions.checkState(t == ai.djl.ndarray.types.DataType.FLOAT32, "cannot merge into "
                    + l.module() + ", whose weight is kept as " + t + "; load the base with LoadOptions.Weights.F32");
        }
        for (LoraLayer l : layers.values()) {
            try (NDArray d = l.deltaWeight()) {
                model.linearLayers().get(l.module()).weight().getArray().addi(d);
            }
            l.setMerged(true);
        }
        merged = true;
    }

    /** Subtracts what {@link #merge()} added. */
    public void unmerge() {
        checkOpen();
        Preconditions.checkState(merged, "adapter is not merged");
        for (LoraLayer l : layers.values()) {
            try (NDArray d = l.deltaWeight()) {
                model.linearLayers().get(l.module()).weight().getArray().subi(d);
            }
            l.setMerged(false);
        }
        merged = false;
    }

    /**
     * Saves {@code adapter_config.json} and {@code adapter_model.safetensors} (F32) atomically.
     *
     * @param dir the directory
     * @throws IOException if a file cannot be read or written
     */
    public void save(Path dir) throws IOException {
        checkOpen();
        Preconditions.notNull(dir, "dir");
        Files.createDirectories(dir);
        SafeTensors.Writer w = SafeTensors.writer().metadata("format", "pt");
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            w.add(PEFT_PREFIX + e.getKey(), e.getValue().getArray(), DType.F32);
        }
        w.write(dir.resolve("adapter_model.safetensors"));
        AtomicFiles.writeString(dir.resolve("adapter_config.json"),
                Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(config.toJson()));
    }

    private void checkOpen() {
        Preconditions.checkState(!closed, "LoraAdapter is closed");
    }

    /** Unmerges if merged, detaches from the model and frees the adapter's arrays; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (merged && model.manager().isOpen()) {
            unmerge();
        }
        closed = true;
        for (LoraLayer l : layers.values()) {
            LinearLayer linear = model.linearLayers().get(l.module());
            if (linear.lora() == l) {
                linear.setLora(null);
            }
        }
        manager.close();
    }

    @Override
    public String toString() {
        return "LoraAdapter[" + config + ", " + layers.size() + " layers]";
    }
}
