package dev.keel.benchmarks;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.keel.core.internal.LmLoss;
import dev.keel.core.lm.KvCache;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.lm.LoadOptions;
import dev.keel.core.lm.lora.LoraAdapter;
import dev.keel.core.lm.lora.LoraConfig;
import dev.keel.core.lm.safetensors.DType;
import dev.keel.core.lm.train.AdamW;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Tokens per second of {@link LlamaModel} at the shapes people use, random weights, on the CPU with two
 * PyTorch threads: SmolLM2-135M and Qwen3-0.6B ({@link #config(String)}), with the weights kept as the
 * BF16 checkpoint stores them ({@code weights=bf16}: 16-bit on the device, F32 compute) or expanded to F32
 * ({@code weights=f32}). Each benchmark is one model-level workload, reported as tokens per second:
 *
 * <ul>
 *   <li>{@link #prefill}: one forward over {@value #PREFILL} tokens (all logits), no cache;</li>
 *   <li>{@link #decode}: greedy generation, batch 1, with the KV cache: {@value #DECODE} steps of one token
 *       after a {@value #PROMPT}-token prompt (the prompt is prefilled before each invocation, untimed);</li>
 *   <li>{@link #decodeBatched}: {@value #BATCH} prompts of 33 to {@value #PROMPT} tokens, left-padded, decoded
 *       together as one forward over {@code [16, 1]} per step with the KV cache and the padding mask,
 *       {@value #BATCHED_STEPS} steps (aggregate tokens: 16 a step);</li>
 *   <li>{@link #loraStep}: one LoRA training step (r {@value #LORA_RANK}, alpha 32, every linear layer of the
 *       decoder, no dropout): forward, cross-entropy, backward and AdamW on the adapter, on
 *       {@value #LORA_BATCH} x {@value #LORA_LENGTH} tokens.</li>
 * </ul>
 *
 * <p>The random model of each shape is made once (seed 1), saved as BF16 under
 * {@code ${java.io.tmpdir}/keel-lm-bench/} and loaded from there by every trial, so both weight settings
 * hold the same values. The peer is {@code benchmarks/src/main/python/lm_peer.py} (plain PyTorch on the
 * same shapes); {@code benchmarks/run-lm-benchmarks.sh} runs both and writes the table. Iterations are few
 * (one invocation takes seconds): the runner sets them per benchmark.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 2, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=2",
    "-Dai.djl.pytorch.num_interop_threads=1"})
public class LmBenchmark {

    static final int PREFILL = 512;
    static final int PROMPT = 64;
    static final int DECODE = 32;
    static final int BATCH = 16;
    static final int BATCHED_STEPS = 16;
    static final int LORA_RANK = 16;
    static final int LORA_BATCH = 4;
    static final int LORA_LENGTH = 256;

    /** The model shape. */
    @Param({"smollm2-135m", "qwen3-0.6b"})
    public String shape;

    /** How the BF16 checkpoint's weights are kept: {@code bf16} (16-bit, F32 compute) or {@code f32}. */
    @Param({"bf16", "f32"})
    public String weights;

    private NDManager root;
    private LlamaModel model;
    private long[][] prefillIds;
    private long[][] promptIds;
    private long[][] batchIds;
    private float[][] batchMask;
    private LoraAdapter lora;
    private AdamW optimizer;
    private long[][] loraIds;

    /**
     * The architecture of a shape name.
     *
     * @param shape {@code smollm2-135m} or {@code qwen3-0.6b}
     * @return its configuration
     */
    public static LlamaConfig config(String shape) {
        switch (shape) {
            case "smollm2-135m":
                return LlamaConfig.builder().vocabSize(49152).hiddenSize(576).intermediateSize(1536)
                        .numHiddenLayers(30).numAttentionHeads(9).numKeyValueHeads(3).tieWordEmbeddings(true)
                        .maxPositionEmbeddings(8192).rmsNormEps(1e-5).ropeTheta(100000).build();
            case "qwen3-0.6b":
                return LlamaConfig.builder().modelType("qwen3").vocabSize(151936).hiddenSize(1024)
                        .intermediateSize(3072).numHiddenLayers(28).numAttentionHeads(16).numKeyValueHeads(8)
                        .headDim(128).qkNorm(true).tieWordEmbeddings(true).maxPositionEmbeddings(40960)
                        .rmsNormEps(1e-6).ropeTheta(1000000).build();
            default:
                throw new IllegalArgumentException("shape must be smollm2-135m or qwen3-0.6b, was " + shape);
        }
    }

    /**
     * The BF16 checkpoint of a shape's random model (seed 1), written once under the temp directory.
     *
     * @param shape the shape name
     * @return the model directory
     * @throws IOException if it cannot be written
     */
    public static synchronized Path checkpoint(String shape) throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "keel-lm-bench", shape + "-bf16-seed1");
        if (Files.exists(dir.resolve("config.json"))) {
            return dir;
        }
        Path tmp = Files.createTempDirectory(dir.getParent() == null ? Path.of(".") : createParent(dir), shape);
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
             LlamaModel random = LlamaModel.random(config(shape), 1, m)) {
            random.save(tmp, DType.BF16, Long.MAX_VALUE);
        }
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.exists(dir.resolve("config.json"))) {
                throw e;
            }
            deleteTree(tmp);
        }
        return dir;
    }

    private static Path createParent(Path dir) throws IOException {
        return Files.createDirectories(dir.getParent());
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        }
    }

    static LoadOptions options(String weights) {
        switch (weights) {
            case "bf16":
                return LoadOptions.builder().weights(LoadOptions.Weights.AS_STORED).build();
            case "f32":
                return LoadOptions.builder().weights(LoadOptions.Weights.F32).build();
            default:
                throw new IllegalArgumentException("weights must be bf16 or f32, was " + weights);
        }
    }

    private static long[][] randomIds(SplittableRandom r, int rows, int length, int vocab) {
        long[][] out = new long[rows][length];
        for (long[] row : out) {
            for (int j = 0; j < length; j++) {
                row[j] = 3 + r.nextInt(vocab - 3);
            }
        }
        return out;
    }

    /**
     * Loads the shape's BF16 checkpoint with the weights kept as {@link #weights} says, and makes the inputs.
     *
     * @throws IOException if the checkpoint cannot be written or read
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path dir = checkpoint(shape);
        root = NDManager.newBaseManager(Device.cpu());
        model = LlamaModel.load(dir, root, options(weights));
        int vocab = model.config().vocabSize();
        SplittableRandom r = new SplittableRandom(7);
        prefillIds = randomIds(r, 1, PREFILL, vocab);
        promptIds = randomIds(r, 1, PROMPT, vocab);
        batchIds = randomIds(r, BATCH, PROMPT, vocab);
        batchMask = new float[BATCH][PROMPT];
        for (int i = 0; i < BATCH; i++) {
            int pad = (i * 31 / (BATCH - 1)) % 32;  // 0 .. 31 padding positions on the left
            for (int j = 0; j < PROMPT; j++) {
                batchMask[i][j] = j < pad ? 0f : 1f;
                if (j < pad) {
                    batchIds[i][j] = 0;
                }
            }
        }
        loraIds = randomIds(r, LORA_BATCH, LORA_LENGTH, vocab);
    }

    private void setUpLora() {
        if (lora == null) {
            lora = LoraAdapter.create(model, LoraConfig.builder().rank(LORA_RANK).alpha(2 * LORA_RANK).dropout(0)
                    .targetModules("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
                    .build(), 3);
            optimizer = new AdamW(lora.parameters(), 0.9, 0.999, 1e-8, 0.0, model.manager());
        }
    }

    /** Frees the adapter, the optimizer and the model. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (optimizer != null) {
            optimizer.close();
        }
        if (lora != null) {
            lora.close();
        }
        model.close();
        root.close();
    }

    private static long argMaxLast(NDArray logits) {
        long t = logits.getShape().get(1);
        return logits.get(":, " + (t - 1) + ", :").argMax(-1).toLongArray()[0];
    }

    /** A fresh KV cache holding the batch-1 prompt and its first greedy token, made before each call (untimed). */
    @State(Scope.Thread)
    public static class Prompt {
        KvCache cache;
        long next;

        /**
         * Prefills the prompt.
         *
         * @param b the benchmark holding the model
         */
        @Setup(Level.Invocation)
        public void prefill(LmBenchmark b) {
            cache = new KvCache(b.model.manager(), b.model.config().numHiddenLayers());
            try (NDManager sm = b.model.manager().newSubManager()) {
                next = argMaxLast(b.model.forward(sm.create(b.promptIds), null, cache, false));
            }
        }

        /** Frees the cache. */
        @TearDown(Level.Invocation)
        public void close() {
            cache.close();
        }
    }

    /** A fresh KV cache holding the 16 left-padded prompts and their first greedy tokens (untimed). */
    @State(Scope.Thread)
    public static class Prompts {
        KvCache cache;
        long[] next;

        /**
         * Prefills the prompts.
         *
         * @param b the benchmark holding the model
         */
        @Setup(Level.Invocation)
        public void prefill(LmBenchmark b) {
            cache = new KvCache(b.model.manager(), b.model.config().numHiddenLayers());
            try (NDManager sm = b.model.manager().newSubManager()) {
                NDArray logits = b.model.forward(sm.create(b.batchIds), sm.create(b.batchMask), cache, false);
                next = logits.get(":, -1, :").argMax(-1).toLongArray();
            }
        }

        /** Frees the cache. */
        @TearDown(Level.Invocation)
        public void close() {
            cache.close();
        }
    }

    /**
     * Prefill: one forward over {@value #PREFILL} tokens.
     *
     * @return a logit, so the work is not dead
     */
    @Benchmark
    @OperationsPerInvocation(PREFILL)
    public float prefill() {
        try (NDManager sm = model.manager().newSubManager()) {
            NDArray logits = model.forward(sm.create(prefillIds));
            return logits.get(0, PREFILL - 1, 0).getFloat();
        }
    }

    /**
     * Greedy batch-1 generation with the KV cache: {@value #DECODE} steps after the prefilled prompt.
     *
     * @param p the prefilled prompt
     * @return the last token
     */
    @Benchmark
    @OperationsPerInvocation(DECODE)
    public long decode(Prompt p) {
        long token = p.next;
        for (int i = 0; i < DECODE; i++) {
            try (NDManager sm = model.manager().newSubManager()) {
                NDArray logits = model.forward(sm.create(new long[][] {{token}}), null, p.cache, false);
                token = argMaxLast(logits);
            }
        }
        return token;
    }

    /**
     * {@value #BATCH} left-padded prompts decoded together: {@value #BATCHED_STEPS} steps of one
     * {@code [16, 1]} forward with the KV cache and the padding mask.
     *
     * @param p the prefilled prompts
     * @return a token of the last step
     */
    @Benchmark
    @OperationsPerInvocation(BATCH * BATCHED_STEPS)
    public long decodeBatched(Prompts p) {
        long[] tokens = p.next;
        int length = PROMPT;
        for (int s = 0; s < BATCHED_STEPS; s++) {
            int len = length + 1;
            float[][] mask = new float[BATCH][len];
            long[][] ids = new long[BATCH][1];
            for (int i = 0; i < BATCH; i++) {
                System.arraycopy(batchMask[i], 0, mask[i], 0, PROMPT);
                for (int j = PROMPT; j < len; j++) {
                    mask[i][j] = 1f;
                }
                ids[i][0] = tokens[i];
            }
            try (NDManager sm = model.manager().newSubManager()) {
                NDArray logits = model.forward(sm.create(ids), sm.create(mask), p.cache, false);
                tokens = logits.get(":, -1, :").argMax(-1).toLongArray();
            }
            length = len;
        }
        return tokens[0];
    }

    /**
     * One LoRA training step on {@value #LORA_BATCH} x {@value #LORA_LENGTH} tokens.
     *
     * @return the loss
     */
    @Benchmark
    @OperationsPerInvocation(LORA_BATCH * LORA_LENGTH)
    public float loraStep() {
        setUpLora();
        float loss;
        try (NDManager sm = model.manager().newSubManager()) {
            NDArray ids = sm.create(loraIds);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = LmLoss.mean(model.forward(ids, null, null, true), ids, null);
                gc.backward(l);
                loss = l.getFloat();
            }
        }
        optimizer.step(1e-4);
        for (ai.djl.nn.Parameter p : lora.parameters().values()) {
            NDArray g = p.getArray().getGradient();
            g.subi(g);
        }
        return loss;
    }

}
