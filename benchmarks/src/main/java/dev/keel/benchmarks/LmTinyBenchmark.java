package dev.keel.benchmarks;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.keel.core.chat.GenerationOptions;
import dev.keel.core.lm.LlamaConfig;
import dev.keel.core.lm.LlamaModel;
import dev.keel.core.internal.LmLoss;
import dev.keel.core.lm.generate.Generator;
import dev.keel.core.lm.train.AdamW;
import dev.keel.core.internal.Gradients;
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

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Tokens per second of keel-tiny's architecture on the CPU: one full training step (forward,
 * response-token cross-entropy, backward, gradient clipping, AdamW) on a batch of
 * {@value #BATCH} x {@value #LENGTH} tokens, and greedy generation of {@value #NEW_TOKENS} tokens
 * after a {@value #PROMPT}-token prompt with and without the KV cache. The weights are random
 * (speed does not depend on their values); the peer is {@code benchmarks/peer/lm_train_step.py},
 * the same step in plain PyTorch on the same architecture, batch and thread count.
 *
 * <pre>
 * java -Dai.djl.pytorch.num_threads=1 -jar benchmarks/target/benchmarks.jar LmTinyBenchmark -rf json -rff lm-tiny.json
 * python3 benchmarks/peer/lm_train_step.py --threads 1
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
    "-Dai.djl.pytorch.num_interop_threads=1"})
public class LmTinyBenchmark {

    static final int BATCH = 32;
    static final int LENGTH = 32;
    static final int PROMPT = 16;
    static final int NEW_TOKENS = 64;

    /** keel-tiny's architecture (see {@code examples/.../keel-tiny/config.json}). */
    static LlamaConfig keelTiny() {
        return LlamaConfig.builder().vocabSize(3915).hiddenSize(128).intermediateSize(352).numHiddenLayers(4)
                .numAttentionHeads(4).numKeyValueHeads(2).tieWordEmbeddings(true).maxPositionEmbeddings(256)
                .rmsNormEps(1e-5).eosTokenId(2).build();
    }

    /** Whether generation uses the KV cache. */
    @State(Scope.Benchmark)
    public static class Cache {
        @Param({"true", "false"})
        public boolean cache;
    }

    private NDManager root;
    private LlamaModel model;
    private AdamW optimizer;
    private long[][] batch;
    private long[] prompt;

    @Setup(Level.Trial)
    public void setUp() {
        root = NDManager.newBaseManager();
        model = LlamaModel.random(keelTiny(), 1, root);
        model.setBaseTrainable(true);
        optimizer = new AdamW(model.parameters(), 0.9, 0.999, 1e-8, 0.01, model.manager());
        SplittableRandom r = new SplittableRandom(7);
        batch = new long[BATCH][LENGTH];
        for (long[] row : batch) {
            for (int j = 0; j < LENGTH; j++) {
                row[j] = 6 + r.nextInt(keelTiny().vocabSize() - 6);
            }
        }
        prompt = Arrays.copyOf(batch[0], PROMPT);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        optimizer.close();
        model.close();
        root.close();
    }

    /** One training step; reported as tokens/s. */
    @Benchmark
    @OperationsPerInvocation(BATCH * LENGTH)
    public float trainStep() {
        float loss;
        try (NDManager sm = model.manager().newSubManager()) {
            NDArray ids = sm.create(batch);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = LmLoss.mean(model.forward(ids, null, null, true), ids, null);
                gc.backward(l);
                loss = l.getFloat();
            }
        }
        double norm = Gradients.globalNorm(model.parameters().values());
        if (norm > 1.0) {
            Gradients.scale(model.parameters().values(), (float) (1.0 / (norm + 1e-6)));
        }
        optimizer.step(1e-4);
        Gradients.zero(model.parameters().values());
        return loss;
    }

    /** Greedy generation of {@value #NEW_TOKENS} tokens with or without the KV cache; reported as tokens/s. */
    @Benchmark
    @OperationsPerInvocation(NEW_TOKENS)
    public int generate(Cache c) {
        return new Generator(model).generate(prompt, GenerationOptions.builder().temperature(0).maxTokens(NEW_TOKENS).build(),
                List.of(), c.cache, null).tokens().length;
    }
}
